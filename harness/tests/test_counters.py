"""`counters`: ncu's raw CSV read into kernels, and every way of having no counters said in one
line (no GPU, no ncu, no permission, no kernel, too slow) instead of failing. ncu itself is a
fake here: a runner that writes what ncu would into its log file."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import HARNESS_DIR, fixture_path
from akg_harness import counters

STALL = counters.STALL_METRIC

RAW_CSV = "\n".join([
    "==PROF== Connected to process 4242 (/usr/bin/python3.11)",
    "==PROF== Profiling \"triton_fused\" - 0: 0%....50%....100% - 9 passes",
    '"ID","Process ID","Process Name","Host Name","Kernel Name","Context","Stream",'
    '"gpu__time_duration.sum","dram__throughput.avg.pct_of_peak_sustained_elapsed",'
    '"sm__throughput.avg.pct_of_peak_sustained_elapsed",'
    '"sm__warps_active.avg.pct_of_peak_sustained_active",'
    f'"{STALL.format("long_scoreboard")}","{STALL.format("barrier")}"',
    '"","","","","","","","nsecond","%","%","%","",""',
    '"0","4242","python3.11","host","small_kernel","1","7","2,048","10.5","3.2","20.0","1.5","0"',
    '"1","4242","python3.11","host","triton_fused","1","7","812,300","41.25","12","48.5",'
    '"12.1","0.4"',
    "==PROF== Disconnected from process 4242",
])


def request(tmp_path: Path, device: str = "cuda", timeout_s: float = 60) -> dict[str, Any]:
    return {"task_path": fixture_path("relu_task.py"),
            "candidate_path": fixture_path("relu_cpp.py"), "dsl": "cpp", "device": device,
            "seed": 1, "timeout_s": timeout_s}


@pytest.fixture
def ncu_env(tmp_path: Path) -> dict[str, str]:
    """A PATH with an executable `ncu` in it (the runner below plays it)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    ncu = bin_dir / "ncu"
    ncu.write_text("#!/bin/sh\nexit 99\n")
    ncu.chmod(0o755)
    return {"PATH": str(bin_dir)}


def fake_ncu(log: str, returncode: int = 0, stderr: str = "", seen: list | None = None):
    """A runner that writes `log` where ncu's --log-file points."""
    def run(argv, **kwargs):
        if seen is not None:
            seen.append((argv, kwargs))
        Path(argv[argv.index("--log-file") + 1]).write_text(log)
        return subprocess.CompletedProcess(argv, returncode, "", stderr)
    return run


def test_the_raw_page_becomes_kernels_longest_first_with_their_stalls():
    kernels = counters.parse_report(RAW_CSV)
    assert [k["name"] for k in kernels] == ["triton_fused", "small_kernel"]
    fused = kernels[0]
    assert fused["duration_us"] == pytest.approx(812.3)  # thousands separators read
    assert fused["dram_pct"] == 41.25 and fused["sm_pct"] == 12 and fused["occupancy_pct"] == 48.5
    assert fused["stalls"] == {"long_scoreboard": 12.1, "barrier": 0.4}


def test_a_report_without_the_table_has_no_kernels():
    assert counters.parse_report("==PROF== Disconnected from process 1\n") == []


def test_ncu_measures_a_fresh_python_from_the_profiler_start_only(tmp_path, ncu_env,
                                                                 monkeypatch):
    monkeypatch.chdir(tmp_path)
    seen: list = []
    result = counters.run(request(tmp_path), runner=fake_ncu(RAW_CSV, seen=seen), env=ncu_env)
    assert result["ok"] and result["unavailable"] is None
    assert result["kernels"][0]["name"] == "triton_fused"
    argv, kwargs = seen[0]
    assert argv[0] == str(Path(ncu_env["PATH"]) / "ncu")
    assert argv[argv.index("--profile-from-start") + 1] == "off"
    assert argv[-3:-1] == ["-m", "akg_harness.counters_target"]
    assert argv[argv.index("--metrics") + 1].split(",") == counters.all_metrics()
    target = json.loads(Path(argv[-1]).read_text())
    assert target == {k: request(tmp_path)[k] for k in ("task_path", "candidate_path", "dsl",
                                                        "seed")}
    assert kwargs["timeout"] == pytest.approx(60 * counters.TIME_SHARE)


@pytest.mark.parametrize("log, returncode, stderr, needle", [
    ("==ERROR== ERR_NVGPUCTRPERM - The user does not have permission to access NVIDIA GPU "
     "Performance Counters on the target device 0.\n", 1, "",
     "ncu: ERR_NVGPUCTRPERM - The user does not have permission"),
    ("==WARNING== No kernels were profiled.\n", 0, "",
     "ncu measured no kernel: the candidate launched none on the device"),
    ("", 1, "counters_target: ModelNew raised RuntimeError", "ncu exited with status 1 and no "
     "counters (counters_target: ModelNew raised RuntimeError)"),
])
def test_what_keeps_ncu_from_counting_is_one_line(tmp_path, ncu_env, monkeypatch, log,
                                                  returncode, stderr, needle):
    monkeypatch.chdir(tmp_path)
    result = counters.run(request(tmp_path), runner=fake_ncu(log, returncode, stderr),
                          env=ncu_env)
    assert not result["ok"] and result["kernels"] == []
    assert result["unavailable"].startswith(needle), result["unavailable"]
    assert "\n" not in result["unavailable"]


def test_no_gpu_and_no_ncu_and_no_time_are_said_not_raised(tmp_path, ncu_env, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cpu = counters.run(request(tmp_path, device="cpu"), env=ncu_env)
    assert "need a CUDA device" in cpu["unavailable"]
    absent = counters.run(request(tmp_path), env={"PATH": str(tmp_path / "nothing")})
    assert "ncu) is not installed here" in absent["unavailable"]

    def too_slow(argv, **kwargs):
        raise subprocess.TimeoutExpired(argv, kwargs["timeout"])
    slow = counters.run(request(tmp_path, timeout_s=10), runner=too_slow, env=ncu_env)
    assert slow["unavailable"] == "ncu did not finish within 9 s"


def test_the_command_line_answers_on_the_cpu_with_a_result_not_an_error(tmp_path):
    request_path, result_path = tmp_path / "request.json", tmp_path / "result.json"
    request_path.write_text(json.dumps(request(tmp_path, device="cpu")))
    proc = subprocess.run(
        [sys.executable, "-m", "akg_harness", "counters", "--request", str(request_path),
         "--result", str(result_path)],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(HARNESS_DIR)}, capture_output=True,
        text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(result_path.read_text())
    assert result["ok"] is False and "CUDA device" in result["unavailable"]
