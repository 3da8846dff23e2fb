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
3. In this process, `triton.testing.do_bench(fn, return_mode="median")` and
   `do_bench_cudagraph` of the same candidate, the eager reference and torch.compile of it, on
   one input set.
4. (GPU only, `--diagnose`) where the time goes, in this process, per kernel: do_bench against
   the harness's CudaEventTimer, and against the pre-2026-11-25 sample (flush, host waits,
   start, call, device synchronise, end) with its two host waits taken out one at a time, the
   empty sample (no call) of each, the host cost of one call, do_bench over several separately
   allocated input sets (allocator placement), do_bench again at the end (drift), and the
   card's clocks, temperature, power and throttle reasons (NVML, read-only) before and after.
The JSON is rewritten after every step, so a run cut short keeps what it measured.
Table, per kernel and subject: the two runs' medians, |run1 - run2| against run 1's p10-p90
spread (a difference inside the spread is noise), and our median over do_bench's (and over
do_bench_cudagraph's). do_bench clears L2 before each call and launches while the flush runs,
so it sees GPU time alone, as our single mode should. Under ~0.1 ms neither is our cuda_graph
mode's peer: do_bench pays a launch per call, do_bench_cudagraph keeps one input set hot in L2.
Options: --no-forced-modes, --no-profiles, --kernels a,b. Results of the H100 runs:
bench/results/2026-11-25-h100-timing-fidelity/. Everything goes to $OUT/timing_fidelity.json;
the table is printed last.
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
                try:  # many calls per CUDA-graph replay, no L2 flush: our cuda_graph mode's peer
                    row[subject + "_cudagraph"] = triton.testing.do_bench_cudagraph(
                        fn, return_mode="median")
                except Exception as e:  # noqa: BLE001 - recorded, the others still run
                    row[subject + "_cudagraph_error"] = repr(e)[:300]
        out[name] = row
        del inputs, reference, model
        torch.cuda.empty_cache()
    return out


def _nvml_state() -> dict[str, Any]:
    """Clocks (MHz), temperature, power and throttle reasons, read through NVML (read-only)."""
    try:
        import pynvml as nv
        nv.nvmlInit()
        h = nv.nvmlDeviceGetHandleByIndex(0)
        state = {"sm_mhz": nv.nvmlDeviceGetClockInfo(h, nv.NVML_CLOCK_SM),
                 "mem_mhz": nv.nvmlDeviceGetClockInfo(h, nv.NVML_CLOCK_MEM),
                 "max_sm_mhz": nv.nvmlDeviceGetMaxClockInfo(h, nv.NVML_CLOCK_SM),
                 "temp_c": nv.nvmlDeviceGetTemperature(h, nv.NVML_TEMPERATURE_GPU),
                 "power_w": nv.nvmlDeviceGetPowerUsage(h) / 1e3,
                 "throttle_reasons": hex(getattr(
                     nv, "nvmlDeviceGetCurrentClocksEventReasons",
                     getattr(nv, "nvmlDeviceGetCurrentClocksThrottleReasons", None))(h))}
        nv.nvmlShutdown()
        return state
    except Exception as e:  # noqa: BLE001 - diagnostics only
        return {"error": repr(e)[:200]}


def _variant_times(fn: Any, runs: int, sync_flush: bool, sync_end: bool) -> list[float]:
    """Our CudaEventTimer's sample with either host wait switchable (True, True = as is)."""
    import torch
    from akg_harness import timing

    timer = timing.CudaEventTimer(torch.device("cuda"))
    times = []
    for _ in range(runs):
        timer._flush_buffer.fill_(len(times) % 1000 + 1)
        if sync_flush:
            torch.cuda.synchronize()
        start, end = timer._events()
        start.record(timer._stream)
        fn()
        if sync_end:
            torch.cuda.synchronize()
        end.record(timer._stream)
        end.synchronize()
        times.append(start.elapsed_time(end))
    del timer
    return times


def diagnose_all(files: dict[str, tuple[Path, Path]], seed: int, runs: int, save: Any,
                 into: dict[str, Any]) -> dict[str, Any]:
    """Step 4: where our single-mode time differs from do_bench's, per kernel, in-process."""
    import torch
    import triton.testing

    sys.path.insert(0, str(HARNESS))
    from akg_harness import timing

    diag: dict[str, Any] = {"nvml_before": _nvml_state(), "kernels": {}}
    into["diagnosis"] = diag
    med = statistics.median
    for name, (task_path, cand_path) in files.items():
        task = load_module(task_path, f"diag_task_{name}")
        cand = load_module(cand_path, f"diag_cand_{name}")
        torch.manual_seed(seed)
        inputs = [t.cuda() for t in task.get_inputs()]
        model = cand.ModelNew().cuda()
        row: dict[str, Any] = {}
        with torch.no_grad():
            fn = lambda: model(*inputs)  # noqa: E731
            for _ in range(10):
                fn()
            torch.cuda.synchronize()
            row["do_bench_ms"] = triton.testing.do_bench(fn, return_mode="median")
            timer = timing.CudaEventTimer(torch.device("cuda"))
            with timing.collector_off():
                row["ours_timer_ms"] = med([timer.time_call(fn) for _ in range(runs)])
            row["ours_timer_end_latency_ms"] = getattr(timer, "end_latency_ms", None)
            del timer
            for label, sf, se in (("sync_flush_sync_end", True, True),
                                  ("async_flush_sync_end", False, True),
                                  ("sync_flush_no_end_sync", True, False),
                                  ("async_flush_no_end_sync", False, False)):
                with timing.collector_off():
                    row[label + "_ms"] = med(_variant_times(fn, runs, sf, se))
                    row["empty_" + label + "_ms"] = med(
                        _variant_times(lambda: None, runs, sf, se))
            host = []
            for _ in range(runs):
                torch.cuda.synchronize()
                t0 = time.perf_counter()
                fn()
                host.append((time.perf_counter() - t0) * 1e3)
            torch.cuda.synchronize()
            row["host_call_ms"] = med(host)
            # Allocator placement: input sets allocated one after another (with an odd-sized
            # spacer between, so each lands elsewhere), each timed by do_bench.
            placements, keep = [], []
            for k in range(4):
                keep.append(torch.empty((k + 1) * 3 * (1 << 20) + 12345, dtype=torch.uint8,
                                        device="cuda"))
                copies = [t.clone() for t in inputs]
                keep.append(copies)
                placements.append(triton.testing.do_bench(lambda: model(*copies),
                                                          return_mode="median"))
            row["placements_do_bench_ms"] = placements
            del keep
            row["do_bench_again_ms"] = triton.testing.do_bench(fn, return_mode="median")
        row["nvml_after"] = _nvml_state()
        diag["kernels"][name] = row
        print(f"diagnose {name}: " + json.dumps({k: (round(v, 5) if isinstance(v, float) else v)
                                                  for k, v in row.items()
                                                  if k != "nvml_after"}), flush=True)
        save()
        del inputs, model
        torch.cuda.empty_cache()
    diag["nvml_after"] = _nvml_state()
    return diag


def _print_diagnosis(diag: dict[str, Any]) -> None:
    print("\ndiagnosis (medians, ms; harness = this tree's CudaEventTimer.time_call; the next "
          "three: its sample with the\nflush's host wait / the device sync before the end "
          "event / both left out; 'empty' = a sample with no call, as before)")
    print(f"{'kernel':14} {'do_bench':>9} {'harness':>9} {'async fl':>9} {'no end sy':>9} "
          f"{'neither':>9} {'empty':>7} {'host':>7} {'placements min-max':>20} {'again':>9}")
    for name, r in diag["kernels"].items():
        pl = r["placements_do_bench_ms"]
        print(f"{name:14} {fmt(r['do_bench_ms'])} {fmt(r['ours_timer_ms'])} "
              f"{fmt(r['async_flush_sync_end_ms'])} {fmt(r['sync_flush_no_end_sync_ms'])} "
              f"{fmt(r['async_flush_no_end_sync_ms'])} "
              f"{fmt(r['empty_sync_flush_sync_end_ms'], '7.4f')} {fmt(r['host_call_ms'], '7.4f')}"
              f" {min(pl):9.4f}-{max(pl):9.4f} {fmt(r['do_bench_again_ms'])}")
    print("nvml before:", diag.get("nvml_before"), "\nnvml after:", diag.get("nvml_after"))


def fmt(v: float | None, spec: str = "9.4f") -> str:
    return format(v, spec) if isinstance(v, (int, float)) else f"{'-':>{spec.split('.')[0]}}"


def _parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dry-run", action="store_true",
                    help="tiny sizes, Triton interpreter on the CPU, no do_bench")
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--no-forced-modes", action="store_true",
                    help="skip the small kernel's extra single and batched profiles")
    ap.add_argument("--no-profiles", action="store_true",
                    help="skip step 2 (child-process profiles)")
    ap.add_argument("--diagnose", action="store_true",
                    help="step 4: decompose our single-mode time against do_bench (GPU)")
    ap.add_argument("--kernels", default=",".join(KERNELS),
                    help="comma-separated subset of " + ",".join(KERNELS))
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
    wanted = [k for k in args.kernels.split(",") if k]
    unknown = set(wanted) - set(KERNELS)
    if unknown:
        raise SystemExit(f"unknown kernels: {sorted(unknown)}")
    for name, (task_src, kernel_src, n, dry_n) in KERNELS.items():
        if name not in wanted:
            continue
        task_path, cand_path = tmp / f"{name}_task.py", tmp / f"{name}_kernel.py"
        task_path.write_text(textwrap.dedent(task_src.format(n=dry_n if args.dry_run else n)))
        cand_path.write_text(textwrap.dedent(kernel_src))
        files[name] = (task_path, cand_path)
    return files


def _profile_all(args: argparse.Namespace, tmp: Path, files: dict[str, tuple[Path, Path]],
                 profile_peaks: dict[str, Any] | None, runs: dict[str, dict[str, Any]],
                 save: Any) -> dict[str, dict[str, Any]]:
    plan = [(name, label, mode) for name in files for label, mode in
            (("run1", "auto"), ("run2", "auto"))]
    if SMALL in files and not args.no_forced_modes:
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
        save()
    return runs


def _row(name: str, subject: str, s: dict[str, Any], s2: dict[str, Any] | None,
         db: float | None, dbcg: float | None = None) -> dict[str, Any]:
    diff = abs(s["median_ms"] - s2["median_ms"]) if s2 else None
    spread = s["p90_ms"] - s["p10_ms"]
    return {"kernel": name, "subject": subject, "mode": s["timing_mode"],
            "calls": s["calls_per_sample"], "run1_ms": s["median_ms"],
            "run2_ms": s2["median_ms"] if s2 else None, "diff_ms": diff, "spread_ms": spread,
            "diff_within_spread": diff <= spread if s2 else None,
            "diff_pct": 100 * diff / s["median_ms"] if s2 else None,
            "single_median_ms": s["single_median_ms"], "do_bench_ms": db,
            "ours_over_do_bench": s["median_ms"] / db if db else None,
            "do_bench_cudagraph_ms": dbcg,
            "ours_over_do_bench_cudagraph": s["median_ms"] / dbcg if dbcg else None,
            "fallback": s["fallback"]}


def _rows(runs: dict[str, dict[str, Any]], bench: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name in runs:
        r1, r2 = runs[name]["run1"]["result"], runs[name]["run2"]["result"]
        for subject in SUBJECTS:
            s1, s2 = subject_stats(r1, subject), subject_stats(r2, subject)
            if s1 and s2:
                rows.append(_row(name, subject, s1, s2, bench.get(name, {}).get(subject),
                                 bench.get(name, {}).get(subject + "_cudagraph")))
        if name != SMALL:
            continue
        for label in ("single", "batched"):
            if label not in runs[name]:
                continue
            s = subject_stats(runs[name][label]["result"], "candidate")
            if s:
                rows.append(_row(name, f"candidate[{label}]", s, None,
                                 bench.get(name, {}).get("candidate"),
                                 bench.get(name, {}).get("candidate_cudagraph")))
    return rows


def _summary(runs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    summary = {}
    for name in runs:
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
          f"{'diff%':>6} {'p10-p90':>9} {'in?':>4} {'do_bench':>9} {'ours/db':>7} "
          f"{'db_graph':>9} {'ours/dbg':>8}")
    for r in rows:
        print(f"{r['kernel']:14} {r['subject']:19} {r['mode']:10} {r['calls']:>5} "
              f"{fmt(r['run1_ms'])} {fmt(r['run2_ms'])} {fmt(r['diff_pct'], '6.2f')} "
              f"{fmt(r['spread_ms'])} {YES_NO.get(r['diff_within_spread'], '-'):>4} "
              f"{fmt(r['do_bench_ms'])} {fmt(r['ours_over_do_bench'], '7.3f')} "
              f"{fmt(r['do_bench_cudagraph_ms'])} {fmt(r['ours_over_do_bench_cudagraph'], '8.3f')}")


def main() -> None:
    args = _parse_args()
    out_dir = Path(os.environ.get("OUT") or "/tmp/out")
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="akg_fidelity_"))
    report: dict[str, Any] = {"dry_run": args.dry_run, "runs": args.runs, "warmup": args.warmup}
    report["env"] = _probe_env()
    print("env:", report["env"], flush=True)
    json_path = out_dir / "timing_fidelity.json"

    def save() -> None:
        json_path.write_text(json.dumps(report, indent=2))

    files = _write_kernels(args, tmp)
    runs: dict[str, dict[str, Any]] = {}
    if not args.no_profiles:
        report["peaks"] = _measure_peaks(args, tmp)
        profile_peaks = report["peaks"].get("peaks")
        report["profiles"] = runs
        save()
        _profile_all(args, tmp, files, profile_peaks, runs, save)
        save()
    bench = {} if args.dry_run else do_bench_all(files, seed=0)
    report["do_bench_ms"] = bench
    report["rows"] = rows = _rows(runs, bench)
    report["summary"] = summary = _summary(runs)
    save()
    if args.diagnose and not args.dry_run:
        report["diagnosis"] = diagnose_all(files, seed=0, runs=args.runs, save=save,
                                           into=report)
        save()
    _print_tables(summary, rows)
    if report.get("diagnosis"):
        _print_diagnosis(report["diagnosis"])


if __name__ == "__main__":
    main()
