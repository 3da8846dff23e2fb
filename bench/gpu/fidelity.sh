#!/usr/bin/env bash
# On the GPU machine, in one call: the whole cheat corpus with its full log, then the timing
# fidelity benchmark with the in-process diagnosis. Results under $OUT (a few small files).
#   CHEATS="-k c04a"  pytest selection for the corpus ("" = all, "skip" = none)
#   FIDELITY_ARGS     extra arguments for bench/gpu/timing_fidelity.py ("skip" = do not run)
#   FIDELITY_TIMEOUT  seconds for that step (default 420)
set -uo pipefail
out="${OUT:-/tmp/out}"; mkdir -p "$out"
export PYTHONPATH="$PWD/harness" PYTHONUNBUFFERED=1
{
  date -u
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem,clocks.max.sm,temperature.gpu,power.draw,power.limit --format=csv
  nvidia-smi --query-gpu=clocks_event_reasons.active --format=csv
  python3 -c 'import sys, torch, triton; print("python", sys.version.split()[0], "torch", torch.__version__, "cuda", torch.version.cuda, "triton", triton.__version__)'
  nproc; uname -r
} > "$out/env.txt" 2>&1
cat "$out/env.txt"
if [ "${CHEATS-}" != "skip" ]; then
  echo "=== cheat corpus on the GPU (${CHEATS:-all})"
  # shellcheck disable=SC2086
  timeout 240 python3 -m pytest -v -rA tests/cheats ${CHEATS:-} > "$out/cheats_full.txt" 2>&1
  echo "pytest rc $?"
  grep -E "^(FAILED|ERROR)|GAP |passed|failed" "$out/cheats_full.txt" | tail -n 20
fi
if [ "${FIDELITY_ARGS-}" != "skip" ]; then
  echo "=== timing fidelity"
  # shellcheck disable=SC2086
  timeout "${FIDELITY_TIMEOUT:-420}" python3 bench/gpu/timing_fidelity.py ${FIDELITY_ARGS:-} > "$out/fidelity.txt" 2>&1
  echo "timing_fidelity rc $?"
  tail -n 40 "$out/fidelity.txt"
fi
nvidia-smi --query-gpu=clocks.sm,clocks.mem,temperature.gpu,power.draw --format=csv >> "$out/env.txt" 2>&1
ls -la "$out"
