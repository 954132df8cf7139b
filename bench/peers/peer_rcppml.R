#!/usr/bin/env Rscript
# SPDX-License-Identifier: PostgreSQL
# One RcppML fit for bench/peers_bench.py: one JSON line on stdout.
#   Rscript peer_rcppml.R DATA --rank R --iters N [--seed S]
# DATA: NAME.f64 (dense, column-major, shape in NAME.json: a dense matrix) or
# NAME.csv (triplets: a dgCMatrix). RcppML::nmf(X, k, tol = 1e-20, maxit = N,
# seed), all cores (setRcppMLthreads(0)); its own random start. iter_s is the
# call (start included: RcppML does not time them apart). Memory as
# peer_fit.py: resident set before the data is read, the peak reset by
# /proc/self/clear_refs once it is in memory, data_fit_mb = peak - that.
# error = ||X - W diag(d) H||_F / ||X||_F by peers_common.rel_err's formula.
suppressPackageStartupMessages({ library(Matrix); library(RcppML) })

args <- commandArgs(trailingOnly = TRUE)
opt <- list(seed = "1")
path <- args[1]
i <- 2
while (i <= length(args)) { opt[[sub("^--", "", args[i])]] <- args[i + 1]; i <- i + 2 }
k <- as.integer(opt$rank); iters <- as.integer(opt$iters); seed <- as.integer(opt$seed)

status_kb <- function(key) {
  l <- grep(paste0("^", key, ":"), readLines("/proc/self/status"), value = TRUE)
  as.numeric(strsplit(trimws(sub(".*:", "", l)), " +")[[1]][1])
}

load_data <- function(p) {
  if (grepl("\\.f64$", p)) {
    meta <- readLines(sub("\\.f64$", ".json", p), warn = FALSE)
    dim_of <- function(key) as.integer(sub(paste0('.*"', key, '": *([0-9]+).*'), "\\1", meta))
    m <- dim_of("rows"); n <- dim_of("cols")
    con <- file(p, "rb"); on.exit(close(con))
    return(matrix(readBin(con, "double", m * n, size = 8, endian = "little"), nrow = m, ncol = n))
  }
  d <- scan(p, what = list(integer(), integer(), double()), sep = ",", skip = 1, quiet = TRUE)
  sparseMatrix(i = d[[1]], j = d[[2]], x = d[[3]], dims = c(max(d[[1]]), max(d[[2]])))
}

rel_err <- function(X, W, H) {
  normX2 <- if (is(X, "sparseMatrix")) sum(X@x^2) else sum(X^2)
  cross <- sum(W * as.matrix(X %*% t(H)))
  gram <- sum(crossprod(W) * tcrossprod(H))
  sqrt(max(normX2 - 2 * cross + gram, 0) / normX2)
}

now <- function() proc.time()[["elapsed"]]
invisible(gc())
base_kb <- status_kb("VmRSS")
X <- load_data(path)
invisible(gc())
cat("5", file = "/proc/self/clear_refs")
loaded_kb <- status_kb("VmHWM")
RcppML::setRcppMLthreads(0)
t1 <- now()
m <- RcppML::nmf(X, k, tol = 1e-20, maxit = iters, verbose = FALSE, seed = seed)
iter_s <- now() - t1
peak_kb <- status_kb("VmHWM")
W <- m$w %*% diag(m$d, nrow = k)
n_iter <- as.integer(m$iter)
cat(sprintf(paste0('{"version": "%s", "shape": [%d, %d], "input": "%s", "iterations": %d, ',
                   '"init_s": 0, "iter_s": %.6f, "s_per_iter": %.8f, "error": %.15g, "data_fit_mb": %.3f, ',
                   '"data_mb": %.3f, "process_peak_mb": %.3f, "blas": "%s"}\n'),
            as.character(packageVersion("RcppML")), nrow(X), ncol(X),
            if (is(X, "sparseMatrix")) "dgCMatrix" else "dense matrix", n_iter, iter_s,
            iter_s / max(n_iter, 1), rel_err(X, W, m$h), (peak_kb - base_kb) / 1024,
            (loaded_kb - base_kb) / 1024, peak_kb / 1024, basename(La_library())))
