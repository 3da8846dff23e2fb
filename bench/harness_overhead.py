"""Where the wall time of verifying one candidate goes, and candidates verified per minute,
with the harness run cold (a fresh Python per candidate) and warm (a pre-warmed server forks a
child per candidate).

Usage: python bench/harness_overhead.py [--candidates N] [--trials T] [--rows R] [--cols C]
                                        [--modes cold,warm] [--python PY] [--json OUT.json]

Writes a small task (gelu(x) * 2 + y, float32, CPU) and N copies of an honest cpp candidate
(each with its own C++ source, so each compiles like a fresh candidate would), then verifies
each candidate as the agent does (fresh working folder, PYTHONPATH=harness, the kernel cache in
AKG_KERNEL_CACHE):
  cold: `python -m akg_harness verify --request R --result S` as a child process;
  warm: a `run` line to one `python -m akg_harness.server` (started once, before the first
        candidate; its start-up time is printed separately), whose forked child runs the same
        command code.

1. Breakdown (instrumented, one verify per candidate). Cold: the child is `python -c WRAPPER`,
   which stamps the clock, imports torch, wraps harness functions by identity (outermost call
   only, so nested ones are not counted twice) and calls `akg_harness.__main__.main`. Warm: the
   server is `python -c WARM_WRAPPER`, which installs the same wrappers before it serves, so
   every forked child counts its own calls. Per candidate:
     start      from just before the request is handed over (Popen, or the `run` line) to the
                command's first line (cold: interpreter start-up; warm: the fork and the
                child's set-up)
     torch      `import torch` (cold only; the warm server did it once)
     reference  task load, init inputs, reference construction, input draws, reference runs,
                and the reference cache's own methods (a hit replaces reference runs)
     compile    importing the candidate (load_candidate / load_candidate_module: the
                sanctioned loader compiles cpp there) and any later load_cpp call
     verify     the rest of the verify command: construction, candidate calls, comparisons,
                integrity checks
     rest       harness imports, request parsing, result writing, interpreter exit or child
                reaping, and (warm) relaying the result line
     overhead   wall minus the verify command's own work (reference + compile + verify): what
                the issue's goal (under 1 s once warm) is about
   once with a cold kernel cache (every candidate compiles), once warm (same sources again),
   and once warm with the reference cache on.
2. Throughput (plain children or the plain server, sequential): candidates per minute with the
   reference cache off and on (`reference_cache_dir`, one folder shared by the N verifies),
   each with a cold and a warm kernel cache.

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

# Wraps harness functions by identity (outermost call only, so nested ones are not counted
# twice) and accumulates their seconds in `spent`. Shared by the cold child and the warm server.
INSTRUMENT = r'''
import importlib, json, os, sys, time
t0 = time.perf_counter()
import torch
t_torch = time.perf_counter() - t0
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
'''

# Runs in the cold child: argv = [parent_popen_time, stamps_path, command, --request, R, ...]
WRAPPER = r'''
import sys, time
t_first = time.time()
''' + INSTRUMENT + r'''
code = main_mod.main(sys.argv[3:])
with open(sys.argv[2], "w") as f:
    json.dump({"first_line": t_first, "torch": t_torch, **spent}, f)
sys.exit(code)
'''

# Runs as the instrumented warm server: each forked child resets the counters, runs the
# command and writes its stamps to $AKG_BENCH_STAMPS (from the request's environment).
WARM_WRAPPER = INSTRUMENT + r'''
inner_main = main_mod.main
def stamped_main(argv):
    t_first = time.time()
    for key in spent:
        spent[key] = 0.0
    code = inner_main(argv)
    with open(os.environ["AKG_BENCH_STAMPS"], "w") as f:
        json.dump({"first_line": t_first, "torch": 0.0, **spent}, f)
    return code
main_mod.main = stamped_main
from akg_harness.server import main as serve
sys.exit(serve())
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


def child_env(kernel_cache: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "API_KEY" not in k}
    env.update(PYTHONPATH=str(HARNESS), AKG_KERNEL_CACHE=str(kernel_cache), **(extra or {}))
    return env


def fresh_folder(work: Path, request: dict[str, Any]) -> tuple[Path, Path]:
    if work.exists():
        shutil.rmtree(work)
    (work / "tmp").mkdir(parents=True)
    request_path, result_path = work / "request.json", work / "result.json"
    request_path.write_text(json.dumps(request))
    return request_path, result_path


def read_result(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.exists() else {}


class Cold:
    """One `python [argv] verify --request R --result S` child per candidate, as the agent's
    cold mode runs it."""

    name = "cold"

    def __init__(self, python: str, argv: list[str]) -> None:
        self.python, self.argv = python, argv

    def verify(self, request: dict[str, Any], work: Path, kernel_cache: Path,
               extra_env: dict[str, str] | None = None) -> tuple[float, dict[str, Any], str]:
        request_path, result_path = fresh_folder(work, request)
        args = [self.python, *self.argv, "verify", "--request", str(request_path), "--result",
                str(result_path)]
        start = time.perf_counter()
        proc = subprocess.run(args, cwd=work, env=child_env(kernel_cache, extra_env),
                              capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
        return wall, read_result(result_path), proc.stderr

    def close(self) -> None:
        pass


class Warm:
    """One warm server (`python -m akg_harness.server`, or the instrumented WARM_WRAPPER) that
    forks a child per candidate, as the agent's warm mode runs it."""

    name = "warm"

    def __init__(self, python: str, instrumented: bool, root: Path) -> None:
        sys.path.insert(0, str(HARNESS))
        from akg_harness.server_client import WarmServer
        home = root / "server_home"
        home.mkdir(exist_ok=True)
        env = child_env(root / "unused", {"HOME": str(home), "TMPDIR": str(home)})
        start = time.perf_counter()
        if instrumented:
            self.server = _InstrumentedServer(python, env)
        else:
            self.server = WarmServer(python, env)
        self.start_s = time.perf_counter() - start
        self.ready = self.server.ready

    def verify(self, request: dict[str, Any], work: Path, kernel_cache: Path,
               extra_env: dict[str, str] | None = None) -> tuple[float, dict[str, Any], str]:
        request_path, result_path = fresh_folder(work, request)
        env = child_env(kernel_cache, {"HOME": str(work), "TMPDIR": str(work / "tmp"),
                                       **(extra_env or {})})
        start = time.perf_counter()
        outcome = self.server.run("verify", str(request_path), str(result_path), cwd=str(work),
                                  env=env, timeout_s=600)
        wall = time.perf_counter() - start
        return wall, read_result(result_path), outcome["stderr"]

    def close(self) -> None:
        self.server.close()


def _InstrumentedServer(python: str, env: dict[str, str]):
    """A WarmServer whose program is `python -c WARM_WRAPPER` instead of `-m akg_harness.server`."""
    from akg_harness import server_client
    original = server_client.subprocess.Popen

    def popen(args, **kwargs):
        return original([python, "-c", WARM_WRAPPER], **kwargs)
    server_client.subprocess.Popen = popen
    try:
        return server_client.WarmServer(python, env)
    finally:
        server_client.subprocess.Popen = original


def breakdown(runner, task: Path, candidates: list[Path], trials: int, root: Path,
              ref_cache: Path | None, kernel_cache: Path) -> list[dict[str, Any]]:
    rows = []
    for i, cand in enumerate(candidates):
        stamps = root / f"stamps_{i}.json"
        stamps.unlink(missing_ok=True)
        popen_time = time.time()
        if isinstance(runner, Cold):
            runner.argv = ["-c", WRAPPER, str(popen_time), str(stamps)]
        wall, result, stderr = runner.verify(verify_request(task, cand, trials, ref_cache),
                                             root / "work", kernel_cache,
                                             {"AKG_BENCH_STAMPS": str(stamps)})
        if not stamps.exists():
            print(f"  candidate {i}: child wrote no stamps\n{stderr[-2000:]}")
            continue
        s = json.loads(stamps.read_text())
        start = s["first_line"] - popen_time
        verify_rest = s["verify_run"] - s["reference"] - s["compile"]
        rest = wall - start - s["torch"] - s["verify_run"]
        rows.append({"candidate": i, "wall_s": wall, "start_s": start, "torch_s": s["torch"],
                     "reference_s": s["reference"], "compile_s": s["compile"],
                     "verify_s": verify_rest, "rest_s": rest,
                     "overhead_s": wall - s["verify_run"],
                     "verdict": result.get("verdict"), "message": result.get("message")})
    return rows


def throughput(runner, task: Path, candidates: list[Path], trials: int, root: Path,
               ref_cache: Path | None, kernel_cache: Path) -> dict[str, Any]:
    walls, verdicts = [], []
    for cand in candidates:
        wall, result, _ = runner.verify(verify_request(task, cand, trials, ref_cache),
                                        root / "work", kernel_cache)
        walls.append(wall)
        verdicts.append(result.get("verdict"))
    total = sum(walls)
    return {"walls_s": walls, "mean_s": total / len(walls), "median_s": statistics.median(walls),
            "per_minute": 60.0 * len(walls) / total, "verdicts": verdicts}


COLUMNS = ("wall_s", "start_s", "torch_s", "reference_s", "compile_s", "verify_s", "rest_s",
           "overhead_s")


def print_breakdown(title: str, rows: list[dict[str, Any]]) -> None:
    print(f"\n{title}")
    print(f"{'cand':>4} " + " ".join(f"{c[:-2]:>9}" for c in COLUMNS) + "  verdict")
    for r in rows:
        print(f"{r['candidate']:>4} " + " ".join(f"{r[c]:9.3f}" for c in COLUMNS)
              + f"  {r['verdict']}")
    if rows:
        print(f"{'med':>4} " + " ".join(f"{statistics.median(r[c] for r in rows):9.3f}"
                                        for c in COLUMNS))


def run_mode(runner, args, task: Path, candidates: list[Path], root: Path) -> dict[str, Any]:
    """The three breakdowns and the four throughput rows of one mode."""
    label = runner.name
    kc = root / f"kernels_breakdown_{label}"
    cold = breakdown(runner, task, candidates, args.trials, root, None, kc)
    warm = breakdown(runner, task, candidates, args.trials, root, None, kc)
    rc = root / f"refcache_breakdown_{label}"
    cached = breakdown(runner, task, candidates, args.trials, root, rc, kc)
    print_breakdown(f"[{label}] Breakdown, seconds (kernel cache cold: every candidate "
                    "compiles; reference cache off)", cold)
    print_breakdown(f"[{label}] Breakdown, seconds (kernel cache warm; reference cache off)", warm)
    print_breakdown(f"[{label}] Breakdown, seconds (kernel cache warm; reference cache on, first "
                    "candidate fills it)", cached)
    return {"cold_kernels": cold, "warm_kernels": warm, "warm_kernels_reference_cache": cached}


def run_throughput(runner, args, task: Path, candidates: list[Path],
                   root: Path) -> dict[tuple[bool, str], dict[str, Any]]:
    rows = {}
    for ref_on in (False, True):
        ref_cache = root / f"refcache_{runner.name}_{int(ref_on)}" if ref_on else None
        kernels = root / f"kernels_tp_{runner.name}_{int(ref_on)}"
        rows[(ref_on, "cold")] = throughput(runner, task, candidates, args.trials, root,
                                            ref_cache, kernels)
        rows[(ref_on, "warm")] = throughput(runner, task, candidates, args.trials, root,
                                            ref_cache, kernels)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--candidates", type=int, default=6)
    ap.add_argument("--trials", type=int, default=3)
    ap.add_argument("--rows", type=int, default=512)
    ap.add_argument("--cols", type=int, default=1024)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--modes", default="cold,warm", help="comma list of cold, warm")
    ap.add_argument("--json", help="also write every number to this file")
    args = ap.parse_args()
    modes = [m for m in args.modes.split(",") if m]

    root = Path(tempfile.mkdtemp(prefix="akg_overhead_"))
    try:
        task, candidates = write_files(root, args.candidates, args.rows, args.cols)
        has_cache = supports_reference_cache(args.python)
        print(f"python {args.python}; task gelu(x)*2+y {args.rows}x{args.cols} float32 on CPU; "
              f"{args.candidates} cpp candidates; {args.trials} trials each; modes {modes}")
        print("reference_cache_dir: " + ("supported by this harness" if has_cache else
              "NOT supported by this harness: the 'on' rows send the key, which is ignored"))
        report: dict[str, Any] = {"args": vars(args), "reference_cache_supported": has_cache,
                                  "breakdown": {}, "throughput": [], "warm_server": {}}
        tp_rows = {}
        for mode in modes:
            if mode == "cold":
                report["breakdown"]["cold"] = run_mode(Cold(args.python, []), args, task,
                                                       candidates, root)
                tp_rows["cold"] = run_throughput(Cold(args.python, ["-m", "akg_harness"]), args,
                                                 task, candidates, root)
            else:
                instrumented = Warm(args.python, True, root)
                try:
                    report["breakdown"]["warm"] = run_mode(instrumented, args, task, candidates,
                                                           root)
                finally:
                    instrumented.close()
                plain = Warm(args.python, False, root)
                try:
                    report["warm_server"] = {"start_s": plain.start_s, "ready": plain.ready}
                    print(f"\n[warm] server start (python start, imports, ready line): "
                          f"{plain.start_s:.2f} s, once per agent run")
                    tp_rows["warm"] = run_throughput(plain, args, task, candidates, root)
                finally:
                    plain.close()
        print("\nThroughput, one verify per candidate, sequential (wall per candidate as the "
              "agent sees it)")
        print(f"{'mode':>5} {'reference cache':>15} {'kernels':>8} {'mean s':>8} "
              f"{'median s':>9} {'per minute':>11}  verdicts")
        for mode, rows in tp_rows.items():
            for (ref_on, kernels), r in rows.items():
                print(f"{mode:>5} {('on' if ref_on else 'off'):>15} {kernels:>8} "
                      f"{r['mean_s']:8.3f} {r['median_s']:9.3f} {r['per_minute']:11.1f}  "
                      f"{sorted(set(map(str, r['verdicts'])))}")
                report["throughput"].append({"mode": mode, "reference_cache": ref_on,
                                             "kernel_cache": kernels, **r})
        if args.json:
            Path(args.json).write_text(json.dumps(report, indent=2))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
