#!/usr/bin/env bash
# Installs what building and testing need on a fresh Debian machine: DCMTK (the real peer
# for interop tests) from Debian, and maturin, zig (for manylinux2014 wheels), auditwheel,
# mypy, pydicom, pynetdicom and the test tools from PyPI. Safe to run again: it only
# installs what is missing.
#
# The PyPI packages go into whichever Python runs this ($PYTHON, else python3): a venv is
# the place for them (python3 -m venv .venv && . .venv/bin/activate, or PYTHON=.venv/bin/python).
# Outside a venv it still installs (CI runs as root with no venv) and says where.
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
import subprocess
import sys

mods = {"pytest": "pytest>=7", "pytest_timeout": "pytest-timeout",
        "pytest_benchmark": "pytest-benchmark", "pydicom": "pydicom>=2.4",
        "pynetdicom": "pynetdicom==3.0.4", "ruff": "ruff",
        # Pinned: the zig release maturin's manylinux2014 builds were checked with.
        "ziglang": "ziglang==0.15.2", "auditwheel": "auditwheel>=6", "mypy": "mypy>=1.10"}
need = [v for k, v in mods.items() if importlib.util.find_spec(k) is None]
# maturin runs through its console script: a venv that sees the base interpreter's maturin
# package (--system-site-packages) still lacks the script, so test the command itself.
probe = subprocess.run([sys.executable, "-m", "maturin", "--version"], capture_output=True)
if probe.returncode != 0:
    need.append("maturin")
print(" ".join(need))
PYEOF
)
if [ -n "$missing" ]; then
    where=$("$PY" -c 'import sys; print(sys.prefix + (" (a venv)" if sys.prefix != sys.base_prefix else " (not a venv: consider python3 -m venv)"))')
    echo "setup: installing from PyPI into $where: $missing"
    pip=("$PY" -m pip install -q --disable-pip-version-check)
    others=$(tr ' ' '\n' <<<"$missing" | grep -vx maturin | tr '\n' ' ' || true)
    # shellcheck disable=SC2086
    if [ -n "${others// /}" ]; then "${pip[@]}" $others; fi
    # --ignore-installed: the venv's own maturin script, even where the base has the package.
    case " $missing " in *" maturin "*) "${pip[@]}" --ignore-installed "maturin>=1.9,<2" ;; esac
fi
