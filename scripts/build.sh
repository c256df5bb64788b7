#!/usr/bin/env bash
# Builds the wheel that ships (scripts/wheel.sh: manylinux2014, stripped, checked) and
# installs it into the current Python, so the tests run exactly what a user installs.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
wheel=$(./scripts/wheel.sh)
"$PY" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$wheel"
"$PY" -c "import fastdimse; print('fastdimse', fastdimse.__version__, 'installed into', end=' '); import sys; print(sys.prefix)"
