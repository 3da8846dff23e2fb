#!/usr/bin/env bash
# On the GPU machine: default, evolve and adaptive_search with the builtin model (triton_cuda,
# h100) on GPU-sized tasks; the best kernel of each search against the first (and only) kernel
# of default, with the candidates spent and the wall time. Modest budgets: the whole script is
# meant to finish within about 8 minutes on one H100. Carry .gpu (see pack.sh).
#
#   TASKS="gelu_scale_add_large swish_large ..."   tasks from bench/gpu_tasks (default: 5)
#   SEARCH_WALL_S=20                               wall budget of each search (stops starting candidates)
#   MAX_CANDIDATES=12, ROUNDS=4, PATIENCE=6        search budget (evolve: 2 islands x 2 per round; 0 = no patience stop)
#   ARCH=h100                                      --arch (h200 on an H200)
#   AKG_HOME=DIR                                   another tree's harness/configs (an A/B of the harness)
# Results in $OUT: summary.json, summary.md, phases.md, env.txt, runs.tar.gz (every run folder).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
mkdir -p "$out/runs"
record_env "$out/env.txt"
tasks="${TASKS:-gelu_scale_add_large swish_large softsign_large mish_large sub_exp_tanh_gelu_large}"
task_dir="${TASK_DIR:-bench/gpu_tasks}"   # e.g. examples/tasks for the project's example sizes
wall="${SEARCH_WALL_S:-20}"
# Eager baseline only (torch.compile's compile would dominate every candidate's profile);
# fewer timed runs and trials than the shipped config, the same for all three workflows.
cat > "$out/bench.yaml" <<YAML
profile_settings: {run_times: 30, warmup_times: 5, baselines: [eager]}
verify_settings: {trials: 3}
search: {rounds: ${ROUNDS:-4}, islands: 2, population: 2, elite: 1, migration_interval: 2, inspirations: 2,
         max_candidates: ${MAX_CANDIDATES:-12}, max_wall_s: $wall, patience: ${PATIENCE:-6}, concurrency: 2, ucb_c: 1.0, seed: 0}
YAML
summarise() {
"$AKG_PYTHON" - "$out" <<'PY'
import json, pathlib, sys
out = pathlib.Path(sys.argv[1]); rows = []
for rep_path in sorted((out / "runs").glob("*/report.json")):
    r = json.loads(rep_path.read_text()); p = r.get("profile") or {}
    meta = json.loads((rep_path.parent / "run.json").read_text())
    task, wf, devs = meta["task_name"], meta["workflow"], meta["devices"]
    best = (r.get("leaderboard") or [{}])[0]
    util = r.get("device_utilisation") or {}
    n = len(r.get("candidates") or r["attempts"])
    rows.append({"task": task, "workflow": wf, "devices": devs, "verified": r["verified"],
                 "candidates": n, "candidates_per_min": round(60 * n / r["wall_seconds"], 2),
                 "wall_s": round(r["wall_seconds"], 1),
                 "pool_span_s": round(util.get("span_s") or 0, 1),
                 "candidates_per_min_in_pool": round(60 * n / util["span_s"], 2) if util.get("span_s") else None,
                 "kernel_ms": (p.get("kernel") or {}).get("median_ms"),
                 "eager_ms": (p.get("reference_eager") or {}).get("median_ms"),
                 "speedup_vs_eager": p.get("speedup_vs_eager"),
                 "fraction_of_sol": (p.get("sol") or {}).get("fraction_of_sol_candidate"),
                 "best_candidate": best.get("id"), "best_description": best.get("description"),
                 "stop_reason": r.get("stop_reason"),
                 "device_utilisation": util})
(out / "summary.json").write_text(json.dumps(rows, indent=2))
lines = ["| task | workflow | devices | verified | candidates | cand/min | cand/min in pool | wall s | pool span s | kernel ms | eager ms | vs eager | vs default | SOL | utilisation |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
base = {r["task"]: r["speedup_vs_eager"] for r in rows if r["workflow"] == "default"}
for r in rows:
    f = lambda v, fmt="{:.4f}": "-" if v is None else fmt.format(v)
    rel = None
    if r["speedup_vs_eager"] and base.get(r["task"]):
        rel = r["speedup_vs_eager"] / base[r["task"]]
    lines.append(f"| {r['task']} | {r['workflow']} | {r['devices']} | {r['verified']} | {r['candidates']} | {r['candidates_per_min']} | "
                 f"{r['candidates_per_min_in_pool']} | {r['wall_s']} | {r['pool_span_s']} | "
                 f"{f(r['kernel_ms'])} | {f(r['eager_ms'])} | {f(r['speedup_vs_eager'], '{:.2f}x')} | "
                 f"{f(rel, '{:.3f}x')} | {f(r['fraction_of_sol'], '{:.2f}')} | "
                 + ", ".join(f"{d['device']} {100 * d['utilisation']:.0f}%" for d in r["device_utilisation"].get("devices", [])) + " |")
(out / "summary.md").write_text("\n".join(lines) + "\n")
print("\n".join(lines))
PY
}
# Each output line with the seconds since the run started (where the serial part goes).
stamp() { "$AKG_PYTHON" -u -c 'import sys, time
t0 = time.monotonic()
for line in sys.stdin: print(f"{time.monotonic() - t0:7.2f} {line}", end="")'; }
# RUNS: workflow:devices pairs, e.g. "default:0 evolve:0 evolve:0,1" (multi-GPU comparison).
runs="${RUNS:-default:0 evolve:0 adaptive_search:0}"
for t in $tasks; do
  for spec in $runs; do
    wf="${spec%%:*}"; devs="${spec#*:}"; name="$t-$wf-d${devs//,/}"
    echo "=== $t $wf devices $devs"
    start=$SECONDS
    .gpu/akg_cli op --framework torch --backend cuda --arch "${ARCH:-h100}" --dsl triton_cuda --devices "$devs" \
      --task "$task_dir/$t.py" --workflow "$wf" --config "$out/bench.yaml" \
      --out "$out/runs/$name" 2>&1 | stamp > "$out/runs/$name.log"
    rc=${PIPESTATUS[0]}; echo "exit $rc after $((SECONDS - start)) s"; tail -n 16 "$out/runs/$name.log"
  done
  summarise > /dev/null   # after every task, so a run cut short still reports what finished
done
summarise
"$AKG_PYTHON" "$(dirname "${BASH_SOURCE[0]}")/phases.py" "$out/runs" > "$out/phases.md"  # where candidate time went
tar -C "$out" -czf "$out/runs.tar.gz" runs && rm -rf "$out/runs"
