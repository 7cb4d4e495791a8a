#!/usr/bin/env bash
# Keygate development/CI set-up.
#
# Idempotent: every step first checks whether its tool is already present and in the
# right version, and only installs what is missing. On a warm machine it takes seconds.
#
# Installs (when missing):
#   - rustup target wasm32-unknown-unknown
#   - cargo-leptos 0.3.10 (built with `no_downloads`: it never fetches tools itself)
#   - wasm-bindgen-cli, same version as the `wasm-bindgen` crate in Cargo.lock
#   - wasm-opt (npm `binaryen@132`) into ./.tools/node_modules (the Makefile puts
#     ./.tools/node_modules/.bin on PATH)
#   - Debian chromium at /usr/bin/chromium (Playwright cannot download browsers here)
#   - the end2end npm packages (without Playwright's browser download)
#   - a Python venv at ./.tools/pyenv with pinned `openai` and `anthropic` SDKs, for
#     scripts/sdk_check.py (run it as .tools/pyenv/bin/python scripts/sdk_check.py)
#   - PostgreSQL on 127.0.0.1:5432, reachable as
#     postgres://postgres:keygate@127.0.0.1:5432/postgres
#
# Nothing is exported to the caller. If another process is already installing one of
# these tools (a background `cargo install`, apt-get, dpkg), this script waits for it
# instead of starting a second, concurrent install.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CARGO_LEPTOS_VERSION="0.3.10"
BINARYEN_MAJOR="132"
OPENAI_PY_VERSION="3.57.0"
ANTHROPIC_PY_VERSION="2.14.0"
PG_URL="postgres://postgres:keygate@127.0.0.1:5432/postgres"
TOOLS_DIR="$ROOT/.tools"

export PATH="$HOME/.cargo/bin:$TOOLS_DIR/node_modules/.bin:$PATH"
export DEBIAN_FRONTEND=noninteractive

ok() { printf 'ok: %s\n' "$*"; }
doing() { printf '%s\n' "--> $*"; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

# Wait while a process whose command line matches the (extended regex) pattern runs.
wait_for_process() {
    local pattern="$1" what="$2" announced=""
    while pgrep -f "$pattern" >/dev/null 2>&1; do
        if [[ -z "$announced" ]]; then
            doing "waiting for a running $what to finish"
            announced=1
        fi
        sleep 5
    done
}

wait_for_apt() {
    wait_for_process '(^|/)(apt-get|apt|dpkg|unattended-upgrade)( |$)' "apt-get/dpkg"
}

APT_UPDATED=""
apt_install() {
    [[ $EUID -eq 0 ]] || die "need root to apt-get install $*"
    wait_for_apt
    if [[ -z "$APT_UPDATED" ]]; then
        doing "apt-get update"
        apt-get -o DPkg::Lock::Timeout=600 update -qq
        APT_UPDATED=1
    fi
    doing "apt-get install $*"
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$@" >/dev/null
}

# Build a command-line tool without LTO, with 16 codegen units and opt-level 2 in
# place of the crate's own release profile (which may ask for fat LTO): quicker to
# compile (cargo-leptos: 9 min 55 s against ≈ 13 min here), and fast enough for their job.
quick_tool_profile() {
    CARGO_PROFILE_RELEASE_LTO=off \
        CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
        CARGO_PROFILE_RELEASE_OPT_LEVEL=2 \
        "$@"
}

# --- Rust ----------------------------------------------------------------------------
command -v rustup >/dev/null 2>&1 || die "rustup not found (install Rust via rustup first)"
command -v cargo >/dev/null 2>&1 || die "cargo not found"

if rustup target list --installed | grep -qx 'wasm32-unknown-unknown'; then
    ok "rust target wasm32-unknown-unknown present"
else
    doing "rustup target add wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown
    ok "rust target wasm32-unknown-unknown installed"
fi

cargo_leptos_ok() {
    cargo leptos --version 2>/dev/null | grep -qw "$CARGO_LEPTOS_VERSION"
}
if ! cargo_leptos_ok; then
    wait_for_process 'cargo install .*cargo-leptos' "cargo install cargo-leptos"
fi
if cargo_leptos_ok; then
    ok "cargo-leptos $CARGO_LEPTOS_VERSION present"
else
    doing "cargo install cargo-leptos $CARGO_LEPTOS_VERSION (takes several minutes)"
    # cargo-leptos's own release profile is fat LTO with one codegen unit: ~13 min on two
    # cores, most of CI's cold set-up. It only orchestrates builds (its heavy lifting is
    # rustc, wasm-bindgen and wasm-opt), so a quicker-to-build profile costs nothing.
    quick_tool_profile cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
    cargo_leptos_ok || die "cargo-leptos $CARGO_LEPTOS_VERSION still not available"
    ok "cargo-leptos $CARGO_LEPTOS_VERSION installed"
fi

# The CLI must match the wasm-bindgen crate version exactly, so read it from Cargo.lock.
WASM_BINDGEN_VERSION="$(awk '
    /^\[\[package\]\]/ { in_pkg = 0 }
    /^name = "wasm-bindgen"$/ { in_pkg = 1 }
    in_pkg && /^version = / { gsub(/"/, "", $3); print $3; exit }
' Cargo.lock)"
[[ -n "$WASM_BINDGEN_VERSION" ]] || die "could not find the wasm-bindgen version in Cargo.lock"

wasm_bindgen_ok() {
    [[ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" == "$WASM_BINDGEN_VERSION" ]]
}
if ! wasm_bindgen_ok; then
    wait_for_process 'cargo install .*wasm-bindgen-cli' "cargo install wasm-bindgen-cli"
fi
if wasm_bindgen_ok; then
    ok "wasm-bindgen-cli $WASM_BINDGEN_VERSION present"
else
    doing "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION"
    # Not --locked: the CLI's own lock file pins crates that may not build on this rustc.
    quick_tool_profile cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
    wasm_bindgen_ok || die "wasm-bindgen-cli $WASM_BINDGEN_VERSION still not available"
    ok "wasm-bindgen-cli $WASM_BINDGEN_VERSION installed"
fi

# --- Node tools ----------------------------------------------------------------------
if ! command -v npm >/dev/null 2>&1; then
    apt_install nodejs npm
fi

binaryen_ok() {
    [[ -x "$TOOLS_DIR/node_modules/.bin/wasm-opt" ]] &&
        [[ "$(node -p "require('$TOOLS_DIR/node_modules/binaryen/package.json').version" 2>/dev/null)" == "$BINARYEN_MAJOR".* ]]
}
if binaryen_ok; then
    ok "wasm-opt (binaryen $BINARYEN_MAJOR) present in .tools"
else
    doing "npm install binaryen@$BINARYEN_MAJOR into .tools"
    mkdir -p "$TOOLS_DIR"
    [[ -f "$TOOLS_DIR/package.json" ]] || printf '{ "private": true }\n' >"$TOOLS_DIR/package.json"
    npm install --prefix "$TOOLS_DIR" --no-audit --no-fund --loglevel=error "binaryen@$BINARYEN_MAJOR" >/dev/null
    binaryen_ok || die "wasm-opt still missing after npm install"
    ok "wasm-opt (binaryen $BINARYEN_MAJOR) installed in .tools"
fi

# --- Chromium for Playwright -----------------------------------------------------------
if [[ ! -x /usr/bin/chromium ]]; then
    # Another apt-get may be installing it right now; wait and re-check first.
    wait_for_apt
fi
if [[ -x /usr/bin/chromium ]]; then
    ok "chromium present at /usr/bin/chromium"
else
    apt_install chromium
    [[ -x /usr/bin/chromium ]] || die "/usr/bin/chromium still missing"
    ok "chromium installed"
fi

# --- end2end npm packages ------------------------------------------------------------
E2E_DIR="$ROOT/end2end"
E2E_STAMP="$E2E_DIR/node_modules/.keygate-install-stamp"
if [[ -f "$E2E_DIR/package-lock.json" ]]; then
    e2e_hash="$(cat "$E2E_DIR/package.json" "$E2E_DIR/package-lock.json" | sha256sum | cut -d' ' -f1)"
else
    e2e_hash="$(sha256sum <"$E2E_DIR/package.json" | cut -d' ' -f1)"
fi
if [[ -f "$E2E_STAMP" && "$(cat "$E2E_STAMP")" == "$e2e_hash" && -d "$E2E_DIR/node_modules/@playwright/test" ]]; then
    ok "end2end npm packages up to date"
else
    doing "installing end2end npm packages"
    if [[ -f "$E2E_DIR/package-lock.json" ]]; then
        (cd "$E2E_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    else
        (cd "$E2E_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error >/dev/null)
        e2e_hash="$(cat "$E2E_DIR/package.json" "$E2E_DIR/package-lock.json" | sha256sum | cut -d' ' -f1)"
    fi
    printf '%s\n' "$e2e_hash" >"$E2E_STAMP"
    ok "end2end npm packages installed"
fi

# --- Python SDKs for scripts/sdk_check.py ---------------------------------------------
PYENV_DIR="$TOOLS_DIR/pyenv"
PY_SDKS_WANTED="openai==$OPENAI_PY_VERSION anthropic==$ANTHROPIC_PY_VERSION"
py_sdks_installed() {
    "$PYENV_DIR/bin/python" - 2>/dev/null <<'PY'
from importlib.metadata import version
print(f"openai=={version('openai')} anthropic=={version('anthropic')}")
PY
}
python_can_venv() {
    "$1" -c 'import venv, ensurepip' >/dev/null 2>&1
}
if [[ "$(py_sdks_installed)" == "$PY_SDKS_WANTED" ]]; then
    ok "python venv with $PY_SDKS_WANTED present in .tools/pyenv"
else
    if ! "$PYENV_DIR/bin/python" -m pip --version >/dev/null 2>&1; then
        PYTHON="$(command -v python3 || true)"
        if [[ -z "$PYTHON" ]] || ! python_can_venv "$PYTHON"; then
            apt_install python3 python3-venv
            PYTHON=/usr/bin/python3
        fi
        python_can_venv "$PYTHON" || die "$PYTHON cannot create a venv (python3-venv missing?)"
        doing "python3 -m venv .tools/pyenv"
        rm -rf "$PYENV_DIR"
        "$PYTHON" -m venv "$PYENV_DIR"
    fi
    doing "pip install $PY_SDKS_WANTED into .tools/pyenv"
    # shellcheck disable=SC2086 # two requirement words
    "$PYENV_DIR/bin/python" -m pip install --quiet --disable-pip-version-check $PY_SDKS_WANTED
    [[ "$(py_sdks_installed)" == "$PY_SDKS_WANTED" ]] || die "python SDKs still not at $PY_SDKS_WANTED"
    ok "python venv with $PY_SDKS_WANTED installed in .tools/pyenv"
fi

# --- PostgreSQL ----------------------------------------------------------------------
pg_ready() {
    command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432
}
pg_cluster_version() {
    # Newest cluster version that has a "main" cluster, e.g. "15".
    local d
    for d in /etc/postgresql/*/main; do
        if [[ -d "$d" ]]; then basename "$(dirname "$d")"; fi
    done | sort -V | tail -n1
}
pg_start() {
    local v
    v="$(pg_cluster_version)"
    [[ -n "$v" ]] || die "no PostgreSQL cluster found in /etc/postgresql"
    doing "starting PostgreSQL $v/main"
    pg_ctlcluster --skip-systemctl-redirect "$v" main start || true
    for _ in $(seq 1 60); do
        pg_ready && return 0
        sleep 0.5
    done
    die "PostgreSQL $v/main did not become ready on 127.0.0.1:5432"
}
pg_url_works() {
    psql "$PG_URL" -qtAc 'select 1' >/dev/null 2>&1
}

if pg_ready; then
    ok "PostgreSQL accepting connections on 127.0.0.1:5432"
else
    if [[ -z "$(pg_cluster_version)" ]]; then
        wait_for_apt
    fi
    if [[ -z "$(pg_cluster_version)" ]]; then
        apt_install postgresql
    fi
    # The package's own start may have worked (or failed without systemd); check again.
    pg_ready || pg_start
    ok "PostgreSQL started on 127.0.0.1:5432"
fi

if pg_url_works; then
    ok "PostgreSQL reachable as $PG_URL"
else
    doing "setting the postgres role's password"
    (cd / && su postgres -c "psql -q -v ON_ERROR_STOP=1 -c \"ALTER ROLE postgres WITH PASSWORD 'keygate'\"") >/dev/null
    pg_url_works || die "cannot connect to $PG_URL (check listen_addresses and pg_hba.conf)"
    ok "PostgreSQL reachable as $PG_URL"
fi
