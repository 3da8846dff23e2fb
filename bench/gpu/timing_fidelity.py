"""How far to trust the harness's `profile` numbers on a GPU (written for the lent H100).

Usage (repository root, on the device machine):
    python bench/gpu/timing_fidelity.py            # results under $OUT (default /tmp/out)
    python bench/gpu/timing_fidelity.py --dry-run  # plumbing check without a GPU: tiny sizes,
                                                   # Triton interpreter, no do_bench

Needs only torch, triton, numpy and this repository's harness/ (no network, nothing built).
Steps:
1. `python -m akg_harness peaks` once: this card's copy bandwidth and matmul rates (also fills
   in the tf32 figure the peak table lacks); its result is the `peaks` of every profile below.
2. For each honest Triton kernel written below (a vector add of 64M floats, a fused
   gelu(x) * 2 + y of 32M floats, and a vector add of 1M floats whose kernel takes a few
   microseconds, under the 100 us CUDA-graph threshold), `python -m akg_harness profile`
   twice, as the agent runs it (child process, fresh working folder), with both baselines.
   The small add is profiled once more in each forced mode (single, batched).
3. In this process, `triton.testing.do_bench(fn, return_mode="median")` of the same candidate,
   the eager reference and torch.compile of it, on one input set.
Table, per kernel and subject: the two runs' medians, |run1 - run2| against run 1's p10-p90
spread (a difference inside the spread is noise), and our median over do_bench's. do_bench
clears L2 before each call and does not synchronise the host, so it sees GPU time alone; our
single mode also pays one host round trip per call (a few us), our cuda_graph mode should sit
close to do_bench. Everything goes to $OUT/timing_fidelity.json; the table is printed last.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
HARNESS = REPO / "harness"

ADD_TASK = '''
import torch


class Model(torch.nn.Module):
    def forward(self, x, y):
        return x + y


def get_inputs():
    return [torch.randn({n}), torch.randn({n})]


def get_init_inputs():
    return []
'''

GELU_TASK = '''
import torch


class Model(torch.nn.Module):
    def forward(self, x, y):
        return torch.nn.functional.gelu(x) * 2.0 + y


def get_inputs():
    return [torch.randn({n}), torch.randn({n})]


def get_init_inputs():
    return []
'''

ADD_KERNEL = '''
import torch
import triton
import triton.language as tl


@triton.jit
def add_kernel(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offsets < n
    x = tl.load(x_ptr + offsets, mask=mask)
    y = tl.load(y_ptr + offsets, mask=mask)
    tl.store(out_ptr + offsets, x + y, mask=mask)


class ModelNew(torch.nn.Module):
    def forward(self, x, y):
        x, y = x.contiguous(), y.contiguous()
        out = torch.empty_like(x)
        n = x.numel()
        add_kernel[(triton.cdiv(n, 1024),)](x, y, out, n, BLOCK=1024)
        return out
'''

GELU_KERNEL = '''
import torch
import triton
import triton.language as tl


@triton.jit
def gelu2_add_kernel(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offsets < n
    x = tl.load(x_ptr + offsets, mask=mask)
    y = tl.load(y_ptr + offsets, mask=mask)
    gelu = 0.5 * x * (1.0 + tl.math.erf(x * 0.7071067811865476))
    tl.store(out_ptr + offsets, gelu * 2.0 + y, mask=mask)


class ModelNew(torch.nn.Module):
    def forward(self, x, y):
        x, y = x.contiguous(), y.contiguous()
        out = torch.empty_like(x)
        n = x.numel()
        gelu2_add_kernel[(triton.cdiv(n, 1024),)](x, y, out, n, BLOCK=1024)
        return out
'''

# name: (task source, kernel source, elements, dry-run elements)
KERNELS = {
    "add_64M": (ADD_TASK, ADD_KERNEL, 64 << 20, 4096),
    "gelu2_add_32M": (GELU_TASK, GELU_KERNEL, 32 << 20, 4096),
    "add_1M_small": (ADD_TASK, ADD_KERNEL, 1 << 20, 1024),
}
SMALL = "add_1M_small"
SUBJECTS = ("candidate", "eager", "torch_compile")
YES_NO = {True: "yes", False: "no"}


def child_env(dry_run: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "API_KEY" not in k}
    env["PYTHONPATH"] = str(HARNESS)
    if dry_run:
        env["TRITON_INTERPRET"] = "1"
    return env


def harness(command: str, request: dict[str, Any], work: Path, dry_run: bool,
            timeout: int = 300) -> tuple[dict[str, Any] | None, str, float]:
    """Runs one harness command as a child, like the agent; returns result, log tail, wall."""
    work.mkdir(parents=True, exist_ok=True)
    req, res = work / "request.json", work / "result.json"
    req.write_text(json.dumps(request))
    if res.exists():
        res.unlink()
    start = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-m", "akg_harness", command, "--request",
                               str(req), "--result", str(res)], cwd=work, env=child_env(dry_run),
                              capture_output=True, text=True, timeout=timeout, check=False)
        log = (proc.stdout + proc.stderr)[-3000:]
    except subprocess.TimeoutExpired as e:
        log = f"timed out after {timeout} s: {e}"
    wall = time.perf_counter() - start
    result = json.loads(res.read_text()) if res.exists() else None
    return result, log, wall


def subject_stats(result: dict[str, Any] | None, subject: str) -> dict[str, Any] | None:
    if not result or not result.get("ok"):
        return None
    stats = (result["candidate"] if subject == "candidate"
             else result["baselines"].get(subject))
    return stats if stats and "median_ms" in stats else None


def load_module(path: Path, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def do_bench_all(files: dict[str, tuple[Path, Path]], seed: int) -> dict[str, dict[str, Any]]:
    """do_bench medians (ms) of candidate, eager and torch.compile, one input set each."""
    import torch
    import triton.testing

    out: dict[str, dict[str, Any]] = {}
    for name, (task_path, cand_path) in files.items():
        task = load_module(task_path, f"fid_task_{name}")
        cand = load_module(cand_path, f"fid_cand_{name}")
        torch.manual_seed(seed)
        inputs = [t.cuda() if isinstance(t, torch.Tensor) else t for t in task.get_inputs()]
        reference = task.Model().cuda()
        model = cand.ModelNew().cuda()
        row: dict[str, Any] = {}
        with torch.no_grad():
            fns = {"candidate": lambda: model(*inputs), "eager": lambda: reference(*inputs)}
            try:
                compiled = torch.compile(reference)
                compiled(*inputs)
                fns["torch_compile"] = lambda: compiled(*inputs)
            except Exception as e:  # noqa: BLE001 - recorded, the others still run
                row["torch_compile_error"] = repr(e)[:300]
            for subject, fn in fns.items():
                fn()
                torch.cuda.synchronize()
                row[subject] = triton.testing.do_bench(fn, return_mode="median")
        out[name] = row
        del inputs, reference, model
        torch.cuda.empty_cache()
    return out


def fmt(v: float | None, spec: str = "9.4f") -> str:
    return format(v, spec) if isinstance(v, (int, float)) else f"{'-':>{spec.split('.')[0]}}"


def _parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dry-run", action="store_true",
                    help="tiny sizes, Triton interpreter on the CPU, no do_bench")
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--runs", type=int, default=100)
    return ap.parse_args()


def _probe_env() -> str:
    env_probe = subprocess.run(
        [sys.executable, "-c", "import sys, torch, triton; print(sys.version.split()[0], "
         "torch.__version__, triton.__version__, torch.version.cuda, "
         "torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no cuda')"],
        capture_output=True, text=True, check=False)
    return env_probe.stdout.strip() or env_probe.stderr[-500:]


def _measure_peaks(args: argparse.Namespace, tmp: Path) -> dict[str, Any] | None:
    peaks_request = {"device": "cuda"}
    if args.dry_run:
        peaks_request = {"device": "cpu", "copy_mb": 8, "matmul_size": 64, "run_times": 3}
    peaks, log, wall = harness("peaks", peaks_request, tmp / "peaks", args.dry_run)
    if peaks:
        rates = {k: (round(v, 1) if v else v) for k, v in peaks["tflops"].items()}
        print(f"peaks ({wall:.0f} s): bandwidth {peaks['bandwidth_gbs']:.0f} GB/s, "
              f"TFLOP/s {json.dumps(rates)}", flush=True)
    else:
        print("peaks failed:\n" + log, flush=True)
    return peaks or {"error": log}


def _write_kernels(args: argparse.Namespace, tmp: Path) -> dict[str, tuple[Path, Path]]:
    files: dict[str, tuple[Path, Path]] = {}
    for name, (task_src, kernel_src, n, dry_n) in KERNELS.items():
        task_path, cand_path = tmp / f"{name}_task.py", tmp / f"{name}_kernel.py"
        task_path.write_text(textwrap.dedent(task_src.format(n=dry_n if args.dry_run else n)))
        cand_path.write_text(textwrap.dedent(kernel_src))
        files[name] = (task_path, cand_path)
    return files


def _profile_all(args: argparse.Namespace, tmp: Path, files: dict[str, tuple[Path, Path]],
                 profile_peaks: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    runs: dict[str, dict[str, Any]] = {}
    plan = [(name, label, mode) for name in KERNELS for label, mode in
            (("run1", "auto"), ("run2", "auto"))]
    plan += [(SMALL, "single", "single"), (SMALL, "batched", "batched")]
    for name, label, mode in plan:
        task_path, cand_path = files[name]
        request = {"task_path": str(task_path), "candidate_path": str(cand_path),
                   "dsl": "triton_cuda", "device": "cuda", "seed": 0,
                   "warmup_times": args.warmup, "run_times": args.runs,
                   "baselines": ["eager", "torch_compile"], "timing_mode": mode,
                   "peaks": profile_peaks}
        if args.dry_run:
            request.update(warmup_times=1, run_times=3, baselines=["eager"])
        result, log, wall = harness("profile", request, tmp / f"{name}_{label}", args.dry_run)
        runs.setdefault(name, {})[label] = {"result": result, "wall_s": wall,
                                            "log_tail": None if result else log}
        cand = subject_stats(result, "candidate")
        print(f"profile {name} {label}: {wall:.0f} s, candidate "
              f"{fmt(cand and cand['median_ms'])} ms ({cand and cand['timing_mode']})"
              + ("" if result else "\n" + log), flush=True)
    return runs


def _row(name: str, subject: str, s: dict[str, Any], s2: dict[str, Any] | None,
         db: float | None) -> dict[str, Any]:
    diff = abs(s["median_ms"] - s2["median_ms"]) if s2 else None
    spread = s["p90_ms"] - s["p10_ms"]
    return {"kernel": name, "subject": subject, "mode": s["timing_mode"],
            "calls": s["calls_per_sample"], "run1_ms": s["median_ms"],
            "run2_ms": s2["median_ms"] if s2 else None, "diff_ms": diff, "spread_ms": spread,
            "diff_within_spread": diff <= spread if s2 else None,
            "diff_pct": 100 * diff / s["median_ms"] if s2 else None,
            "single_median_ms": s["single_median_ms"], "do_bench_ms": db,
            "ours_over_do_bench": s["median_ms"] / db if db else None,
            "fallback": s["fallback"]}


def _rows(runs: dict[str, dict[str, Any]], bench: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name in KERNELS:
        r1, r2 = runs[name]["run1"]["result"], runs[name]["run2"]["result"]
        for subject in SUBJECTS:
            s1, s2 = subject_stats(r1, subject), subject_stats(r2, subject)
            if s1 and s2:
                rows.append(_row(name, subject, s1, s2, bench.get(name, {}).get(subject)))
        if name != SMALL:
            continue
        for label in ("single", "batched"):
            s = subject_stats(runs[name][label]["result"], "candidate")
            if s:
                rows.append(_row(name, f"candidate[{label}]", s, None,
                                 bench.get(name, {}).get("candidate")))
    return rows


def _summary(runs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    summary = {}
    for name in KERNELS:
        r1 = runs[name]["run1"]["result"] or {}
        summary[name] = {k: r1.get(k) for k in ("speedup_vs_eager", "speedup_vs_torch_compile",
                                                 "suspect")}
        summary[name]["fraction_of_sol_candidate"] = (r1.get("sol") or {}).get(
            "fraction_of_sol_candidate")
        summary[name]["sol_ms"] = (r1.get("sol") or {}).get("sol_ms")
    return summary


def _print_tables(summary: dict[str, dict[str, Any]], rows: list[dict[str, Any]]) -> None:
    print("\nper kernel (run 1): speedups, speed of light, suspect flags")
    for name, s in summary.items():
        print(f"  {name:14} vs eager {fmt(s['speedup_vs_eager'], '6.2f')}x  vs compile "
              f"{fmt(s['speedup_vs_torch_compile'], '6.2f')}x  sol {fmt(s['sol_ms'], '8.4f')} ms"
              f"  frac_sol {fmt(s['fraction_of_sol_candidate'], '5.2f')}  suspect {s['suspect']}")
    diffs = [r["diff_pct"] for r in rows if r["diff_pct"] is not None]
    ratios = [r["ours_over_do_bench"] for r in rows if r["ours_over_do_bench"]]
    print(f"\nrun-to-run |diff|: median {fmt(statistics.median(diffs) if diffs else None, '.2f')}%"
          f", {sum(bool(r['diff_within_spread']) for r in rows)}/{len(diffs)} within p10-p90; "
          f"ours/do_bench median {fmt(statistics.median(ratios) if ratios else None, '.3f')}")
    print(f"\n{'kernel':14} {'subject':19} {'mode':10} {'calls':>5} {'run1 ms':>9} {'run2 ms':>9} "
          f"{'diff%':>6} {'p10-p90':>9} {'in?':>4} {'do_bench':>9} {'ours/db':>7}")
    for r in rows:
        print(f"{r['kernel']:14} {r['subject']:19} {r['mode']:10} {r['calls']:>5} "
              f"{fmt(r['run1_ms'])} {fmt(r['run2_ms'])} {fmt(r['diff_pct'], '6.2f')} "
              f"{fmt(r['spread_ms'])} {YES_NO.get(r['diff_within_spread'], '-'):>4} "
              f"{fmt(r['do_bench_ms'])} {fmt(r['ours_over_do_bench'], '7.3f')}")


def main() -> None:
    args = _parse_args()
    out_dir = Path(os.environ.get("OUT") or "/tmp/out")
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="akg_fidelity_"))
    report: dict[str, Any] = {"dry_run": args.dry_run, "runs": args.runs, "warmup": args.warmup}
    report["env"] = _probe_env()
    print("env:", report["env"], flush=True)
    report["peaks"] = _measure_peaks(args, tmp)
    profile_peaks = report["peaks"].get("peaks")
    files = _write_kernels(args, tmp)
    runs = _profile_all(args, tmp, files, profile_peaks)
    report["profiles"] = runs
    bench = {} if args.dry_run else do_bench_all(files, seed=0)
    report["do_bench_ms"] = bench
    report["rows"] = rows = _rows(runs, bench)
    report["summary"] = summary = _summary(runs)
    (out_dir / "timing_fidelity.json").write_text(json.dumps(report, indent=2))
    _print_tables(summary, rows)


if __name__ == "__main__":
    main()
