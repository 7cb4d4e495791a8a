#!/usr/bin/env bash
# `make fuzz`: runs every cargo-fuzz target in fuzz/ for a fixed time and prints, per target,
# the inputs executed and the crashes found.
#
#   FUZZ_SECONDS=60        seconds per target (libFuzzer's -max_total_time)
#   FUZZ_SANITIZER=address address | none (cargo fuzz --sanitizer)
#   scripts/fuzz.sh [TARGET...]   only these targets
#
# cargo-fuzz needs nightly-only flags (-Zsanitizer, -Cpasses=sancov-module); the toolchain
# here is stable, so the fuzz build runs with RUSTC_BOOTSTRAP=1. That is confined to this
# script and to fuzz/ (a separate workspace with its own target dir, fuzz/target): the main
# workspace's builds are untouched. The seeds in fuzz/corpus/<target>/ are read only; inputs
# libFuzzer finds go to fuzz/target/corpus/<target>/, crashes to fuzz/artifacts/<target>/.
# Exits non-zero if any target crashed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_FUZZ_VERSION="0.13.2"
FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
FUZZ_SANITIZER="${FUZZ_SANITIZER:-address}"
ALL_TARGETS=(key_format vault_envelope sse_parser request_mappers url_guard)
if [[ $# -gt 0 ]]; then
    TARGETS=("$@")
else
    TARGETS=("${ALL_TARGETS[@]}")
fi

export PATH="$HOME/.cargo/bin:$PATH"

# Same style as scripts/setup.sh: install only when missing or in another version.
installed="$(cargo fuzz --version 2>/dev/null | awk '{print $2}' || true)"
if [[ "$installed" == "$CARGO_FUZZ_VERSION" ]]; then
    printf 'ok: %s\n' "cargo-fuzz $CARGO_FUZZ_VERSION present"
else
    printf '%s\n' "--> cargo install cargo-fuzz $CARGO_FUZZ_VERSION (found: ${installed:-none})"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

cd "$ROOT/fuzz"
# The main workspace's RUSTFLAGS (e.g. --cfg erase_components from the Makefile) must not leak
# into this build; cargo fuzz sets its own.
unset RUSTFLAGS CARGO_TARGET_DIR
export RUSTC_BOOTSTRAP=1

printf '\n==> cargo fuzz build (sanitizer: %s)\n' "$FUZZ_SANITIZER"
cargo fuzz build --sanitizer "$FUZZ_SANITIZER"

count_artifacts() {
    local dir="$ROOT/fuzz/artifacts/$1"
    [[ -d "$dir" ]] || {
        echo 0
        return
    }
    find "$dir" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' -o -name 'leak-*' \) | wc -l
}

LOGS="$ROOT/fuzz/target/fuzz-logs"
mkdir -p "$LOGS"
results=()
failed=0
for target in "${TARGETS[@]}"; do
    work="$ROOT/fuzz/target/corpus/$target"
    seeds="$ROOT/fuzz/corpus/$target"
    mkdir -p "$work" "$seeds" "$ROOT/fuzz/artifacts/$target"
    before="$(count_artifacts "$target")"
    log="$LOGS/$target.log"
    printf '\n==> fuzz %s for %ss (log: %s)\n' "$target" "$FUZZ_SECONDS" "${log#"$ROOT"/}"
    start="$(date +%s)"
    status=0
    cargo fuzz run --sanitizer "$FUZZ_SANITIZER" "$target" "$work" "$seeds" -- \
        -max_total_time="$FUZZ_SECONDS" -timeout=10 -print_final_stats=1 >"$log" 2>&1 ||
        status=$?
    elapsed=$(($(date +%s) - start))
    execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)"
    if [[ -z "$execs" ]]; then
        execs="$(grep -oE '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 | grep -oE '[0-9]+' || true)"
    fi
    crashes=$(($(count_artifacts "$target") - before))
    if [[ $status -ne 0 && $crashes -eq 0 ]]; then
        # A failure without an artifact (build error, libFuzzer usage error): show it.
        tail -20 "$log" >&2
        crashes="error (exit $status)"
        failed=1
    elif [[ $crashes -ne 0 ]]; then
        grep -E 'panicked at|SUMMARY|Test unit written' "$log" | head -5 >&2 || true
        failed=1
    fi
    printf '<== %s: %s executions, %s crashes (%ss)\n' "$target" "${execs:-?}" "$crashes" "$elapsed"
    results+=("$(printf '%-16s %8s %14s  %s' "$target" "$elapsed" "${execs:-?}" "$crashes")")
done

printf '\n%-16s %8s %14s  %s\n' target seconds executions crashes
printf '%s\n' "${results[@]}"
if [[ $failed -ne 0 ]]; then
    printf '\nSome targets crashed: the inputs are in fuzz/artifacts/<target>/; reproduce one with\n' >&2
    printf '  (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run <target> <artifact>)\n' >&2
    exit 1
fi
