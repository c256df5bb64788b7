#!/usr/bin/env bash
# Installs what building and testing need on a fresh Debian machine: DCMTK (the real peer
# for interop tests) from Debian, and maturin, pydicom, pynetdicom and the test tools from
# PyPI. Safe to run again: it only installs what is missing.
set -euo pipefail

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Look for DCMTK by path: pynetdicom installs console scripts with the same names
# (echoscu, storescp, ...) that may come first on PATH.
if [ ! -x /usr/bin/echoscu ] || [ ! -x /usr/bin/storescp ]; then
    echo "setup: installing DCMTK from Debian"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dcmtk >/dev/null
fi

# The pynetdicom-suite stage runs pynetdicom's tests (fixed ports) in a private network
# namespace: unshare (util-linux) and ip (iproute2) bring it up.
if ! command -v ip >/dev/null || ! command -v unshare >/dev/null; then
    echo "setup: installing iproute2 and util-linux from Debian"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 util-linux >/dev/null
fi

PY=${PYTHON:-python3}
missing=$("$PY" - <<'PYEOF'
import importlib.util
mods = {"maturin": "maturin>=1.7,<2", "pytest": "pytest>=7", "pytest_timeout": "pytest-timeout",
        "pytest_benchmark": "pytest-benchmark", "pydicom": "pydicom>=2.4",
        "pynetdicom": "pynetdicom==3.0.4", "ruff": "ruff"}
print(" ".join(v for k, v in mods.items() if importlib.util.find_spec(k) is None))
PYEOF
)
if [ -n "$missing" ]; then
    echo "setup: installing from PyPI: $missing"
    # shellcheck disable=SC2086
    "$PY" -m pip install -q --disable-pip-version-check $missing
fi
