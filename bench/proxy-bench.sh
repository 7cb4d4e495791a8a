#!/usr/bin/env bash
# Proxy overhead on loopback: a fake OpenAI provider (server/examples/fake_upstream.rs) and the
# release `keygate serve` (fresh SQLite data dir, authentication, routing and the usage ledger
# on), driven by server/examples/loadgen.rs with the same non-streaming chat request sent
# directly to the fake and through Keygate.
#
#   bench/proxy-bench.sh [--no-build] [--keep]
#
# Measures (defaults in brackets, all overridable from the environment):
#   a) open loop at RATE [500] req/s for DURATION [10] s after WARMUP [2] s, direct then through
#      Keygate: added latency p50/p99 = Keygate − direct;
#   b) closed loop, CONCURRENCY [16] workers for DURATION s: maximum requests/s (both paths);
#   c) Keygate CPU time per request: utime+stime of its process (/proc/PID/stat, CLK_TCK ticks)
#      over the measured requests of a) and of b), divided by their number;
#   d) Keygate RSS (VmRSS) idle, and after a)–b);
#   e) STREAMS [1000] concurrent streaming requests opened at OPEN_RATE [250]/s, held open by the
#      fake for HOLD [20] s after their first chunk: time to first byte p50/p99 direct and
#      through Keygate, and Keygate's VmRSS once all of them are open.
# Then prints a markdown table with each figure, its target and PASS/MISS (targets: ≤ 50 µs of
# Keygate CPU per request; added p50 ≤ 0.1 ms and p99 ≤ 0.5 ms at 500 req/s; RSS ≤ 64 MB
# with 1,000 open streams, read as 64,000,000 bytes = 62,500 KiB). The raw JSON of every run and
# the table are kept in $OUT [$CARGO_TARGET_DIR/proxy-bench]. LOADGEN_THREADS [1], FAKE_THREADS [1] set the worker
# threads of the load generator and the fake; Keygate runs with its defaults (one worker per
# core). Build: CARGO_TARGET_DIR [target] — use another one not to wait on concurrent builds.
# --no-build uses the binaries already in $CARGO_TARGET_DIR/release; --keep keeps the temp dir.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$HOME/.cargo/bin:$PATH"

BUILD=1
KEEP=0
for arg in "$@"; do
  case "$arg" in
    --no-build) BUILD=0 ;;
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument $arg (try --help)" >&2; exit 2 ;;
  esac
done

RATE="${RATE:-500}"
DURATION="${DURATION:-10}"
WARMUP="${WARMUP:-2}"
CONCURRENCY="${CONCURRENCY:-16}"
STREAMS="${STREAMS:-1000}"
OPEN_RATE="${OPEN_RATE:-250}"
HOLD="${HOLD:-20}"
LOADGEN_THREADS="${LOADGEN_THREADS:-1}"
FAKE_THREADS="${FAKE_THREADS:-1}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="${OUT:-$CARGO_TARGET_DIR/proxy-bench}"
BIN="$CARGO_TARGET_DIR/release"
KG="$BIN/keygate"
FAKE="$BIN/examples/fake_upstream"
LOADGEN="$BIN/examples/loadgen"
CLK_TCK="$(getconf CLK_TCK)"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
PASSWORD='benchmark password 123'
PROVIDER_KEY='sk-proj-bench-key-000000'

if [ "$BUILD" = 1 ]; then
  echo "==> building release keygate, fake_upstream and loadgen in $CARGO_TARGET_DIR" >&2
  # The environment `cargo leptos build --release` gives the server build (see the Makefile;
  # release builds get no `--cfg erase_components`), so this shares its artifacts.
  env LEPTOS_OUTPUT_NAME=keygate LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg \
    LEPTOS_SITE_ADDR=127.0.0.1:3000 LEPTOS_RELOAD_PORT=3001 LEPTOS_LIB_DIR=frontend \
    LEPTOS_BIN_DIR=server LEPTOS_JS_MINIFY=false LEPTOS_HASH_FILES=false \
    cargo build --release -p server --bin keygate --example fake_upstream --example loadgen
fi
for exe in "$KG" "$FAKE" "$LOADGEN"; do
  [ -x "$exe" ] || { echo "missing $exe (run without --no-build)" >&2; exit 1; }
done

# 1,000 client streams + 1,000 upstream connections in Keygate, plus the pools.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((STREAMS * 2 + 512)) ]; then
  echo "ulimit -n is $(ulimit -n): too low for $STREAMS streams" >&2
  exit 1
fi

WORK="$(mktemp -d)"
mkdir -p "$OUT"
FAKE_PID=""
KG_PID=""
LG_PID=""
cleanup() {
  for pid in $LG_PID $KG_PID $FAKE_PID; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in $LG_PID $KG_PID $FAKE_PID; do
    wait "$pid" 2>/dev/null || true
  done
  if [ "$KEEP" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits up to 20 s for a line matching $2 in file $1 and prints it.
wait_for_line() {
  for _ in $(seq 200); do
    if line="$(grep -m1 -E "$2" "$1" 2>/dev/null)"; then
      printf '%s\n' "$line"
      return 0
    fi
    sleep 0.1
  done
  echo "timed out waiting for '$2' in $1:" >&2
  cat "$1" >&2
  return 1
}

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# --- fake provider ------------------------------------------------------------------------
"$FAKE" --addr 127.0.0.1:0 --threads "$FAKE_THREADS" >"$WORK/fake.log" 2>&1 &
FAKE_PID=$!
FAKE_URL="$(wait_for_line "$WORK/fake.log" 'listening on http://' | grep -oE 'http://[0-9.:]+')"
echo "==> fake provider at $FAKE_URL (pid $FAKE_PID)" >&2

# --- Keygate --------------------------------------------------------------------------------
export KEYGATE_DATA_DIR="$WORK/data" KEYGATE_ADDR=127.0.0.1:0 \
  KEYGATE_OPENAI_BASE_URL="$FAKE_URL/v1" KEYGATE_ALLOW_PRIVATE_UPSTREAMS=true \
  LEPTOS_SITE_ROOT="$ROOT/target/site"
unset RUST_LOG KEYGATE_DATABASE_URL
printf '%s\n' "$PASSWORD" | "$KG" org create --name Bench --owner-email owner@bench.test >/dev/null
PROJECT_ID="$("$KG" project create --name Bench --json | jq -r .id)"
printf '%s\n' "$PROVIDER_KEY" | "$KG" key create Bench openai --name bench >/dev/null
"$KG" serve >"$WORK/keygate.log" 2>&1 &
KG_PID=$!
KG_ADDR="$(wait_for_line "$WORK/keygate.log" 'Keygate is listening' | grep -oE 'addr=[0-9.:]+' | cut -d= -f2)"
KG_URL="http://$KG_ADDR"
echo "==> keygate at $KG_URL (pid $KG_PID), project $PROJECT_ID" >&2

if KEY_JSON="$("$KG" token create --project Bench --name bench --json 2>"$WORK/token.err")"; then
  KG_KEY="$(jq -r .key <<<"$KEY_JSON")"
else
  # Older builds without `keygate token create --project`: the REST API, signed in as the owner.
  echo "    (token create failed: $(head -c 200 "$WORK/token.err"); using the REST API)" >&2
  curl -fsS -c "$WORK/cookies" -H 'content-type: application/json' \
    -d "{\"email\":\"owner@bench.test\",\"password\":\"$PASSWORD\"}" "$KG_URL/api/auth/login" >/dev/null
  KG_KEY="$(curl -fsS -b "$WORK/cookies" -H 'content-type: application/json' \
    -d "{\"projectId\":$PROJECT_ID,\"name\":\"bench\"}" "$KG_URL/api/admin/virtual-keys" | jq -r .key)"
fi
case "$KG_KEY" in sk-proxy-*) ;; *) echo "no Keygate key (got '$KG_KEY')" >&2; exit 1 ;; esac

# One request through Keygate end to end before measuring anything.
curl -fsS -H "authorization: Bearer $KG_KEY" -H 'content-type: application/json' \
  -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}' \
  "$KG_URL/v1/chat/completions" | jq -e '.usage.prompt_tokens == 11' >/dev/null
sleep 1
RSS_IDLE="$(rss_kib "$KG_PID")"

DIRECT=(--url "$FAKE_URL/v1/chat/completions" --key "$PROVIDER_KEY" --threads "$LOADGEN_THREADS" --clk-tck "$CLK_TCK")
VIA=(--url "$KG_URL/v1/chat/completions" --key "$KG_KEY" --threads "$LOADGEN_THREADS" --clk-tck "$CLK_TCK" --pid "$KG_PID")

echo "==> a) open loop, $RATE req/s × ${DURATION} s (+${WARMUP} s warm-up)" >&2
"$LOADGEN" open "${DIRECT[@]}" --label direct --rate "$RATE" --duration "$DURATION" --warmup "$WARMUP" >"$OUT/open-direct.json"
"$LOADGEN" open "${VIA[@]}" --label keygate --rate "$RATE" --duration "$DURATION" --warmup "$WARMUP" >"$OUT/open-keygate.json"

echo "==> b) closed loop, $CONCURRENCY workers × ${DURATION} s" >&2
"$LOADGEN" closed "${DIRECT[@]}" --label direct --concurrency "$CONCURRENCY" --duration "$DURATION" --warmup "$WARMUP" >"$OUT/closed-direct.json"
"$LOADGEN" closed "${VIA[@]}" --label keygate --concurrency "$CONCURRENCY" --duration "$DURATION" --warmup "$WARMUP" >"$OUT/closed-keygate.json"
sleep 1
RSS_AFTER_LOAD="$(rss_kib "$KG_PID")"

echo "==> e) $STREAMS concurrent streams at $OPEN_RATE/s, held ${HOLD} s" >&2
STREAM_ARGS=(--streams "$STREAMS" --open-rate "$OPEN_RATE" --model "gpt-4o-mini-hold-${HOLD}s")
"$LOADGEN" stream "${DIRECT[@]}" --label direct "${STREAM_ARGS[@]}" >"$OUT/stream-direct.json"
rm -f "$WORK/ready"
"$LOADGEN" stream "${VIA[@]}" --label keygate "${STREAM_ARGS[@]}" --ready-file "$WORK/ready" --ready-wait 1 \
  >"$OUT/stream-keygate.json" &
LG_PID=$!
RSS_STREAMS=""
while kill -0 "$LG_PID" 2>/dev/null; do
  if [ -f "$WORK/ready" ]; then
    RSS_STREAMS="$(rss_kib "$KG_PID")"
    OPEN_SOCKETS="$(find "/proc/$KG_PID/fd" -lname 'socket:*' 2>/dev/null | wc -l)"
    break
  fi
  sleep 0.05
done
wait "$LG_PID"
LG_PID=""
RSS_END="$(rss_kib "$KG_PID")"
HWM="$(awk '/^VmHWM:/ {print $2}' "/proc/$KG_PID/status")"

# --- report ---------------------------------------------------------------------------------
j() { jq -r "$2" "$OUT/$1.json"; }
for f in open-direct open-keygate closed-direct closed-keygate stream-direct stream-keygate; do
  errs="$(j "$f" .errors)"
  [ "$errs" = 0 ] || echo "WARNING: $f had $errs errors: $(j "$f" '.error_examples | join(" | ")')" >&2
done
ms() { awk -v us="$1" 'BEGIN { printf "%.3f", us / 1000 }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t) ? "PASS" : "MISS" }'; }

D50="$(j open-direct .latency.p50_us)"; D99="$(j open-direct .latency.p99_us)"
K50="$(j open-keygate .latency.p50_us)"; K99="$(j open-keygate .latency.p99_us)"
A50="$(awk -v a="$K50" -v b="$D50" 'BEGIN { print a - b }')"
A99="$(awk -v a="$K99" -v b="$D99" 'BEGIN { print a - b }')"
CPU_OPEN="$(j open-keygate .cpu.cpu_us_per_request)"
CPU_CLOSED="$(j closed-keygate .cpu.cpu_us_per_request)"
SD50="$(j stream-direct .ttfb.p50_us)"; SD99="$(j stream-direct .ttfb.p99_us)"
SK50="$(j stream-keygate .ttfb.p50_us)"; SK99="$(j stream-keygate .ttfb.p99_us)"
STREAM_LIMIT_KIB=62500 # 64 MB
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

{
  echo "Keygate proxy benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average (1/5/15 min) before: $LOAD_BEFORE, after: $LOAD_AFTER"
  echo
  echo "| measure | direct to fake | through Keygate | added by Keygate | target | result |"
  echo "|---|---|---|---|---|---|"
  echo "| requests/s achieved (open loop, offered $RATE) | $(j open-direct .achieved_rps) | $(j open-keygate .achieved_rps) | | | |"
  echo "| latency p50 at $RATE req/s | $(ms "$D50") ms | $(ms "$K50") ms | $(ms "$A50") ms | ≤ 0.1 ms | $(verdict "$A50" 100) |"
  echo "| latency p99 at $RATE req/s | $(ms "$D99") ms | $(ms "$K99") ms | $(ms "$A99") ms | ≤ 0.5 ms | $(verdict "$A99" 500) |"
  echo "| latency p90 / max at $RATE req/s | $(ms "$(j open-direct .latency.p90_us)") / $(ms "$(j open-direct .latency.max_us)") ms | $(ms "$(j open-keygate .latency.p90_us)") / $(ms "$(j open-keygate .latency.max_us)") ms | | | |"
  echo "| max throughput (closed loop, $CONCURRENCY workers) | $(j closed-direct .achieved_rps) req/s | $(j closed-keygate .achieved_rps) req/s | | | |"
  echo "| Keygate CPU per request at $RATE req/s | | $(j open-keygate .cpu.cpu_us_per_request) µs ($(j open-keygate .cpu.ticks) ticks / $(j open-keygate .cpu.requests) req) | | ≤ 50 µs | $(verdict "$CPU_OPEN" 50) |"
  echo "| Keygate CPU per request at max throughput | | $(j closed-keygate .cpu.cpu_us_per_request) µs ($(j closed-keygate .cpu.ticks) ticks / $(j closed-keygate .cpu.requests) req) | | ≤ 50 µs | $(verdict "$CPU_CLOSED" 50) |"
  echo "| Keygate RSS idle / after load | | $(mib "$RSS_IDLE") / $(mib "$RSS_AFTER_LOAD") MiB | | | |"
  echo "| stream TTFB p50 ($STREAMS streams at $OPEN_RATE/s) | $(ms "$SD50") ms | $(ms "$SK50") ms | $(ms "$(awk -v a="$SK50" -v b="$SD50" 'BEGIN { print a - b }')") ms | | |"
  echo "| stream TTFB p99 | $(ms "$SD99") ms | $(ms "$SK99") ms | $(ms "$(awk -v a="$SK99" -v b="$SD99" 'BEGIN { print a - b }')") ms | | |"
  echo "| streams completed (data: [DONE]) | $(j stream-direct .completed) / $STREAMS | $(j stream-keygate .completed) / $STREAMS | | | |"
  echo "| Keygate RSS with $STREAMS streams open | | $(mib "${RSS_STREAMS:-0}") MiB ($((${OPEN_SOCKETS:-0})) sockets) | | ≤ 64 MB | $(verdict "${RSS_STREAMS:-999999999}" "$STREAM_LIMIT_KIB") |"
  echo "| Keygate RSS after the streams / peak (VmHWM) | | $(mib "$RSS_END") / $(mib "$HWM") MiB | | | |"
} | tee "$OUT/table.md"
