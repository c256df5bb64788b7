#!/usr/bin/env bash
# Builds once and runs every test: the wheel that ships (scripts/wheel.sh checks its
# manylinux2014 tag with auditwheel), style checks, stubtest of the installed extension
# against its stub, the sdist built offline from its own contents, the Rust core's tests,
# then pytest against the installed wheel (interop with DCMTK and pynetdicom, the wheel in
# clean venvs of the other CPythons, every README/docs code block).
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

echo "== types"
# From outside the repo, so `fastdimse` is the installed wheel, not python/.
PY_ABS=$("$PY" -c 'import sys; print(sys.executable)')
(cd / && "$PY_ABS" -m mypy.stubtest fastdimse._core)

echo "== sdist"
# Complete, and builds offline (cargo) from its own contents outside the repository.
./scripts/sdist.sh --build

echo "== cargo test"
cargo test --quiet

echo "== pytest"
"$PY" -m pytest -q tests

echo "== pynetdicom suite"
# pynetdicom's own tests against fastdimse (tests/pynetdicom_suite/README.md): any failure
# that docs/migration.md does not explain fails CI.
"$PY" tests/pynetdicom_suite/run.py
