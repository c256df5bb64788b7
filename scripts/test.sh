#!/usr/bin/env bash
# Builds once and runs every test: style checks, the Rust core's tests, then pytest
# against the installed wheel (interop with DCMTK and pynetdicom included).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

./scripts/setup.sh
./scripts/build.sh

echo "== style"
cargo fmt --all -- --check
cargo clippy --quiet --all-targets -- -D warnings
cargo clippy --quiet --lib --features python -- -D warnings
"$PY" -m ruff check python tests benches

echo "== cargo test"
cargo test --quiet

echo "== pytest"
"$PY" -m pytest -q tests

echo "== pynetdicom suite"
# pynetdicom's own tests against fastdimse (tests/pynetdicom_suite/README.md): any failure
# that docs/migration.md does not explain fails CI.
"$PY" tests/pynetdicom_suite/run.py
