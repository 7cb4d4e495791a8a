#!/usr/bin/env bash
# Measures the release server: idle RSS, then a burst of N concurrent sign-ins (default 200)
# against one account, reporting wall time, peak RSS (VmHWM) and the status codes returned.
# Also compares the latency of a wrong password with that of an unknown e-mail.
#
#   cargo leptos build --release && bench/login-burst.sh [N]
#
# Loopback only; the server runs on a temporary data dir and is stopped at the end.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${KEYGATE_BIN:-$ROOT/target/release/keygate}"
N="${1:-200}"
PORT="${PORT:-3211}"
BASE="http://127.0.0.1:$PORT"
DATA="$(mktemp -d)"
PASSWORD='benchmark password 123'
trap 'kill "$PID" 2>/dev/null || true; rm -rf "$DATA"' EXIT

export KEYGATE_DATA_DIR="$DATA" KEYGATE_ADDR="127.0.0.1:$PORT" LEPTOS_SITE_ROOT="$ROOT/target/site" RUST_LOG=warn
for who in bench b1 b2 b3; do
  echo "$PASSWORD" | "$BIN" admin create --org "Bench $who" --email "$who@bench.test" >/dev/null
done
"$BIN" >"$DATA/server.log" 2>&1 &
PID=$!
for _ in $(seq 100); do curl -fs "$BASE/login" -o /dev/null && break; sleep 0.1; done
sleep 2
rss_kib() { awk "/^$1:/ {print \$2}" "/proc/$PID/status"; }
echo "idle RSS: $(( $(rss_kib VmRSS) / 1024 )) MiB"

body="{\"email\":\"bench@bench.test\",\"password\":\"$PASSWORD\"}"
start=$(date +%s.%N)
seq "$N" | xargs -P "$N" -I{} curl -s -o /dev/null -w '%{http_code}\n' \
  -H 'content-type: application/json' -d "$body" "$BASE/api/auth/login" | sort | uniq -c | sed 's/^/  status /'
end=$(date +%s.%N)
printf 'burst of %d sign-ins: %.2f s wall, peak RSS %d MiB, RSS after %d MiB\n' "$N" \
  "$(echo "$end - $start" | bc)" $(( $(rss_kib VmHWM) / 1024 )) $(( $(rss_kib VmRSS) / 1024 ))

# Wrong password vs unknown e-mail: 12 attempts each (4 per existing account, under the
# 5-failure account limit; 24 failures in all, under the address limit of 50).
latencies() {
  for email in "$@"; do
    curl -s -o /dev/null -w '%{time_total}\n' -H 'content-type: application/json' \
      -d "{\"email\":\"$email\",\"password\":\"not the password\"}" "$BASE/api/auth/login"
  done | sort -n | awk '{a[NR]=$1} END {printf "median %.1f ms (min %.1f, max %.1f)", a[int((NR+1)/2)]*1000, a[1]*1000, a[NR]*1000}'
}
wrong=(); unknown=()
for who in b1 b2 b3; do for _ in 1 2 3 4; do wrong+=("$who@bench.test"); done; done
for i in $(seq 12); do unknown+=("nobody$i@bench.test"); done
echo "wrong password: $(latencies "${wrong[@]}")"
echo "unknown e-mail: $(latencies "${unknown[@]}")"
