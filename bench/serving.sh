#!/usr/bin/env bash
# SPDX-License-Identifier: PostgreSQL
# Serving under load: 16 pgbench clients ask for the top 10 of random users of
# a biased rank-16 model of 400 users x 100,000 items read from a table,
#   1. detoast: only reading the model value (m::bytea), the floor of 2;
#   2. nmf_recommend(model, user, 10): every item scored, with the backend's
#      cache of decoded models off (nmf.model_cache) and on;
#   3. the HNSW recipe: ORDER BY item_vec <#> user_vec LIMIT 10 on pgvector's
#      index over nmf_h_vectors (skipped, and said so, without pgvector);
# throughput (tps) and per-query latency p50 / p99 from pgbench's log.
# Runs against the server in libpq's environment (PGHOST, PGPORT, PGDATABASE)
# with nmf installed (and pgvector for 3: ../shared/pgvector/pgvector.sh):
#   PGHOST=... PGPORT=... bash bench/serving.sh
# Knobs: NMF_SERVE_SECONDS (default 20), NMF_SERVE_CLIENTS (16).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PG_BIN=${NMF_PG_BIN:-/usr/lib/postgresql/15/bin}
SECONDS_EACH=${NMF_SERVE_SECONDS:-20}
CLIENTS=${NMF_SERVE_CLIENTS:-16}
USERS=400
ITEMS=100000
work=$(mktemp -d /tmp/nmf-serving.XXXXXX)
trap 'rm -rf "$work"' EXIT
psql=(psql -X -q -v ON_ERROR_STOP=1)

"${psql[@]}" <<SQL
CREATE EXTENSION IF NOT EXISTS nmf;
DROP TABLE IF EXISTS serve_ratings, serve_models, serve_items, serve_users;
CREATE TABLE serve_ratings AS
SELECT DISTINCT ON (user_id, item_id) user_id, item_id, rating FROM (
  SELECT (hashint8(i * 3 + t) & 1048575) % $USERS AS user_id, i AS item_id,
         (1 + (i * 7 + t * 13) % 5)::float8 AS rating
  FROM generate_series(1, $ITEMS) i, generate_series(0, 2) t) s;
CREATE TABLE serve_models (name text PRIMARY KEY, m nmf_model);
INSERT INTO serve_models SELECT 'current', nmf(nmf_matrix(user_id, item_id, rating), 16,
  missing => 'ignore', bias => true, max_iter => 5, seed => 1) FROM serve_ratings;
SQL
have_vector=1
"${psql[@]}" -c "CREATE EXTENSION IF NOT EXISTS vector" 2>/dev/null || have_vector=0
if ((have_vector)); then
	"${psql[@]}" <<SQL
CREATE TABLE serve_items (id bigint PRIMARY KEY, v vector(17));
INSERT INTO serve_items SELECT id, vec::vector FROM serve_models, nmf_h_vectors(m);
CREATE TABLE serve_users (id bigint PRIMARY KEY, v vector(17));
INSERT INTO serve_users SELECT id, vec::vector FROM serve_models, nmf_w_vectors(m);
SET maintenance_work_mem = '256MB';
\timing on
CREATE INDEX ON serve_items USING hnsw (v vector_ip_ops);
SQL
fi

cat >"$work/detoast.sql" <<'SQL'
SELECT octet_length(m::bytea) FROM serve_models WHERE name = 'current';
SQL
cat >"$work/recommend.sql" <<SQL
\set u random(0, $((USERS - 1)))
SELECT col_id FROM serve_models, nmf_recommend(m, :u, 10) WHERE name = 'current';
SQL
cat >"$work/hnsw.sql" <<SQL
\set u random(0, $((USERS - 1)))
SET hnsw.ef_search = 100;
SELECT id FROM serve_items ORDER BY v <#> (SELECT v FROM serve_users WHERE id = :u) LIMIT 10;
SQL

run() # name script
{
	rm -f "$work"/log.*
	"$PG_BIN/pgbench" -n -c "$CLIENTS" -j 2 -T "$SECONDS_EACH" -f "$work/$2" -l \
		--log-prefix="$work/log" >"$work/out" 2>&1 || { cat "$work/out"; return 1; }
	# pgbench's log: the 3rd field is the transaction's latency in microseconds.
	cat "$work"/log.* | awk '{print $3}' | sort -n >"$work/lat"
	awk -v name="$1" -v tps="$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$work/out")" \
		'{a[NR] = $1} END {printf "%-16s %8.1f tps  p50 %8.2f ms  p99 %8.2f ms  (%d queries)\n",
		name, tps, a[int(NR * 0.5)] / 1000, a[int(NR * 0.99)] / 1000, NR}' "$work/lat"
	grep -E "failed transactions|aborted" "$work/out" || true
}

echo "== $CLIENTS clients, $SECONDS_EACH s each, model of $USERS users x $ITEMS items, $(nproc) cores"
run "detoast only" detoast.sql
PGOPTIONS="${PGOPTIONS:-} -c nmf.model_cache=off" run "recommend, no cache" recommend.sql
run "nmf_recommend" recommend.sql
if ((have_vector)); then
	run "HNSW recipe" hnsw.sql
else
	echo "HNSW recipe: skipped (CREATE EXTENSION vector failed: bash ../shared/pgvector/pgvector.sh)"
fi
"${psql[@]}" -c "DROP TABLE IF EXISTS serve_ratings, serve_models, serve_items, serve_users"
