#!/usr/bin/env bash
# Builds the sdist (target/sdist/fastdimse-*.tar.gz, the path is printed last) and checks that
# it holds what a build reads: every tracked file under rust/ and python/, Cargo.toml,
# Cargo.lock, pyproject.toml, README.md and LICENSE. With --build, it then builds a wheel
# from the sdist alone, outside the repository and offline for cargo (CARGO_NET_OFFLINE:
# crates only from the local cargo cache, as Cargo.lock pins them; no vendoring).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
rm -f target/sdist/fastdimse-*.tar.gz
"$PY" -m maturin sdist --out target/sdist >/dev/null 2>&1
sdist=$(ls target/sdist/fastdimse-*.tar.gz)
top=$(basename "$sdist" .tar.gz)

listed=$(tar tzf "$sdist" | sed "s|^$top/||" | sort)
missing=$( (git ls-files rust python; printf '%s\n' Cargo.toml Cargo.lock pyproject.toml README.md LICENSE) \
    | sort | comm -23 - <(printf '%s\n' "$listed"))
if [ -n "$missing" ]; then
    echo "sdist.sh: $sdist lacks:" >&2
    echo "$missing" >&2
    exit 1
fi

if [ "${1:-}" = "--build" ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    cp "$sdist" "$tmp/"
    (cd "$tmp" && CARGO_NET_OFFLINE=true "$PY" -m pip wheel -q --disable-pip-version-check \
        --no-build-isolation --no-deps -w "$tmp/out" "$tmp/$(basename "$sdist")" >/dev/null)
    wheel=$(ls "$tmp"/out/fastdimse-*.whl)
    # The listing whole first: `grep -q` stops reading at the first match, and the lister's
    # broken pipe would then fail the pipeline (pipefail).
    contents=$("$PY" -m zipfile -l "$wheel")
    if ! grep -q 'dist-info/licenses/LICENSE' <<<"$contents"; then
        echo "sdist.sh: the wheel built from the sdist has no LICENSE" >&2
        exit 1
    fi
    echo "sdist.sh: $(basename "$sdist") builds offline from its own contents" >&2
fi
echo "$sdist"
