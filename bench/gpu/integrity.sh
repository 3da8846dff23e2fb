#!/usr/bin/env bash
# On the GPU machine, in one call: (1) the cheat corpus on the GPU (GPU-only tricks included),
# (2) timing fidelity of the profiler against triton.testing.do_bench, (3) the builtin model on
# three GPU-sized tasks with the full profiler (eager, torch.compile, speed of light).
# Carry .gpu (bench/gpu/pack.sh). Results under $OUT. The three steps together take longer than
# one 600 s device call (about 60 + 300 + 300 s): steps 1-2 alone are bench/gpu/fidelity.sh.
set -uo pipefail
out="${OUT:-/tmp/out}"; mkdir -p "$out"
export PYTHONPATH="$PWD/harness" PYTHONUNBUFFERED=1
{
  date -u; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  python3 -c 'import sys, torch, triton; print("python", sys.version.split()[0], "torch", torch.__version__, "triton", triton.__version__)'
} > "$out/env.txt" 2>&1
cat "$out/env.txt"
echo "=== cheat corpus on the GPU"
# The whole log goes to $OUT (the 2026-11-25 run kept only a tail, which cut the failing entry).
timeout 240 python3 -m pytest -v -rA tests/cheats > "$out/cheats_full.txt" 2>&1
grep -E "^(FAILED|ERROR)|^GAP |passed|failed" "$out/cheats_full.txt" | tail -n 20
echo "=== timing fidelity (about 300 s on the H100; bench/gpu/fidelity.sh runs it alone)"
timeout 400 python3 bench/gpu/timing_fidelity.py > "$out/fidelity.txt" 2>&1
tail -n 30 "$out/fidelity.txt"
echo "=== builtin model with the full profiler"
TASKS="${TASKS:-gelu_scale_add_large softsign_large elu_channel_bias_large}" timeout 300 bash bench/gpu/foundation.sh > "$out/foundation.txt" 2>&1
tail -n 5 "$out/foundation.txt"
ls -la "$out"
