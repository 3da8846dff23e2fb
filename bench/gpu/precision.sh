#!/usr/bin/env bash
# Dot precisions of the builtin model's matmul and conv kernels at GPU sizes. One `akg_cli
# bench` over TASKS (bench/tasks names) and KB (task files, e.g. KernelBench problems copied
# into the tree) with the default workflow, then each final kernel that multiplies float32 on
# the tensor cores re-verified and re-profiled (verifier_only) with its dot precision replaced
# by each of VARIANTS (conv kernels also take tf32). Writes env.txt, bench.log, results.json,
# results.md, variants.md (verdict, our ms, eager ms, worst error / the reference's own error
# per trial) and runs.tgz under $OUT. LIMIT bounds the bench's seconds.
set -euo pipefail
source bench/gpu/common.sh
record_env "$out/env.txt"
suite=/tmp/akg-prec-suite bench=/tmp/akg-prec-bench
rm -rf "$suite" "$bench" /tmp/akg-prec-var && mkdir -p "$suite" /tmp/akg-prec-var
for t in ${TASKS:-}; do cp "bench/tasks/$t.py" "$suite/"; done
for f in ${KB:-}; do cp "$f" "$suite/"; done
timeout "${LIMIT:-300}" .gpu/akg_cli bench "$suite" --backend cuda --arch h200 --dsl triton_cuda \
  --out "$bench" > "$out/bench.log" 2>&1 || echo "bench exit $?" >> "$out/bench.log"
cp "$bench/results.json" "$bench/results.md" "$out/" 2>/dev/null || true
tail -30 "$out/bench.log"
deadline=$((SECONDS + ${VARIANT_LIMIT:-200}))
for k in $(find "$bench" -name kernel.py -not -path '*/attempts/*' | sort); do
  d=$(dirname "$k"); name=$(basename "$d")
  grep -q 'input_precision="tf32x3"' "$k" || continue
  variants="${VARIANTS:-ieee}"
  grep -q '_conv_shape' "$k" && variants="$variants tf32"
  for prec in $variants; do
    [ $SECONDS -lt $deadline ] || { echo "variants: out of time at $name $prec"; break 2; }
    v="/tmp/akg-prec-var/$name-$prec"
    mkdir -p "$v"
    sed "s/input_precision=\"tf32x3\"/input_precision=\"$prec\"/" "$k" > "$v/kernel_in.py"
    timeout 150 .gpu/akg_cli op --backend cuda --arch h200 --dsl triton_cuda --task "$d/task.py" \
      --workflow verifier_only --kernel "$v/kernel_in.py" --out "$v/run" > "$v/log" 2>&1 || true
  done
done
"$AKG_PYTHON" - "$bench" /tmp/akg-prec-var > "$out/variants.md" <<'PY'
import json, pathlib, sys
def row(name, prec, run):
    try:
        r = json.loads((run / "report.json").read_text())
    except OSError:
        return f"| {name} | {prec} | no report | | | |"
    p = r.get("profile") or {}
    ours = (p.get("kernel") or {}).get("median_ms")
    eager = (p.get("eager_baseline") or {}).get("median_ms")
    ratios = []
    for v in sorted(run.glob("attempts/*/verify.json"))[-1:]:
        for t in json.loads(v.read_text()).get("trials", []):
            e = (t.get("ref_error") or [0])[0] or 0
            ratios.append(f"{t.get('max_abs_err', 0) / e:.2g}" if e else "-")
    f = lambda x: f"{x:.4f}" if isinstance(x, (int, float)) else "-"
    return f"| {name} | {prec} | {r.get('verified')} | {f(ours)} | {f(eager)} | {' '.join(ratios)} |"
bench, var = map(pathlib.Path, sys.argv[1:])
print("| task | dot | verified | ours ms | eager ms | worst err / reference's own err, per trial |")
print("|---|---|---|---|---|---|")
for k in sorted(bench.rglob("kernel.py")):
    if "attempts" in k.parts or 'input_precision="tf32x3"' not in k.read_text():
        continue
    print(row(k.parent.name, "tf32x3", k.parent))
    for v in sorted(var.glob(k.parent.name + "-*")):
        print(row(k.parent.name, v.name.rsplit("-", 1)[1], v / "run"))
PY
cat "$out/variants.md"
tar czf "$out/runs.tgz" -C "$bench" --exclude='*.pt' --exclude='*.so' . 2>/dev/null || true
