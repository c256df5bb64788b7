#!/usr/bin/env bash
# Builds the release wheel with maturin and installs it into the current Python.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
rm -f target/wheels/fastdimse-*.whl
"$PY" -m maturin build --release --quiet --out target/wheels >/dev/null
"$PY" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps target/wheels/fastdimse-*.whl
"$PY" -c "import fastdimse; print('fastdimse', fastdimse.__version__, 'installed')"
