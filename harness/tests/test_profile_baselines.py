"""profile: eager and torch.compile baselines, speedups, request options, the peaks command."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch

from akg_harness import peaks, profile
from akg_harness.errors import RequestError
from akg_harness.request import parse_request
from conftest import HARNESS_DIR, profile_request

STATS_KEYS = {"median_ms", "p10_ms", "p90_ms", "mean_ms", "runs", "timing_mode",
              "calls_per_sample", "input_sets", "single_median_ms", "fallback"}


def test_torch_compile_baseline_is_timed_after_eager_on_the_same_inputs():
    # The one test that really compiles (about 15 s on a small CPU).
    result = profile.run(profile_request("relu_task.py", "relu_ok.py", run_times=4,
                                         baselines=["eager", "torch_compile"]))
    assert result["ok"]
    assert list(result["baselines"]) == ["eager", "torch_compile"]
    eager, compiled = result["baselines"]["eager"], result["baselines"]["torch_compile"]
    assert eager == result["reference"]
    assert STATS_KEYS <= set(compiled) and compiled["runs"] == 4 and compiled["compile_s"] > 0
    assert compiled["timing_mode"] == "single" and compiled["input_sets"] == 3
    assert result["speedup_vs_torch_compile"] == pytest.approx(
        compiled["median_ms"] / result["candidate"]["median_ms"])


def test_eager_only_leaves_torch_compile_out():
    result = profile.run(profile_request("relu_task.py", "relu_ok.py", run_times=3))
    assert list(result["baselines"]) == ["eager"]
    assert result["speedup_vs_torch_compile"] is None
    assert result["speedup_vs_eager"] == pytest.approx(
        result["reference"]["median_ms"] / result["candidate"]["median_ms"])


def test_a_torch_compile_that_raises_while_compiling_is_recorded(monkeypatch):
    def broken(model, **kwargs):
        def call(*args):
            raise RuntimeError("inductor exploded")
        return call
    monkeypatch.setattr(torch, "compile", broken)
    result = profile.run(profile_request("relu_task.py", "relu_ok.py", run_times=3,
                                         baselines=["eager", "torch_compile"]))
    assert result["ok"] and list(result["baselines"]) == ["eager", "torch_compile"]
    error = result["baselines"]["torch_compile"]
    assert error["error"] == "torch.compile: RuntimeError: inductor exploded"
    assert "inductor exploded" in error["log"] and "median_ms" not in error
    assert result["speedup_vs_torch_compile"] is None
    assert result["candidate"]["runs"] == 3 and result["speedup_vs_eager"] > 0


def test_a_torch_compile_that_fails_later_is_recorded_and_timing_goes_on(monkeypatch):
    calls = []

    def flaky(model, **kwargs):
        def call(*args):
            calls.append(1)
            if len(calls) > 4:  # compile, 2 warm-up calls, 1 timed sample, then it fails
                raise ValueError("recompile limit")
            return model(*args)
        return call
    monkeypatch.setattr(torch, "compile", flaky)
    result = profile.run(profile_request("relu_task.py", "relu_ok.py", run_times=5,
                                         baselines=["eager", "torch_compile"]))
    assert result["baselines"]["torch_compile"]["error"].endswith("ValueError: recompile limit")
    assert result["candidate"]["runs"] == 5


def test_torch_compile_errors_that_torch_compile_itself_raises(monkeypatch):
    def refuses(model, **kwargs):
        raise TypeError("not compilable")
    monkeypatch.setattr(torch, "compile", refuses)
    result = profile.run(profile_request("relu_task.py", "relu_ok.py",
                                         baselines=["torch_compile", "eager"]))
    assert list(result["baselines"]) == ["eager", "torch_compile"]
    assert "TypeError: not compilable" in result["baselines"]["torch_compile"]["error"]


@pytest.mark.parametrize("run_times, input_sets", [(1, 1), (7, 3), (4, 2)])
def test_runs_equal_run_times_for_every_subject(run_times, input_sets):
    result = profile.run(profile_request("relu_task.py", "relu_cpp.py", run_times=run_times,
                                         input_sets=input_sets))
    for stats in (result["reference"], result["candidate"], *result["baselines"].values()):
        assert stats["runs"] == run_times and stats["input_sets"] == input_sets
        assert STATS_KEYS <= set(stats)
        assert 0 < stats["p10_ms"] <= stats["median_ms"] <= stats["p90_ms"]
    assert result["input_sets"] == input_sets


def test_batched_mode_on_request_divides_by_the_calls_per_sample():
    result = profile.run(profile_request("relu_task.py", "relu_ok.py", run_times=3,
                                         timing_mode="batched"))
    stats = result["candidate"]
    assert stats["timing_mode"] == "batched" and stats["runs"] == 3
    assert stats["calls_per_sample"] > 1 and stats["fallback"] is None
    assert stats["median_ms"] < 1.0  # per call, not per batch of up to 200 calls


def test_profile_defaults_and_option_checks():
    base = {"task_path": "/t.py", "candidate_path": "/c.py", "dsl": "cpp", "device": "cpu",
            "seed": 0, "warmup_times": 1, "run_times": 2}
    request = parse_request("profile", base)
    assert request["baselines"] == ["eager", "torch_compile"]
    assert (request["graph_below_us"], request["timing_mode"], request["input_sets"],
            request["peaks"], request["suspect_speedup"]) == (100.0, "auto", 3, None, 10.0)
    parse_request("profile", {**base, "peaks": {"bandwidth_gbs": 2970, "source": "table",
                                                "tflops": {"fp32": 52, "tf32": None}}})
    for bad in ({"timing_mode": "fast"}, {"baselines": ["eager", "inductor"]},
                {"baselines": "eager"}, {"input_sets": 0}, {"graph_below_us": -1},
                {"suspect_speedup": 0}, {"peaks": {"bandwidth_gbs": -5}},
                {"peaks": {"tflops": {"bf16": "fast"}}}, {"peaks": [1]}):
        with pytest.raises(RequestError, match=next(iter(bad))):
            parse_request("profile", {**base, **bad})


def test_peaks_measures_copy_and_matmuls_on_the_cpu():
    result = peaks.run(parse_request("peaks", {"device": "cpu", "copy_mb": 1, "matmul_size": 32,
                                               "warmup_times": 0, "run_times": 2}))
    assert result["ok"] and result["device_used"] == "cpu"
    assert result["bandwidth_gbs"] > 0 and result["peaks"]["bandwidth_gbs"] > 0
    assert set(result["tflops"]) == {"fp32", "tf32", "bf16", "fp16"}
    assert result["tflops"]["tf32"] is None  # no TF32 on the CPU
    for precision in ("fp32", "bf16", "fp16"):
        detail = result["details"]["matmul"][precision]
        assert detail["size"] == 32 and detail["flops"] == 2 * 32 ** 3
        assert result["tflops"][precision] == pytest.approx(
            detail["flops"] / (detail["best_ms"] * 1e9))
    copy = result["details"]["copy"]
    assert copy["bytes_moved"] == 2 * 1024 * 1024
    assert "bytes read + written" in result["method"]["bandwidth"]
    # What the command reports is what a profile request accepts.
    parse_request("profile", {"task_path": "/t.py", "candidate_path": "/c.py", "dsl": "cpp",
                              "device": "cpu", "seed": 0, "warmup_times": 1, "run_times": 2,
                              "peaks": result["peaks"]})


def test_peaks_command_line_writes_a_result(tmp_path):
    request, out = tmp_path / "request.json", tmp_path / "result.json"
    request.write_text(json.dumps({"device": "cpu", "copy_mb": 1, "matmul_size": 16,
                                   "warmup_times": 0, "run_times": 1,
                                   "precisions": ["fp32"]}))
    proc = subprocess.run(
        [sys.executable, "-m", "akg_harness", "peaks", "--request", str(request),
         "--result", str(out)], cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(HARNESS_DIR)}, check=False)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert list(result["tflops"]) == ["fp32"] and result["bandwidth_gbs"] > 0


def _counting_compile(monkeypatch):
    """torch.compile as the identity (fast), counting how often the reference is compiled."""
    compiled = []

    def fake(model, **kwargs):
        compiled.append(model)
        return model
    monkeypatch.setattr(torch, "compile", fake)
    return compiled


def test_torch_compile_is_measured_once_per_run_and_reused(monkeypatch, tmp_path):
    compiled = _counting_compile(monkeypatch)
    cache = str(tmp_path / "baselines")
    first = profile.run(profile_request("relu_task.py", "relu_ok.py", run_times=4,
                                        baselines=["eager", "torch_compile"],
                                        baseline_cache_dir=cache))
    assert first["ok"] and len(compiled) == 1
    assert first["baselines"]["torch_compile"]["reused"] is False
    second = profile.run(profile_request("relu_task.py", "relu_ok.py", run_times=4,
                                         baselines=["eager", "torch_compile"],
                                         baseline_cache_dir=cache))
    assert second["ok"] and len(compiled) == 1, "the second profile did not compile"
    reused = second["baselines"]["torch_compile"]
    assert reused["reused"] is True
    assert reused["median_ms"] == first["baselines"]["torch_compile"]["median_ms"]
    assert reused["compile_s"] == first["baselines"]["torch_compile"]["compile_s"]
    # eager is still timed beside the candidate: a fresh measurement
    assert second["baselines"]["eager"]["runs"] == 4
    assert second["speedup_vs_torch_compile"] == pytest.approx(
        reused["median_ms"] / second["candidate"]["median_ms"])


def test_other_timing_settings_or_no_cache_folder_measure_again(monkeypatch, tmp_path):
    compiled = _counting_compile(monkeypatch)
    cache = str(tmp_path / "baselines")
    for runs in (3, 5):  # run_times is part of the key
        result = profile.run(profile_request("relu_task.py", "relu_ok.py", run_times=runs,
                                             baselines=["eager", "torch_compile"],
                                             baseline_cache_dir=cache))
        assert result["baselines"]["torch_compile"]["reused"] is False
    assert len(compiled) == 2
    for _ in range(2):
        profile.run(profile_request("relu_task.py", "relu_ok.py", run_times=3,
                                    baselines=["eager", "torch_compile"]))
    assert len(compiled) == 4


def test_a_torn_cache_entry_is_measured_again_and_rewritten(monkeypatch, tmp_path):
    compiled = _counting_compile(monkeypatch)
    cache = tmp_path / "baselines"
    request = profile_request("relu_task.py", "relu_ok.py", run_times=3,
                              baselines=["eager", "torch_compile"], baseline_cache_dir=str(cache))
    profile.run(request)
    (entry,) = cache.glob("compile_*.json")
    entry.write_text("{not json")
    again = profile.run(request)
    assert again["baselines"]["torch_compile"]["reused"] is False and len(compiled) == 2
    assert json.loads(entry.read_text())["phases"]["single"]["times_ms"]


def test_a_torch_compile_failure_is_remembered_for_the_run(monkeypatch, tmp_path):
    calls = []

    def broken(model, **kwargs):
        calls.append(model)

        def call(*args):
            raise RuntimeError("inductor exploded")
        return call
    monkeypatch.setattr(torch, "compile", broken)
    request = profile_request("relu_task.py", "relu_ok.py", run_times=3,
                              baselines=["eager", "torch_compile"],
                              baseline_cache_dir=str(tmp_path / "baselines"))
    first, second = profile.run(request), profile.run(request)
    assert len(calls) == 1, "a failing compile is not retried in every profile"
    for result in (first, second):
        assert result["ok"] and result["speedup_vs_torch_compile"] is None
        assert "inductor exploded" in result["baselines"]["torch_compile"]["error"]
    assert second["baselines"]["torch_compile"]["reused"] is True
