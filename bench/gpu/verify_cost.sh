#!/usr/bin/env bash
# On the GPU machine: what one default run of the builtin model costs at the sizes users run,
# phase by phase (inspect, build, verify per trial, profile set-up and timing, whole run), with
# the harness's peak device memory, plus the pieces a verify is made of (verify_probe.py).
# Carry .gpu (pack.sh). Results in $OUT: env.txt, phases-LABEL.md, probe-LABEL.jsonl, runs-LABEL.tar.gz.
#   TASKS="a.py b.py"   tasks (default: KernelBench L1 19 ReLU at its published 6 GiB, a 100 MB ReLU)
#   LABEL=before        names the results; AKG_HOME=DIR runs the harness of another checkout
#   PROBE=1             also time the verify pieces per task
#   AKG_CLI=PATH        another akg_cli (default .gpu/akg_cli)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
label="${LABEL:-after}"
tasks="${TASKS:-bench/gpu_tasks/kb19_relu_published.py bench/gpu_tasks/relu_100mb.py}"
runs="$out/runs-$label"; mkdir -p "$runs"
record_env "$out/env.txt"
cat > "$out/cost.yaml" <<YAML
profile_settings: {run_times: 30, warmup_times: 5}
YAML
for task in $tasks; do
  name="$(basename "$task" .py)"
  if [ -n "${PROBE:-}" ]; then
    PYTHONPATH="$AKG_HOME/harness" "$AKG_PYTHON" bench/gpu/verify_probe.py "$task" cuda \
      2>&1 | sed "s/^/$name /" | tee -a "$out/probe-$label.jsonl"
  fi
  start=$EPOCHREALTIME
  "${AKG_CLI:-.gpu/akg_cli}" op --framework torch --backend cuda --arch h200 --dsl triton_cuda --devices 0 \
    --task "$task" --config "$out/cost.yaml" --out "$runs/$name" 2>&1 \
    | while IFS= read -r line; do
        now=$EPOCHREALTIME; printf '%8.2f %s\n' "$(awk "BEGIN{print $now - $start}")" "$line"
      done > "$runs/$name.log"
  echo "== $label $name: $(tail -n 1 "$runs/$name.log")"
done
"$AKG_PYTHON" bench/gpu/phases.py --runs "$runs" | tee "$out/phases-$label.md"
tar -C "$out" -czf "$out/runs-$label.tar.gz" "runs-$label" && rm -rf "$runs"
