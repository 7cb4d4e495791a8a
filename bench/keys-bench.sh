#!/usr/bin/env bash
# Latency of provider-key CRUD on SQLite: create 1,000 keys, update each once (rename, blank
# secret) and list them (200× all keys, 200× a name filter matching one key), through the
# REST API (/api/admin/api-keys) and through the server functions the UI uses (/rpc/keys_*).
# Target: p99 ≤ 20 ms per operation.
#
#   bench/keys-bench.sh [--json] [--strict] [--breakdown] [--keys N] [--lists N]
#
# The release server runs in-process (server/examples/keys_bench.rs) on 127.0.0.1:0, one fresh
# SQLite data dir per path, signed in once as an owner outside the measured loops. Requests go
# one at a time over one keep-alive connection: each sample is one request's latency, send to
# last body byte. Output: one row per path × operation with n, p50/p95/p99/max in ms and
# PASS/FAIL against the 20 ms p99 target. list-all rows return every key (~1,000) each time, so
# they are the heavy case. --json: JSON lines on stdout, the table on stderr. --strict: exit 1
# if any p99 is over 20 ms. --breakdown: extra rows db-query (the list's SQL alone, no HTTP)
# and api-me (any signed-in request) to see where list time goes. Progress goes to stderr.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"
# The Makefile's cargo-leptos environment, so this build shares its artifacts (see Makefile).
export LEPTOS_OUTPUT_NAME=keygate LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg \
  LEPTOS_SITE_ADDR=127.0.0.1:3000 LEPTOS_RELOAD_PORT=3001 LEPTOS_LIB_DIR=frontend \
  LEPTOS_BIN_DIR=server LEPTOS_JS_MINIFY=false LEPTOS_HASH_FILES=false \
  RUSTFLAGS="--cfg erase_components"
exec cargo run --release -p server --example keys_bench -- "$@"
