# Keygate developer entry points.
#
#   make setup   install/verify the toolchain (idempotent, seconds when warm)
#   make run     build (release) and serve Keygate on http://127.0.0.1:3000 (SQLite in ./data)
#   make test    everything CI runs: fmt, clippy (host + wasm), cargo leptos build,
#                cargo test (SQLite + PostgreSQL), Playwright end-to-end tests
#   make e2e     only the Playwright suite (expects a previous `cargo leptos build`)
#   make bench   the proxy benchmark (release build, fake provider on loopback; see README)
#   make fuzz    the cargo-fuzz targets in fuzz/, FUZZ_SECONDS (default 60) each (see README)
#   make soak    a bounded soak of a real keygate process, SOAK_SECONDS (default 600; README)

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
export PATH := $(HOME)/.cargo/bin:$(ROOT)/.tools/node_modules/.bin:$(PATH)

KEYGATE_TEST_PG_URL ?= postgres://postgres:keygate@127.0.0.1:5432/postgres

# --- Build-cache alignment with cargo-leptos -------------------------------------------
# `cargo leptos build` (cargo-leptos 0.3.10, debug) runs
#   cargo build --package=server --bin=keygate --no-default-features
# with the environment from `Project::to_envs` (cargo-leptos-0.3.10/src/config/project.rs
# lines 235-299, used by src/compile/server.rs:130 and src/compile/front.rs:203):
# the LEPTOS_* variables below, and RUSTFLAGS="--cfg erase_components" (added for every
# non-release build unless `disable-erase-components` is set; rustflags already set in
# the environment or in a cargo config file are kept in front of it — this Makefile only
# handles the environment case, so keep `.cargo/config.toml` free of rustflags or add
# them to LEPTOS_RUSTFLAGS too). LEPTOS_WATCH is only set by
# `cargo leptos watch`, LEPTOS_HASH_FILE_NAME only with hash-files = true, and
# SERVER_FN_PREFIX / DISABLE_SERVER_FN_HASH / SERVER_FN_MOD_PATH only when configured.
#
# leptos and leptos_config read LEPTOS_OUTPUT_NAME with `option_env!` (leptos_macro and
# server_fn_macro read SERVER_FN_*), so cargo records those variables in the crates'
# fingerprints; RUSTFLAGS is part of every unit's fingerprint. If `cargo clippy` /
# `cargo test` ran without exactly these values, cargo would rebuild leptos and
# everything above it (for RUSTFLAGS: every crate) in place of cargo-leptos's artifacts,
# and the next `cargo leptos build` would rebuild them again. With the same values the
# plain cargo steps share artifacts with it. (Crates whose features differ under
# `cargo test` because of dev-dependencies, e.g. tokio/test-util, still get their own
# copies, but each is built once and then reused.) Values are for this workspace's
# [[workspace.metadata.leptos]] (name keygate, site-root target/site, site-pkg-dir pkg,
# site-addr 127.0.0.1:3000, reload-port 3001, lib-package frontend, bin-package server).
# They are also the leptos runtime defaults, so they do not change test behaviour.
# Keep them scoped to those commands: cargo-leptos itself reads LEPTOS_* overrides and
# RUSTFLAGS from the environment, and would then append a second --cfg erase_components.
LEPTOS_RUSTFLAGS := $(strip $(RUSTFLAGS) --cfg erase_components)
LEPTOS_ENV := env \
	LEPTOS_OUTPUT_NAME=keygate \
	LEPTOS_SITE_ROOT=target/site \
	LEPTOS_SITE_PKG_DIR=pkg \
	LEPTOS_SITE_ADDR=127.0.0.1:3000 \
	LEPTOS_RELOAD_PORT=3001 \
	LEPTOS_LIB_DIR=frontend \
	LEPTOS_BIN_DIR=server \
	LEPTOS_JS_MINIFY=false \
	LEPTOS_HASH_FILES=false \
	RUSTFLAGS="$(LEPTOS_RUSTFLAGS)"

# `--workspace` selects *all* members and ignores default-members, which would pull the
# wasm-only `frontend` crate into the host build (unifying app's `hydrate` and `ssr`
# features). Exclude it explicitly; it is linted separately for wasm32.
WORKSPACE := --workspace --exclude frontend

# Print a step banner and its duration.  $(call step,Title,command)
step = printf '\n==> %s\n' "$(1)"; _s=$$(date +%s); $(2); printf '<== %s (%ss)\n' "$(1)" "$$(( $$(date +%s) - _s ))"

# The test steps must run in order, even under `make -j`.
.NOTPARALLEL:

.PHONY: help setup run test test-steps fmt-check wasm-deps release clippy clippy-wasm build cargo-test e2e bench bench-insight fuzz soak

help:
	@echo "make setup | make run | make test | make e2e | make bench | make fuzz"

setup:
	@$(ROOT)/scripts/setup.sh

run: setup
	cargo leptos serve --release

# Wall-clock time of the whole run is printed whether it passes or fails.
test:
	@_start=$$(date +%s); rc=0; \
	$(MAKE) --no-print-directory -f $(firstword $(MAKEFILE_LIST)) test-steps || rc=$$?; \
	_t=$$(( $$(date +%s) - _start )); \
	if [ $$rc -eq 0 ]; then res=passed; else res=FAILED; fi; \
	printf '\nmake test %s in %dm%02ds (%ss wall clock)\n' "$$res" $$((_t / 60)) $$((_t % 60)) "$$_t"; \
	exit $$rc

test-steps: setup fmt-check wasm-deps clippy clippy-wasm build cargo-test e2e release

fmt-check:
	@$(call step,cargo fmt --check,cargo fmt --all -- --check)

# Server-only crates (SeaORM, the domain) must never reach the browser's WASM.
wasm-deps:
	@$(call step,no server crates in the WASM build,! cargo tree -p frontend --target wasm32-unknown-unknown -e normal -i sea-orm 2>/dev/null | grep -q . && ! cargo tree -p frontend --target wasm32-unknown-unknown -e normal -i domain 2>/dev/null | grep -q .)

clippy:
	@$(call step,cargo clippy (host),$(LEPTOS_ENV) cargo clippy $(WORKSPACE) --all-targets -- -D warnings)

clippy-wasm:
	@$(call step,cargo clippy (wasm32 frontend),$(LEPTOS_ENV) cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings)

build:
	@$(call step,cargo leptos build,cargo leptos build)

cargo-test:
	@$(call step,cargo test (SQLite + PostgreSQL),$(LEPTOS_ENV) KEYGATE_TEST_PG_URL=$(KEYGATE_TEST_PG_URL) cargo test $(WORKSPACE))

# The release build is what `make run` serves: prove it builds and report the WASM size.
release:
	@$(call step,cargo leptos build --release,cargo leptos build --release)
	@wasm=target/site/pkg/keygate.wasm; \
	printf 'release WASM: %d bytes raw, %d bytes gzip -9\n' "$$(stat -c %s $$wasm)" "$$(gzip -9 -c $$wasm | wc -c)"

e2e:
	@$(call step,playwright,cd end2end && npx playwright test)

# Not part of `make test`: figures depend on an otherwise idle machine.
bench: setup
	@$(ROOT)/bench/proxy-bench.sh

bench-insight: setup
	@$(ROOT)/bench/insight-bench.sh

# Not part of `make test` either: each target runs for FUZZ_SECONDS (default 60) and takes a
# core. Builds fuzz/ (its own workspace and target dir) with RUSTC_BOOTSTRAP=1; see the script.
fuzz:
	@$(ROOT)/scripts/fuzz.sh

# Not part of `make test` at full length (the suite runs the same soak for 20 s): mixed
# streaming/non-streaming calls with faults against a real process for SOAK_SECONDS.
SOAK_SECONDS ?= 600
soak: setup
	@$(call step,soak ($(SOAK_SECONDS) s),$(LEPTOS_ENV) KEYGATE_TEST_PG_URL=$(KEYGATE_TEST_PG_URL) KEYGATE_SOAK_SECONDS=$(SOAK_SECONDS) cargo test -p server --test it soak:: -- --nocapture)
