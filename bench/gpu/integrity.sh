#!/usr/bin/env bash
# On the GPU machine, in one call: (1) the cheat corpus on the GPU (GPU-only tricks included),
# (2) timing fidelity of the profiler against triton.testing.do_bench, (3) the builtin model on
# three GPU-sized tasks with the full profiler (eager, torch.compile, speed of light).
# Carry .gpu (bench/gpu/pack.sh). Results under $OUT.
set -uo pipefail
out="${OUT:-/tmp/out}"; mkdir -p "$out"
export PYTHONPATH="$PWD/harness" PYTHONUNBUFFERED=1
{
  date -u; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  python3 -c 'import sys, torch, triton; print("python", sys.version.split()[0], "torch", torch.__version__, "triton", triton.__version__)'
} > "$out/env.txt" 2>&1
cat "$out/env.txt"
echo "=== cheat corpus on the GPU"
timeout 240 python3 -m pytest -q -rs tests/cheats 2>&1 | tail -n 40 | tee "$out/cheats.txt"
echo "=== timing fidelity"
timeout 200 python3 bench/gpu/timing_fidelity.py 2>&1 | tail -n 30 | tee "$out/fidelity.txt"
echo "=== builtin model with the full profiler"
TASKS="${TASKS:-gelu_scale_add_large softsign_large elu_channel_bias_large}" timeout 300 bash bench/gpu/foundation.sh > "$out/foundation.txt" 2>&1
tail -n 5 "$out/foundation.txt"
ls -la "$out"
