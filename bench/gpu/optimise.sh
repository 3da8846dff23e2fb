#!/usr/bin/env bash
# On the GPU machine: the default workflow's optimise steps with the builtin model, and whether
# Nsight Compute can count there. Per task: the run's [optimise] lines (each decision and why,
# each step's outcome), report.json's "optimise" block, the first and the kept kernel's times,
# and the wall time of the counters call (ncu around a fresh Python) as the log stamps it.
# Carry .gpu (pack.sh). Results in $OUT: env.txt, ncu.txt, optimise-LABEL.md, runs-LABEL.tar.gz.
#   TASKS="a.py b.py"   tasks (default: three large elementwise tasks torch.compile fuses well)
#   LABEL=after         names the results; AKG_CLI=PATH another akg_cli (default .gpu/akg_cli)
#   COUNTERS=false      leave profile_settings.counters off
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
label="${LABEL:-after}"
tasks="${TASKS:-bench/gpu_tasks/sub_exp_tanh_gelu_large.py bench/gpu_tasks/mish_large.py bench/gpu_tasks/elu_channel_bias_large.py}"
runs="$out/runs-$label"; mkdir -p "$runs"
record_env "$out/env.txt"
{ command -v ncu || ls /usr/local/cuda*/bin/ncu 2>/dev/null || echo "ncu: not found"; ncu --version 2>&1 | tail -n 1; } > "$out/ncu.txt" 2>&1
cat "$out/ncu.txt"
cat > "$out/optimise.yaml" <<YAML
optimise_steps: 2
profile_settings: {counters: ${COUNTERS:-true}, run_times: 50, warmup_times: 5}
YAML
report="$out/optimise-$label.md"
echo "# optimise steps ($label)" > "$report"
for task in $tasks; do
  name="$(basename "$task" .py)"
  start=$EPOCHREALTIME
  "${AKG_CLI:-.gpu/akg_cli}" op --framework torch --backend cuda --arch h200 --dsl triton_cuda --devices 0 \
    --task "$task" --config "$out/optimise.yaml" --out "$runs/$name" 2>&1 \
    | while IFS= read -r line; do
        now=$EPOCHREALTIME; printf '%8.2f %s\n' "$(awk "BEGIN{print $now - $start}")" "$line"
      done > "$runs/$name.log"
  {
    echo; echo "## $name"; echo '```'
    grep -E '\[optimise\]|\[attempt|\[profile\]' "$runs/$name.log" | cut -c1-400
    echo '```'; echo '```json'
    "$AKG_PYTHON" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(json.dumps({"optimise": r.get("optimise"), "attempts": [(a["attempt"], a["verdict"], a["description"][:80]) for a in r["attempts"]], "final_ms": (r.get("profile") or {}).get("kernel", {}).get("median_ms")}, indent=1))' "$runs/$name/report.json"
    echo '```'
  } >> "$report"
  echo "== $label $name: $(tail -n 1 "$runs/$name.log")"
done
cat "$report"
tar -C "$out" -czf "$out/runs-$label.tar.gz" "runs-$label" && rm -rf "$runs"
