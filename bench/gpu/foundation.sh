#!/usr/bin/env bash
# On the GPU machine: the builtin model writes triton_cuda kernels for GPU-sized fused chains,
# verifies and profiles them (CUDA events, L2 flushed). Results go to $OUT (summary.txt and
# runs.tar.gz with every run folder). Carry .gpu (see pack.sh).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
mkdir -p "$out/runs"
record_env "$out/env.txt"
tasks="${TASKS:-gelu_scale_add_large swish_large softsign_large mish_large sub_exp_tanh_gelu_large elu_channel_bias_large}"
for t in $tasks; do
  echo "=== $t"
  .gpu/akg_cli op --framework torch --backend cuda --arch h100 --dsl triton_cuda --devices 0 \
    --task "bench/gpu_tasks/$t.py" --out "$out/runs/$t" 2>&1 | tail -n 14 | tee "$out/runs/$t.log"
done
"$AKG_PYTHON" - "$out/runs" > "$out/summary.txt" <<'PY'
import json, pathlib, sys
rows = []
for rep in sorted(pathlib.Path(sys.argv[1]).glob("*/report.json")):
    r = json.loads(rep.read_text()); p = r.get("profile", {})
    if p.get("ok"):
        rows.append(f"{rep.parent.name:28} verified={r['verified']} eager={p['reference_eager']['median_ms']:.4f} ms "
                    f"kernel={p['kernel']['median_ms']:.4f} ms (p10 {p['kernel']['p10_ms']:.4f}, p90 {p['kernel']['p90_ms']:.4f}) "
                    f"speedup={p['speedup_vs_eager']:.2f}x method={p['timing_method']} attempts={len(r['attempts'])}"
                    + (f" compile={p['torch_compile']['median_ms']:.4f} ms vs_compile={p['speedup_vs_torch_compile']:.2f}x"
                       if p.get("torch_compile") else " compile=n/a")
                    + (f" sol_frac={p['sol']['fraction_of_sol_candidate']:.2f}" if (p.get("sol") or {}).get("fraction_of_sol_candidate") else "")
                    + (f" suspect={p['suspect']}" if p.get("suspect") else ""))
    else:
        rows.append(f"{rep.parent.name:28} verified={r['verified']} profile={p}")
print("\n".join(rows))
PY
cat "$out/summary.txt"
tar -C "$out" -czf "$out/runs.tar.gz" runs && rm -rf "$out/runs"
