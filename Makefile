# Botme: the two commands a newcomer needs are `make run` and `make test`.
# Both install what they lack, idempotently, on a machine that has only the
# Rust toolchain and Debian's package manager.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

CARGO_LEPTOS_VERSION := 0.3.10
# wasm-bindgen-cli must match the wasm-bindgen library in Cargo.lock exactly.
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/ { getline; gsub(/"/, "", $$3); print $$3; exit }' Cargo.lock)

CARGO_BIN := $(HOME)/.cargo/bin
NODE_BIN := $(CURDIR)/end2end/node_modules/.bin
export PATH := $(CARGO_BIN):$(NODE_BIN):$(PATH)

# apt needs root; use sudo when not root and it exists.
SUDO := $(shell if [ "$$(id -u)" != 0 ] && command -v sudo >/dev/null; then echo sudo; fi)
APT := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get

.PHONY: help run build test test-rust test-e2e lint bench faults fuzz deps deps-rust deps-node deps-nodejs deps-chromium deps-postgres deps-wrk clean

help:
	@echo "make run    build in release mode and serve at http://127.0.0.1:3000 (SQLite in data/)"
	@echo "make test   every test tier: lint, unit, HTTP, store contract on SQLite and PostgreSQL, browser"
	@echo "make bench  performance report"
	@echo "make faults the fault suite at full size: Graph API faults, SQLite busy, PostgreSQL restarts, kill -9 in a 10,000-event replay"
	@echo "make fuzz   fuzz every parser of untrusted input, FUZZ_EXECS (1000000) runs per target"

## ---------------------------------------------------------------- install

deps: deps-rust deps-node deps-chromium deps-postgres

deps-rust:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown \
		|| rustup target add wasm32-unknown-unknown
	@if ! cargo leptos --version 2>/dev/null | grep -q "$(CARGO_LEPTOS_VERSION)"; then \
		echo "installing cargo-leptos $(CARGO_LEPTOS_VERSION)"; \
		cargo install --locked cargo-leptos --version $(CARGO_LEPTOS_VERSION); \
	fi
	@if ! wasm-bindgen --version 2>/dev/null | grep -q " $(WASM_BINDGEN_VERSION)$$"; then \
		echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION)"; \
		cargo install --locked --force wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) \
		|| CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback \
		   cargo install --force wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); \
	fi

# Playwright and binaryen (whose wasm-opt release builds need), pinned by
# end2end/package-lock.json, run by Node from Debian when none is installed.
deps-node: deps-nodejs end2end/node_modules/.installed

deps-nodejs:
	@command -v npm >/dev/null || { \
		echo "installing Debian's nodejs and npm"; \
		$(APT) install -y nodejs npm || { $(APT) update && $(APT) install -y nodejs npm; }; }

end2end/node_modules/.installed: end2end/package.json end2end/package-lock.json | deps-nodejs
	cd end2end && npm ci --no-audit --no-fund
	touch $@

deps-chromium:
	@command -v chromium >/dev/null || { \
		echo "installing Debian's chromium"; \
		$(APT) install -y chromium || { $(APT) update && $(APT) install -y chromium; }; }

# The HTTP load generator of `make bench`.
deps-wrk:
	@command -v wrk >/dev/null || { \
		echo "installing Debian's wrk"; \
		$(APT) install -y wrk || { $(APT) update && $(APT) install -y wrk; }; }

deps-postgres:
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		echo "installing postgresql"; \
		$(APT) install -y postgresql || { $(APT) update && $(APT) install -y postgresql; }; }

## ---------------------------------------------------------------- run

build: deps-rust deps-node
	cargo leptos build --release

run: build
	mkdir -p data
	./target/release/server

## ---------------------------------------------------------------- test

test: deps lint test-rust test-e2e
	@echo "all test tiers passed"

lint:
	cargo fmt --all -- --check
	cargo clippy -p app -p server --all-targets --locked -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown --locked -- -D warnings

# Unit, HTTP (SQLite) and store-contract tests (SQLite and PostgreSQL), with
# a throwaway PostgreSQL server started for the run and removed after.
# Never `--workspace`: the frontend's `hydrate` feature must not be unified
# into the server build.
# Includes a short pass of the fault suite (`make faults`): 1,000 deliveries,
# 3 kills.
# And a short fuzz pass (`make fuzz`): 10,000 inputs per fuzz target.
test-rust: deps-postgres
	FAULTS_EVENTS=1000 FAULTS_KILLS=3 \
		server/tests/support/with-postgres.sh cargo test -p app -p server --locked

# The browser tier: a debug build of the site, served on a fresh database.
test-e2e: deps-rust deps-node deps-chromium
	cargo leptos build
	cd end2end && npx playwright test

## ---------------------------------------------------------------- fuzz

# Each parser of untrusted input (Messenger and WhatsApp webhook bodies,
# web-chat messages, flow documents, product CSV, decimal and money answers)
# runs FUZZ_EXECS generated and mutated inputs in a release build; one line
# per target gives executions, time and crashes. A crash prints its input
# (and how to run it again) and fails the run. Stable Rust has no
# libFuzzer, so the harness is our own: app/tests/fuzz/harness.rs.
FUZZ_EXECS ?= 1000000
FUZZ_SEED ?= $(shell date +%s)

fuzz:
	FUZZ_EXECS=$(FUZZ_EXECS) FUZZ_SEED=$(FUZZ_SEED) \
		cargo test --release --locked --no-fail-fast -p app -p server --test fuzz

## ---------------------------------------------------------------- faults

# The fault suite (server/tests/faults.rs): real server processes, a faulty
# fake Graph API and a replay of shoppers buying through the shop template,
# 30% of deliveries duplicates, under Graph API hangs, resets, 5xx, 429 and
# refused connections; SQLite's write lock held by another connection;
# PostgreSQL restarted under load; and kill -9 at FAULTS_KILLS random points
# of a FAULTS_EVENTS-delivery replay. One table: events acknowledged, lost,
# duplicate replies, duplicate orders. FAULTS_SEED repeats a run.
FAULTS_EVENTS ?= 10000
FAULTS_KILLS ?= 10

faults: deps-postgres
	FAULTS_EVENTS=$(FAULTS_EVENTS) FAULTS_KILLS=$(FAULTS_KILLS) \
		server/tests/support/with-postgres.sh cargo test -p server --locked --test faults

## ---------------------------------------------------------------- bench

# Criterion benchmarks, the release server under wrk and an open-loop turn
# generator (server pinned to core 0, load on core 1; on SQLite, then on a
# throwaway PostgreSQL), and the editor in Chromium on the release build.
# Each line reports a rate or ratio measured in this run.
bench: deps-rust deps-node deps-chromium deps-wrk deps-postgres
	cargo bench -p app --bench interpreter --locked -- --noplot 2>&1 | tee target/bench-interpreter.txt
	cargo leptos build --release
	cargo bench -p server --bench pipeline --locked 2>&1 | tee target/bench-pipeline.txt
	-BOTME_BENCH_PG=1 server/tests/support/with-postgres.sh \
		cargo bench -p server --bench pipeline --locked 2>&1 | tee target/bench-pipeline-pg.txt
	cargo bench -p server --bench inbox --locked 2>&1 | tee target/bench-inbox.txt
	-BOTME_BENCH_PG=1 server/tests/support/with-postgres.sh \
		cargo bench -p server --bench inbox --locked 2>&1 | tee target/bench-inbox-pg.txt
	cd end2end && npx playwright test -c playwright.bench.config.ts
	@echo
	@echo "== report =="
	@sed -n '/== pipeline benchmark/,$$p' target/bench-pipeline.txt
	@sed -n '/== pipeline benchmark/,$$p' target/bench-pipeline-pg.txt 2>/dev/null || true
	@sed -n '/== inbox benchmark/,$$p' target/bench-inbox.txt
	@sed -n '/== inbox benchmark/,$$p' target/bench-inbox-pg.txt 2>/dev/null || true
	@cat target/bench-editor.txt
	@awk '/^interpreter\/shop_purchase_steps/ {name=$$1} /thrpt:/ && name {unit=$$5; sub("Kelem/s", "thousand steps/s", unit); sub("Melem/s", "million steps/s", unit); sub("elem/s", "steps/s", unit); print "interpreter, shop template purchase: " $$4 " " unit " (median)"; name=""}' target/bench-interpreter.txt

clean:
	cargo clean
	rm -rf end2end/node_modules end2end/test-results
