-- nmf_recommend and nmf_similar: top k by score, exclusion, k, unknown ids, NULLs
\set VERBOSITY sqlstate

CREATE TABLE ratings (user_id bigint, item_id bigint, rating float8);
INSERT INTO ratings
SELECT u, i, 1 + (u * 3 + i * 7) % 5
FROM generate_series(1, 12) u, generate_series(1, 9) i
WHERE (u + 2 * i) % 3 <> 0;
CREATE TABLE model AS
SELECT nmf(nmf_matrix(user_id, item_id, rating), 3, seed => 7, max_iter => 500) AS m,
       nmf_matrix(user_id, item_id, rating) AS x
FROM ratings;

-- the k best by predicted score, best first: the top of a full ranking (ties by id)
SELECT (SELECT array_agg(col_id ORDER BY ord) FROM nmf_recommend(m, 5, 4) WITH ORDINALITY AS r(col_id, score, ord))
     = (SELECT array_agg(i ORDER BY s DESC, i) FROM (SELECT i::bigint, nmf_predict(m, 5, i) AS s FROM generate_series(1, 9) i ORDER BY s DESC, i LIMIT 4) t)
       AS top_of_full_ranking
FROM model;
SELECT bool_and(r.score = nmf_predict(m, 5, r.col_id)) AS scores_are_predictions,
       bool_and(r.score <= coalesce(prev, 'Infinity')) AS best_first
FROM model, LATERAL (SELECT col_id, score, lag(score) OVER (ORDER BY ord) AS prev
                     FROM nmf_recommend(m, 5, 9) WITH ORDINALITY AS t(col_id, score, ord)) r;
-- k larger than the number of columns: all columns
SELECT count(*) AS all_cols FROM model, nmf_recommend(m, 5, 1000);
SELECT count(*) AS one FROM model, nmf_recommend(m, 5, 1);

-- exclude => the training matrix: the row's rated items are left out
SELECT count(*) AS unrated, bool_or(EXISTS (SELECT 1 FROM ratings WHERE user_id = 5 AND item_id = r.col_id)) AS any_rated
FROM model, nmf_recommend(m, 5, 100, exclude => x) r;
SELECT count(*) AS rated_by_5 FROM ratings WHERE user_id = 5;
-- or only that row's cells: the same answer
SELECT (SELECT array_agg(col_id ORDER BY ord) FROM nmf_recommend(m, 5, 3, exclude => x) WITH ORDINALITY AS a(col_id, score, ord))
     = (SELECT array_agg(col_id ORDER BY ord)
        FROM nmf_recommend(m, 5, 3, exclude => (SELECT nmf_matrix(user_id, item_id, rating) FROM ratings WHERE user_id = 5))
             WITH ORDINALITY AS b(col_id, score, ord)) AS same
FROM model;
-- a row the exclude matrix lacks, or a NULL exclude (a user with no ratings): nothing excluded
SELECT count(*) FROM model, nmf_recommend(m, 5, 100, exclude => (SELECT nmf_matrix(7, 1, 1)));
SELECT count(*) FROM model, nmf_recommend(m, 5, 100, exclude => (SELECT nmf_matrix(user_id, item_id, rating) FROM ratings WHERE user_id = 99));
-- every column excluded: no rows
SELECT count(*) FROM model, nmf_recommend(m, 5, 10, exclude => (SELECT nmf_matrix(5, i, 1) FROM generate_series(1, 9) i));

-- unknown row: no rows, or an error naming it
SELECT count(*) FROM model, nmf_recommend(m, 99, 3);
\set VERBOSITY terse
SELECT * FROM model, nmf_recommend(m, 99, 3, on_unknown => 'error');
\set VERBOSITY sqlstate
SELECT * FROM model, nmf_recommend(m, 99, 3, on_unknown => 'error');
-- k <= 0 (22023), NULL k (22004); NULL model or row: no rows
SELECT * FROM model, nmf_recommend(m, 5, 0);
SELECT * FROM model, nmf_recommend(m, 5, -1);
SELECT * FROM model, nmf_recommend(m, 5, NULL);
SELECT * FROM model, nmf_recommend(m, 5, 3, on_unknown => 'ignore');
SELECT count(*) FROM nmf_recommend(NULL::nmf_model, 5, 3);
SELECT count(*) FROM model, nmf_recommend(m, NULL::bigint, 3);

-- many rows in one call: (row_id, col_id, score, rank), the same as one call per row
SELECT count(*) AS rows_out, count(DISTINCT row_id) AS users, min(rank), max(rank)
FROM model, nmf_recommend(m, ARRAY[1, 2, 3, 99, NULL], 2, exclude => x);
SELECT count(*) AS differences FROM (
	(SELECT r.row_id, r.col_id, r.score, r.rank FROM model, nmf_recommend(m, ARRAY[1, 2, 3, 4], 3, exclude => x) r
	 EXCEPT
	 SELECT u, s.col_id, s.score, s.ord::int FROM model, generate_series(1, 4) u,
	        nmf_recommend(m, u, 3, exclude => x) WITH ORDINALITY AS s(col_id, score, ord))
	UNION ALL
	(SELECT u, s.col_id, s.score, s.ord::int FROM model, generate_series(1, 4) u,
	        nmf_recommend(m, u, 3, exclude => x) WITH ORDINALITY AS s(col_id, score, ord)
	 EXCEPT
	 SELECT r.row_id, r.col_id, r.score, r.rank FROM model, nmf_recommend(m, ARRAY[1, 2, 3, 4], 3, exclude => x) r)) d;
SELECT count(*) FROM model, nmf_recommend(m, '{}'::bigint[], 3);
SELECT * FROM model, nmf_recommend(m, ARRAY[1, 99], 3, on_unknown => 'error');
SELECT * FROM model, nmf_recommend(m, ARRAY[1], 0);

-- nmf_similar: nearest columns (by H) or rows (by W), the target left out
SELECT count(*) AS others, bool_and(id <> 3) AS self_left_out FROM model, nmf_similar(m, 'col', 3, 100);
SELECT count(*) FROM model, nmf_similar(m, 'row', 3, 100);
-- cosine as computed in SQL from the long form, same order
SELECT (SELECT array_agg(id ORDER BY ord) FROM nmf_similar(m, 'col', 3, 4) WITH ORDINALITY AS s(id, similarity, ord))
     = (SELECT array_agg(b ORDER BY c DESC, b) FROM (
          SELECT b.id AS b, sum(a.weight * b.weight) / sqrt(sum(a.weight ^ 2) * sum(b.weight ^ 2)) AS c
          FROM nmf_h(m) a JOIN nmf_h(m) b USING (factor) WHERE a.id = 3 AND b.id <> 3
          GROUP BY b.id ORDER BY c DESC, b.id LIMIT 4) t) AS cosine_order
FROM model;
SELECT bool_and(abs(s.similarity - e.c) < 1e-12) AS cosine_values, bool_and(s.similarity <= 1) AS at_most_one
FROM model, nmf_similar(m, 'row', 2, 20) s,
     LATERAL (SELECT sum(a.weight * b.weight) / sqrt(sum(a.weight ^ 2) * sum(b.weight ^ 2)) AS c
              FROM nmf_w(m) a JOIN nmf_w(m) b USING (factor) WHERE a.id = 2 AND b.id = s.id) e;
SELECT bool_and(abs(s.similarity - e.d) < 1e-12) AS dot_values
FROM model, nmf_similar(m, 'col', 1, 20, metric => 'dot') s,
     LATERAL (SELECT sum(a.weight * b.weight) AS d
              FROM nmf_h(m) a JOIN nmf_h(m) b USING (factor) WHERE a.id = 1 AND b.id = s.id) e;
-- unknown id: no rows, or an error; bad side, metric, k
SELECT count(*) FROM model, nmf_similar(m, 'col', 99, 3);
SELECT * FROM model, nmf_similar(m, 'col', 99, 3, on_unknown => 'error');
SELECT * FROM model, nmf_similar(m, 'column', 3, 3);
SELECT * FROM model, nmf_similar(m, 'col', 3, 3, metric => 'euclid');
SELECT * FROM model, nmf_similar(m, 'col', 3, 0);
SELECT * FROM model, nmf_similar(m, NULL, 3, 3);
SELECT * FROM model, nmf_similar(m, 'col', 3, 3, metric => NULL);
SELECT count(*) FROM model, nmf_similar(m, 'col', NULL, 3);
SELECT count(*) FROM nmf_similar(NULL, 'col', 3, 3);

DROP TABLE ratings, model;
