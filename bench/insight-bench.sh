#!/usr/bin/env bash
# Dashboard query latency with a large ledger, on SQLite and PostgreSQL:
# server/examples/insight_bench seeds ROWS [10,000,000] usage events through the real ledger
# writer (events + hourly/daily rollups) and times every dashboard, report and analytics
# query RUNS [50] times, printing p50/p95/max per query (target: every p95 ≤ 50 ms).
#
#   bench/insight-bench.sh [sqlite|postgres|both]      (default: both)
#
# The seeded databases are kept in $OUT [$CARGO_TARGET_DIR/insight-bench] (SQLite file) and
# as the PostgreSQL database keygate_insight_bench, so a re-run skips seeding. PG_URL
# [postgres://postgres:keygate@127.0.0.1:5432/postgres] names the server.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"
WHICH="${1:-both}"
TARGET="${CARGO_TARGET_DIR:-target}"
OUT="${OUT:-$TARGET/insight-bench}"
PG_URL="${PG_URL:-postgres://postgres:keygate@127.0.0.1:5432/postgres}"
mkdir -p "$OUT"
# The environment `cargo leptos build --release` gives the server build (see the Makefile),
# so this shares its artifacts.
env LEPTOS_OUTPUT_NAME=keygate LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg \
    LEPTOS_SITE_ADDR=127.0.0.1:3000 LEPTOS_RELOAD_PORT=3001 LEPTOS_LIB_DIR=frontend \
    LEPTOS_BIN_DIR=server LEPTOS_JS_MINIFY=false LEPTOS_HASH_FILES=false \
    cargo build --release -p server --example insight_bench
BIN="$TARGET/release/examples/insight_bench"
if [[ "$WHICH" == sqlite || "$WHICH" == both ]]; then
    "$BIN" "sqlite://$(cd "$OUT" && pwd)/insight-bench.db?mode=rwc" | tee "$OUT/sqlite.md"
fi
if [[ "$WHICH" == postgres || "$WHICH" == both ]]; then
    psql "$PG_URL" -tAc "SELECT 1 FROM pg_database WHERE datname = 'keygate_insight_bench'" | grep -q 1 \
        || psql "$PG_URL" -c "CREATE DATABASE keygate_insight_bench" >/dev/null
    "$BIN" "${PG_URL%/*}/keygate_insight_bench" | tee "$OUT/postgres.md"
fi
