#!/usr/bin/env bash
# The main job: set up, then let the builtin model write, verify and profile a cpp kernel for
# an example task on this CPU. Extra arguments go to akg_cli (e.g. --out runs/mine).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/setup.sh
export AKG_PYTHON="$(cat build/akg_python)"
exec build/akg_cli op --framework torch --backend cpu --arch x86_64 --dsl cpp \
  --task examples/tasks/gelu_scale_add.py "$@"
