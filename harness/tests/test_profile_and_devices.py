"""profile: run counts, statistics, errors; devices: the CUDA and interpreter rules."""
import pytest
import torch

from akg_harness import devices, profile, timing
from akg_harness.errors import RequestError
from conftest import profile_request


def test_profile_times_both_with_the_requested_number_of_runs():
    result = profile.run(profile_request("relu_task.py", "relu_ok.py", run_times=7))
    assert result["ok"] and result["timing_method"] == "cpu_wall"
    assert result["performance_valid"] is True
    assert result["threads"] == torch.get_num_threads()
    for side in ("reference", "candidate"):
        stats = result[side]
        assert stats["runs"] == 7
        assert 0 < stats["p10_ms"] <= stats["median_ms"] <= stats["p90_ms"]
    assert result["speedup_vs_eager"] == pytest.approx(
        result["reference"]["median_ms"] / result["candidate"]["median_ms"])


def test_profile_counts_warmup_and_timed_calls_separately():
    calls = []
    times = timing.measure(timing.CpuWallTimer(), lambda: calls.append(1), warmup=3, runs=4)
    assert len(times) == 4 and len(calls) == 7


@pytest.mark.parametrize("candidate, kind", [
    ("relu_raises.py", "runtime_error"),
    ("relu_syntax.py", "compile_error"),
    ("relu_no_modelnew.py", "rejected"),
])
def test_profile_reports_candidate_failures(candidate, kind):
    result = profile.run(profile_request("relu_task.py", candidate))
    assert result["ok"] is False and result["error"]["kind"] == kind


def test_summary_percentiles_interpolate():
    stats = timing.summarize([float(v) for v in range(1, 12)])
    assert stats == {"median_ms": 6.0, "p10_ms": 2.0, "p90_ms": 10.0, "mean_ms": 6.0,
                     "runs": 11}


def test_cpu_request_runs_on_cpu_without_interpreter(monkeypatch):
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    plan = devices.resolve("cpu", "cpp")
    assert (plan.device_used, plan.triton_interpreter) == ("cpu", False)


def test_cuda_without_a_device_falls_back_only_for_triton_under_the_interpreter(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    plan = devices.resolve("cuda", "triton_cuda")
    assert (plan.device.type, plan.device_used, plan.triton_interpreter) == ("cpu", "cpu", True)
    with pytest.raises(RequestError, match="torch.cuda.is_available"):
        devices.resolve("cuda", "cpp")
    monkeypatch.setenv("TRITON_INTERPRET", "0")
    with pytest.raises(RequestError, match="TRITON_INTERPRET=1"):
        devices.resolve("cuda", "triton_cuda")


def test_under_the_triton_interpreter_each_subject_runs_once_untimed(monkeypatch):
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    pytest.importorskip("triton")
    result = profile.run(profile_request("relu_task.py", "relu_triton.py", dsl="triton_cuda",
                                         warmup_times=10, run_times=100))
    assert result["ok"], result
    assert result["triton_interpreter"] is True and result["performance_valid"] is False
    assert result["candidate"]["runs"] == 1 and result["reference"]["runs"] == 1
    assert result["input_sets"] == 1 and result["suspect"] == []
