"""Where the wall time of verifying one candidate goes, and candidates verified per minute.

Usage: python bench/harness_overhead.py [--candidates N] [--trials T] [--rows R] [--cols C]
                                        [--python PY] [--json OUT.json]

Writes a small task (gelu(x) * 2 + y, float32, CPU) and N copies of an honest cpp candidate
(each with its own C++ source, so each compiles like a fresh candidate would), then runs the
harness's `verify` as a child process per candidate, as the agent does (fresh working folder,
PYTHONPATH=harness, the kernel cache in AKG_KERNEL_CACHE).

1. Breakdown (one instrumented child per candidate): the child is `python -c WRAPPER`, which
   stamps the clock, imports torch, wraps harness functions by identity (outermost call only,
   so nested ones are not counted twice) and calls `akg_harness.__main__.main` with the same
   arguments. Per candidate:
     start      parent's Popen to the child's first line (interpreter start-up)
     torch      `import torch`
     reference  task load, init inputs, reference construction, input draws, reference runs,
                and the reference cache's own methods (a hit replaces reference runs)
     compile    importing the candidate (load_candidate / load_candidate_module: the
                sanctioned loader compiles cpp there) and any later load_cpp call
     verify     the rest of the verify command: construction, candidate calls, comparisons,
                integrity checks
     rest       harness imports, request parsing, result writing, interpreter exit
   once with a cold kernel cache (every candidate compiles) and once warm (same sources again).
2. Throughput (plain `python -m akg_harness verify` children, sequential): candidates per
   minute with the reference cache off and on (`reference_cache_dir`, one folder shared by the
   N verifies), each with a cold and a warm kernel cache.

Prints the numbers; asserts nothing. If the harness does not know `reference_cache_dir`, the
"on" rows are measured with what exists (the key is ignored) and the output says so.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
HARNESS = REPO / "harness"

TASK = '''
"""gelu(x) * 2 + y on a float32 matrix."""
import torch


class Model(torch.nn.Module):
    def forward(self, x, y):
        return torch.nn.functional.gelu(x) * 2.0 + y


def get_inputs():
    return [torch.randn({rows}, {cols}), torch.randn({rows}, {cols})]


def get_init_inputs():
    return []
'''

CANDIDATE = '''
"""gelu(x) * 2 + y in C++ through the sanctioned loader (copy {index})."""
import ctypes

import torch

from akg_harness.native import load_cpp

SOURCE = r"""
// candidate {index}
#include <cmath>
extern "C" void gelu2_add(const float* x, const float* y, float* out, long n) {{
  #pragma omp parallel for if (n > 65536)
  for (long i = 0; i < n; ++i) {{
    float v = x[i];
    out[i] = v * (1.0f + std::erf(v * 0.70710678118654752f)) + y[i];
  }}
}}
"""

_lib = load_cpp(SOURCE)
_lib.gelu2_add.argtypes = (ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_long)
_lib.gelu2_add.restype = None


class ModelNew(torch.nn.Module):
    def forward(self, x, y):
        x = x.contiguous()
        y = y.contiguous()
        out = torch.empty_like(x)
        _lib.gelu2_add(x.data_ptr(), y.data_ptr(), out.data_ptr(), x.numel())
        return out
'''

# Runs in the child: argv = [parent_popen_time, stamps_path, command, --request, R, --result, O]
WRAPPER = r'''
import sys, time
t_first = time.time()
import json
t0 = time.perf_counter()
import torch
t_torch = time.perf_counter() - t0
import importlib
pkg = importlib.import_module("akg_harness")
main_mod = importlib.import_module("akg_harness.__main__")
for name in ("task", "candidate", "native", "verify", "trial", "reference_cache"):
    try:
        importlib.import_module("akg_harness." + name)
    except ImportError:
        pass
spent = {"reference": 0.0, "compile": 0.0, "verify_run": 0.0}
depth = [0]

def wrap(fn, category):
    def wrapper(*args, **kwargs):
        if depth[0]:
            return fn(*args, **kwargs)
        depth[0] += 1
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[category] += time.perf_counter() - start
            depth[0] -= 1
    wrapper.__wrapped__ = fn
    return wrapper

targets = {}
task = sys.modules.get("akg_harness.task")
for name in ("load_task", "init_inputs", "build_reference", "draw_inputs", "run_reference"):
    fn = getattr(task, name, None)
    if fn is not None:
        targets[id(fn)] = (fn, "reference")
cand = sys.modules.get("akg_harness.candidate")
native = sys.modules.get("akg_harness.native")
for owner, name in ((cand, "load_candidate"), (cand, "load_candidate_module"),
                    (native, "load_cpp")):
    fn = getattr(owner, name, None)
    if fn is not None:
        targets[id(fn)] = (fn, "compile")
wrappers = {key: wrap(fn, cat) for key, (fn, cat) in targets.items()}
for mod_name, module in list(sys.modules.items()):
    if not mod_name.startswith("akg_harness") or module is None:
        continue
    for attr, value in list(vars(module).items()):
        if id(value) in wrappers and value is targets[id(value)][0]:
            setattr(module, attr, wrappers[id(value)])
store = getattr(sys.modules.get("akg_harness.reference_cache"), "ReferenceStore", None)
if store is not None:
    for attr, value in list(vars(store).items()):
        if type(value).__name__ == "function" and not attr.startswith("__"):
            setattr(store, attr, wrap(value, "reference"))
verify = sys.modules["akg_harness.verify"]
inner_run = verify.run
def timed_run(request):
    start = time.perf_counter()
    try:
        return inner_run(request)
    finally:
        spent["verify_run"] += time.perf_counter() - start
verify.run = timed_run
code = main_mod.main(sys.argv[3:])
with open(sys.argv[2], "w") as f:
    json.dump({"first_line": t_first, "torch": t_torch, **spent}, f)
sys.exit(code)
'''


def write_files(folder: Path, n: int, rows: int, cols: int) -> tuple[Path, list[Path]]:
    task = folder / "task.py"
    task.write_text(textwrap.dedent(TASK.format(rows=rows, cols=cols)))
    candidates = []
    for i in range(n):
        path = folder / f"candidate_{i:02d}.py"
        path.write_text(textwrap.dedent(CANDIDATE.format(index=i)))
        candidates.append(path)
    return task, candidates


def supports_reference_cache(python: str) -> bool:
    code = ("from akg_harness.request import OPTIONAL; "
            "print('reference_cache_dir' in OPTIONAL['verify'])")
    out = subprocess.run([python, "-c", code], env={**os.environ, "PYTHONPATH": str(HARNESS)},
                         capture_output=True, text=True, check=False).stdout
    return out.strip() == "True"


def verify_request(task: Path, cand: Path, trials: int, ref_cache: Path | None) -> dict[str, Any]:
    request: dict[str, Any] = {"task_path": str(task), "candidate_path": str(cand), "dsl": "cpp",
                               "device": "cpu", "seed": 0, "trials": trials,
                               "atol": None, "rtol": None}
    if ref_cache is not None:
        request["reference_cache_dir"] = str(ref_cache)
    return request


def run_child(python: str, argv: list[str], request: dict[str, Any], work: Path,
              kernel_cache: Path) -> tuple[float, dict[str, Any], subprocess.CompletedProcess]:
    """Runs one child in a fresh working folder; returns wall seconds, result, process."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    request_path, result_path = work / "request.json", work / "result.json"
    request_path.write_text(json.dumps(request))
    env = {k: v for k, v in os.environ.items() if "API_KEY" not in k}
    env.update(PYTHONPATH=str(HARNESS), AKG_KERNEL_CACHE=str(kernel_cache))
    args = [python, *argv, "verify", "--request", str(request_path), "--result",
            str(result_path)]
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=work, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    result = json.loads(result_path.read_text()) if result_path.exists() else {}
    return wall, result, proc


def breakdown(python: str, task: Path, candidates: list[Path], trials: int, root: Path,
              ref_cache: Path | None, kernel_cache: Path) -> list[dict[str, Any]]:
    rows = []
    for i, cand in enumerate(candidates):
        stamps = root / f"stamps_{i}.json"
        popen_time = time.time()
        wall, result, proc = run_child(
            python, ["-c", WRAPPER, str(popen_time), str(stamps)],
            verify_request(task, cand, trials, ref_cache), root / "work", kernel_cache)
        if not stamps.exists():
            print(f"  candidate {i}: child wrote no stamps (exit {proc.returncode})\n"
                  f"{proc.stderr[-2000:]}")
            continue
        s = json.loads(stamps.read_text())
        start = s["first_line"] - popen_time
        verify_rest = s["verify_run"] - s["reference"] - s["compile"]
        rest = wall - start - s["torch"] - s["verify_run"]
        rows.append({"candidate": i, "wall_s": wall, "start_s": start, "torch_s": s["torch"],
                     "reference_s": s["reference"], "compile_s": s["compile"],
                     "verify_s": verify_rest, "rest_s": rest,
                     "verdict": result.get("verdict"), "message": result.get("message")})
    return rows


def throughput(python: str, task: Path, candidates: list[Path], trials: int, root: Path,
               ref_cache: Path | None, kernel_cache: Path) -> dict[str, Any]:
    walls, verdicts = [], []
    for cand in candidates:
        wall, result, _ = run_child(python, ["-m", "akg_harness"],
                                    verify_request(task, cand, trials, ref_cache),
                                    root / "work", kernel_cache)
        walls.append(wall)
        verdicts.append(result.get("verdict"))
    total = sum(walls)
    return {"walls_s": walls, "mean_s": total / len(walls), "median_s": statistics.median(walls),
            "per_minute": 60.0 * len(walls) / total, "verdicts": verdicts}


def print_breakdown(title: str, rows: list[dict[str, Any]]) -> None:
    print(f"\n{title}")
    cols = ("wall_s", "start_s", "torch_s", "reference_s", "compile_s", "verify_s", "rest_s")
    print(f"{'cand':>4} " + " ".join(f"{c[:-2]:>9}" for c in cols) + "  verdict")
    for r in rows:
        print(f"{r['candidate']:>4} " + " ".join(f"{r[c]:9.3f}" for c in cols)
              + f"  {r['verdict']}")
    if rows:
        print(f"{'med':>4} " + " ".join(f"{statistics.median(r[c] for r in rows):9.3f}"
                                        for c in cols))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--candidates", type=int, default=6)
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--rows", type=int, default=512)
    ap.add_argument("--cols", type=int, default=1024)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--json", help="also write every number to this file")
    args = ap.parse_args()

    root = Path(tempfile.mkdtemp(prefix="akg_overhead_"))
    try:
        task, candidates = write_files(root, args.candidates, args.rows, args.cols)
        has_cache = supports_reference_cache(args.python)
        print(f"python {args.python}; task gelu(x)*2+y {args.rows}x{args.cols} float32 on CPU; "
              f"{args.candidates} cpp candidates; {args.trials} trials each")
        print("reference_cache_dir: " + ("supported by this harness" if has_cache else
              "NOT supported by this harness: the 'on' rows send the key, which is ignored"))
        report: dict[str, Any] = {"args": vars(args), "reference_cache_supported": has_cache}

        kc = root / "kernels_breakdown"
        cold = breakdown(args.python, task, candidates, args.trials, root, None, kc)
        warm = breakdown(args.python, task, candidates, args.trials, root, None, kc)
        rc = root / "refcache_breakdown"
        cached = breakdown(args.python, task, candidates, args.trials, root, rc, kc)
        print_breakdown("Breakdown, seconds (kernel cache cold: every candidate compiles; "
                        "reference cache off)", cold)
        print_breakdown("Breakdown, seconds (kernel cache warm; reference cache off)", warm)
        print_breakdown("Breakdown, seconds (kernel cache warm; reference cache on, first "
                        "candidate fills it)", cached)
        report["breakdown"] = {"cold_kernels": cold, "warm_kernels": warm,
                               "warm_kernels_reference_cache": cached}

        rows = {}
        for ref_on in (False, True):
            ref_cache = root / f"refcache_{int(ref_on)}" if ref_on else None
            kernels = root / f"kernels_tp_{int(ref_on)}"
            rows[(ref_on, "cold")] = throughput(args.python, task, candidates, args.trials,
                                                root, ref_cache, kernels)
            rows[(ref_on, "warm")] = throughput(args.python, task, candidates, args.trials,
                                                root, ref_cache, kernels)
        print("\nThroughput, plain `python -m akg_harness verify` children, sequential")
        print(f"{'reference cache':>15} {'kernels':>8} {'mean s':>8} {'median s':>9} "
              f"{'per minute':>11}  verdicts")
        for (ref_on, kernels), r in rows.items():
            print(f"{('on' if ref_on else 'off'):>15} {kernels:>8} {r['mean_s']:8.3f} "
                  f"{r['median_s']:9.3f} {r['per_minute']:11.1f}  "
                  f"{sorted(set(map(str, r['verdicts'])))}")
        report["throughput"] = [{"reference_cache": ref_on, "kernel_cache": k, **r}
                                for (ref_on, k), r in rows.items()]
        if args.json:
            Path(args.json).write_text(json.dumps(report, indent=2))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
