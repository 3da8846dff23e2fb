"""`counters`: a few Nsight Compute hardware counters of one candidate call.

ncu starts a fresh Python (`akg_harness.counters_target`) that builds the task's inputs and the
candidate, calls it once untimed (JIT compiles, caches warm), then once between
cudaProfilerStart and cudaProfilerStop; with `--profile-from-start off` ncu measures only the
kernels of that second call. The agent runs this command in a cold child, never a forked child
of the warm server: ncu must start the process it measures.

Whatever keeps the counters from being taken is the result's one-line `unavailable`, never an
error: ncu not found, no CUDA device, no permission for the counters (ERR_NVGPUCTRPERM), the
candidate failing under ncu, no kernel launched, ncu running out of time.
This module imports no torch: the counters are the measured process's business.
"""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from typing import Any, Callable

# Metric -> the result's key.
METRICS = {
    "gpu__time_duration.sum": "duration_ns",
    "dram__throughput.avg.pct_of_peak_sustained_elapsed": "dram_pct",
    "sm__throughput.avg.pct_of_peak_sustained_elapsed": "sm_pct",
    "sm__warps_active.avg.pct_of_peak_sustained_active": "occupancy_pct",
}
# Warp stall reasons, as cycles per issued instruction (WarpStateStats).
STALLS = ("long_scoreboard", "short_scoreboard", "lg_throttle", "mio_throttle",
          "math_pipe_throttle", "tex_throttle", "barrier", "membar", "wait", "not_selected",
          "no_instruction", "dispatch_stall", "drain", "branch_resolving", "imc_miss")
STALL_METRIC = "smsp__average_warps_issue_stalled_{}_per_issue_active.ratio"
MAX_KERNELS = 5          # the longest kernels of the call are reported
TIME_SHARE = 0.9         # of the request's timeout, so the answer comes before the kill
NO_KERNEL = "No kernels were profiled"

Runner = Callable[..., subprocess.CompletedProcess]


def find_ncu(env: dict[str, str]) -> str | None:
    """ncu on PATH, else under CUDA_HOME or /usr/local/cuda."""
    found = shutil.which("ncu", path=env.get("PATH"))
    if found:
        return found
    for root in (env.get("CUDA_HOME"), env.get("CUDA_PATH"), "/usr/local/cuda"):
        if root and os.access(os.path.join(root, "bin", "ncu"), os.X_OK):
            return os.path.join(root, "bin", "ncu")
    return None


def all_metrics() -> list[str]:
    return list(METRICS) + [STALL_METRIC.format(s) for s in STALLS]


def command(ncu: str, target_request: str, log_file: str) -> list[str]:
    """The ncu command line around the measured Python."""
    return [ncu, "--profile-from-start", "off", "--target-processes", "all",
            "--metrics", ",".join(all_metrics()), "--csv", "--page", "raw",
            "--print-units", "base", "--log-file", log_file,
            sys.executable, "-m", "akg_harness.counters_target", target_request]


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def parse_report(text: str) -> list[dict[str, Any]]:
    """The kernels of ncu's raw CSV page (a header row, a units row, one row per kernel),
    longest first; ncu's own "==PROF==" lines around it are skipped."""
    rows = [line for line in text.splitlines() if line.startswith('"')]
    table = list(csv.reader(io.StringIO("\n".join(rows))))
    if len(table) < 2 or "Kernel Name" not in table[0]:
        return []
    header = table[0]
    kernels = []
    for row in table[1:]:
        cells = dict(zip(header, row))
        if _number(cells.get("ID", "")) is None:  # the units row
            continue
        k: dict[str, Any] = {"name": cells.get("Kernel Name", "?")}
        for metric, key in METRICS.items():
            k[key] = _number(cells.get(metric, ""))
        stalls = {s: _number(cells.get(STALL_METRIC.format(s), "")) for s in STALLS}
        k["stalls"] = {s: v for s, v in stalls.items() if v is not None}
        k["duration_us"] = (k.pop("duration_ns") or 0) / 1000
        kernels.append(k)
    kernels.sort(key=lambda k: -k["duration_us"])
    return kernels


def first_problem(text: str) -> str | None:
    """ncu's first ==ERROR== line, without the prefix."""
    for line in text.splitlines():
        if line.startswith("==ERROR=="):
            return line[len("==ERROR=="):].strip()
    return None


def _unavailable(why: str, log: str = "") -> dict[str, Any]:
    return {"ok": False, "unavailable": why, "kernels": [], "log": log[-4000:]}


def run(request: dict[str, Any], runner: Runner = subprocess.run,
        env: dict[str, str] | None = None) -> dict[str, Any]:
    """Handles a counters request (see the module's text)."""
    env = dict(os.environ if env is None else env)
    if request["device"] != "cuda":
        return _unavailable("hardware counters need a CUDA device; this run is on the CPU")
    ncu = find_ncu(env)
    if ncu is None:
        return _unavailable("Nsight Compute (ncu) is not installed here (not on PATH, nor "
                            "under CUDA_HOME or /usr/local/cuda)")
    folder = os.getcwd()
    target = os.path.join(folder, "counters_target.json")
    with open(target, "w", encoding="utf-8") as f:
        json.dump({k: request[k] for k in ("task_path", "candidate_path", "dsl", "seed")}, f)
    log_file = os.path.join(folder, "ncu.log")
    timeout = float(request["timeout_s"]) * TIME_SHARE
    try:
        done = runner(command(ncu, target, log_file), capture_output=True, text=True,
                      timeout=timeout, env=env, cwd=folder)
    except subprocess.TimeoutExpired:
        return _unavailable(f"ncu did not finish within {timeout:.0f} s")
    except OSError as e:
        return _unavailable(f"ncu could not start: {e}")
    try:
        with open(log_file, encoding="utf-8", errors="replace") as f:
            report = f.read()
    except OSError:
        report = ""
    output = f"{done.stdout or ''}\n{done.stderr or ''}"
    problem = first_problem(report) or first_problem(output)
    kernels = parse_report(report)
    if kernels:
        return {"ok": True, "unavailable": None, "kernels": kernels[:MAX_KERNELS],
                "ncu": ncu, "log": output[-4000:]}
    if problem:
        return _unavailable(f"ncu: {problem}", report + output)
    if NO_KERNEL in report + output:
        return _unavailable("ncu measured no kernel: the candidate launched none on the device",
                            report + output)
    tail = (output.strip().splitlines() or ["no output"])[-1]
    return _unavailable(f"ncu exited with status {done.returncode} and no counters ({tail})",
                        report + output)
