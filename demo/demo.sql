-- SPDX-License-Identifier: PostgreSQL
-- The demo (run by demo/run.sh, with psql from the repository's root):
-- load a small ratings data set, factorize it with nmf, and read W and H as
-- relations. Each step is a plain SQL query you can copy.

\set ON_ERROR_STOP on
\pset pager off
\pset footer off

CREATE EXTENSION IF NOT EXISTS nmf;

DROP TABLE IF EXISTS movie_model, ratings, movies;
CREATE TABLE movies (movie_id bigint PRIMARY KEY, title text NOT NULL, genre text NOT NULL);
CREATE TABLE ratings (
	user_id bigint NOT NULL,
	movie_id bigint NOT NULL REFERENCES movies,
	rating int NOT NULL CHECK (rating BETWEEN 1 AND 5),
	PRIMARY KEY (user_id, movie_id)
);
\copy movies FROM 'demo/data/movies.csv' WITH (FORMAT csv, HEADER true)
\copy ratings FROM 'demo/data/ratings.csv' WITH (FORMAT csv, HEADER true)
ANALYZE movies;
ANALYZE ratings;

\echo
\echo '=== 1. The data (demo/data/*.csv): films in 5 genres, rated 1-5 by 300 users'
\echo '    (the genres are only for us to read the result; nmf never sees them)'
SELECT genre, count(*) AS films FROM movies GROUP BY genre ORDER BY genre;
SELECT count(*) AS ratings, count(DISTINCT user_id) AS users, count(DISTINCT movie_id) AS films
FROM ratings;

\echo
\echo '=== 2. The seed example (Lee & Seung): V = [[5,4,1],[4,5,1],[2,1,5]] at rank 1'
\echo '    expected W ~ [0.3887, 0.3863, 0.2250], H ~ [11.223, 10.575, 5.413]'
SELECT 'W' AS factor_matrix, array_agg(round(w.weight::numeric, 4) ORDER BY w.id) AS weights
FROM (SELECT nmf(nmf_matrix('{{5,4,1},{4,5,1},{2,1,5}}'::float8[]), 1) AS m) s, nmf_w(s.m) w
UNION ALL
SELECT 'H', array_agg(round(h.weight::numeric, 3) ORDER BY h.id)
FROM (SELECT nmf(nmf_matrix('{{5,4,1},{4,5,1},{2,1,5}}'::float8[]), 1) AS m) s, nmf_h(s.m) h;

\echo
\echo '=== 3. The sparse matrix built by the aggregate nmf_matrix(user_id, movie_id, rating)'
SELECT jsonb_pretty(nmf_matrix_info(nmf_matrix(user_id, movie_id, rating))) AS nmf_matrix_info
FROM ratings;

\echo
\echo '=== 4. Fit at rank 5 (solver hals, the default; a film a user has not rated is unknown,'
\echo '    not a 0, so only the stored ratings count: missing => ''ignore''; the ridge is then'
\echo '    chosen from the data and predictions stay within the ratings'' range):'
\echo '    CREATE TABLE movie_model AS SELECT nmf(nmf_matrix(user_id, movie_id, rating::float8),'
\echo '        rank => 5, missing => ''ignore'', seed => 42) AS model FROM ratings;'
CREATE TABLE movie_model AS
SELECT nmf(nmf_matrix(user_id, movie_id, rating::float8), rank => 5, missing => 'ignore',
	seed => 42)
	AS model
FROM ratings;
SELECT jsonb_pretty(nmf_info(model)) AS nmf_info FROM movie_model;

\echo
\echo '=== 5. W as a relation: nmf_w(model) gives (id, factor, weight) per user'
\echo '    users 1 and 2, long form:'
SELECT w.id AS user_id, w.factor, round(w.weight::numeric, 5) AS weight
FROM movie_model m, nmf_w(m.model) w
WHERE w.id IN (1, 2)
ORDER BY w.id, w.factor;
\echo '    users 1 to 5, wide form, nmf_w_wide(model) gives (id, weights[]):'
SELECT w.id AS user_id,
	   array(SELECT round(x::numeric, 5) FROM unnest(w.weights) x) AS weights
FROM movie_model m, nmf_w_wide(m.model) w
WHERE w.id <= 5
ORDER BY w.id;
\echo '    each column of W sums to 1 (H carries the scale):'
SELECT w.factor, round(sum(w.weight)::numeric, 6) AS sum_of_w
FROM movie_model m, nmf_w(m.model) w
GROUP BY w.factor
ORDER BY w.factor;

\echo
\echo '=== 6. H as a relation joined with movies: the top 5 films of each factor'
\echo '    (factors are ordered by decreasing weight; each one turns out to be a genre)'
SELECT t.factor, t.rank, mv.title, mv.genre, round(t.weight::numeric, 2) AS weight
FROM (SELECT h.factor, h.id, h.weight,
			 row_number() OVER (PARTITION BY h.factor ORDER BY h.weight DESC) AS rank
	  FROM movie_model m, nmf_h(m.model) h) t
JOIN movies mv ON mv.movie_id = t.id
WHERE t.rank <= 5
ORDER BY t.factor, t.rank;

\echo
\set user_id 13
\echo '=== 7. Recommendations for user' :user_id '(from W and H, in SQL)'
\echo '    what user' :user_id 'rated, by genre:'
SELECT mv.genre, count(*) AS rated, round(avg(r.rating), 1) AS avg_rating
FROM ratings r JOIN movies mv USING (movie_id)
WHERE r.user_id = :user_id
GROUP BY mv.genre
ORDER BY avg_rating DESC, rated DESC;
\echo '    user' :user_id 'in factor space (a row of W):'
SELECT w.factor, round(w.weight::numeric, 5) AS weight
FROM movie_model m, nmf_w(m.model) w
WHERE w.id = :user_id
ORDER BY w.factor;
\echo '    top 5 films user' :user_id 'has not rated, by predicted score = sum over factors f of W[user, f] * H[f, film]:'
SELECT mv.title, mv.genre, round(sum(w.weight * h.weight)::numeric, 3) AS score
FROM movie_model m
CROSS JOIN LATERAL nmf_w(m.model) w
JOIN LATERAL nmf_h(m.model) h ON h.factor = w.factor
JOIN movies mv ON mv.movie_id = h.id
WHERE w.id = :user_id
  AND NOT EXISTS (SELECT 1 FROM ratings r WHERE r.user_id = :user_id AND r.movie_id = h.id)
GROUP BY mv.movie_id, mv.title, mv.genre
ORDER BY score DESC, mv.movie_id
LIMIT 5;

\echo
\echo '=== 8. The same with the model''s own functions: nmf_recommend (top k by W H, partial sort),'
\echo '    excluding what user' :user_id 'rated (exclude => a matrix of their ratings), and nmf_similar'
SELECT mv.title, mv.genre, round(r.score::numeric, 3) AS score
FROM movie_model m,
     nmf_recommend(m.model, :user_id, 5,
                   exclude => (SELECT nmf_matrix(user_id, movie_id, rating::float8) FROM ratings
                               WHERE user_id = :user_id)) r
JOIN movies mv ON mv.movie_id = r.col_id
ORDER BY r.score DESC, mv.movie_id;
\echo '    films most like "Signal from Kepler Deep" in factor space (nmf_similar, cosine):'
SELECT mv.title, mv.genre, round(s.similarity::numeric, 3) AS similarity
FROM movie_model m,
     nmf_similar(m.model, 'col', (SELECT movie_id FROM movies WHERE title = 'Signal from Kepler Deep'), 5) s
JOIN movies mv ON mv.movie_id = s.id
ORDER BY s.similarity DESC, mv.movie_id;
