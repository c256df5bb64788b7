#!/usr/bin/env bash
# Builds the wheel that ships: abi3 (one wheel for CPython 3.9+), manylinux2014 (glibc 2.17,
# so RHEL/Rocky 8 and Ubuntu 20.04 can install it), x86_64, extension stripped. Zig (the
# `ziglang` package from PyPI, installed by setup.sh) links against glibc 2.17's symbols, so
# no manylinux container is needed. Then checks the result: auditwheel must find the
# manylinux_2_17 tag and no GLIBC symbol newer than 2.17 may be imported.
# Output: target/wheels/fastdimse-*.whl (the path is printed last).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
# maturin runs `python3 -m ziglang` when no `zig` is on PATH: make that the chosen Python.
PATH="$("$PY" -c 'import os, sys; print(os.path.dirname(sys.executable))'):$PATH"
export PATH
rm -f target/wheels/fastdimse-*.whl
"$PY" -m maturin build --release --quiet --zig --compatibility manylinux2014 --strip \
    --out target/wheels >/dev/null
wheel=$(ls target/wheels/fastdimse-*-cp39-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl)

# auditwheel: the tag it says the wheel is consistent with.
shown=$("$PY" -m auditwheel show "$wheel")
if ! grep -q '"manylinux_2_17_x86_64"' <<<"$shown"; then
    echo "wheel.sh: auditwheel does not find manylinux_2_17_x86_64:" >&2
    echo "$shown" >&2
    exit 1
fi

# objdump: the newest GLIBC symbol version the extension imports.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$PY" -m zipfile -e "$wheel" "$tmp"
so=$(ls "$tmp"/fastdimse/_core*.so)
newest=$(objdump -T "$so" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)
if [ "$(printf '%s\n' "$newest" GLIBC_2.17 | sort -V | tail -1)" != GLIBC_2.17 ]; then
    echo "wheel.sh: $so imports $newest, newer than GLIBC_2.17" >&2
    exit 1
fi
if file "$so" | grep -q 'not stripped'; then
    echo "wheel.sh: $so is not stripped" >&2
    exit 1
fi
if ! compgen -G "$tmp/fastdimse-*.dist-info/licenses/LICENSE" >/dev/null; then
    echo "wheel.sh: the wheel has no LICENSE" >&2
    exit 1
fi
echo "wheel.sh: $(basename "$wheel") ($(stat -c %s "$wheel") bytes; manylinux_2_17 per auditwheel, newest symbol $newest, stripped)" >&2
echo "$wheel"
