#!/usr/bin/env bash
# Builds, installs and runs the main job: a Verification SCP on port 11112 (or $1).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
exec "${PYTHON:-python3}" -m fastdimse echoscp "${1:-11112}" -v
