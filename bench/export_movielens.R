#!/usr/bin/env Rscript
# SPDX-License-Identifier: PostgreSQL
# Export dslabs::movielens (Debian r-cran-dslabs: a public MovieLens sample of
# 100,004 ratings, 671 users x 9,066 movies, half stars 0.5..5) as triplets
# row_id,col_id,value.
# Usage: Rscript bench/export_movielens.R OUT.csv
args <- commandArgs(trailingOnly = TRUE)
stopifnot(length(args) == 1)
data(movielens, package = "dslabs")
x <- movielens
d <- data.frame(row_id = x$userId, col_id = x$movieId, value = x$rating)
stopifnot(nrow(d) == 100004L, !anyDuplicated(d[, 1:2]))
write.csv(d, args[1], row.names = FALSE, quote = FALSE)
cat(sprintf("wrote %s: %d ratings, %d users, %d movies, values %g..%g\n", args[1], nrow(d),
            length(unique(d$row_id)), length(unique(d$col_id)), min(d$value), max(d$value)))
