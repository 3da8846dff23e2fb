"""The CUDA paths (device placement, CUDA-event timing, Triton on the GPU); skipped without CUDA."""
import pytest
import torch

from akg_harness import inspect_task, profile, verify
from conftest import inspect_request, profile_request, verify_request

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def test_inspect_runs_the_reference_on_the_gpu():
    result = inspect_task.run(inspect_request("linear_gelu_task.py", device="cuda"))
    assert result["ok"] and result["device_used"] == "cuda"
    assert result["graph"]["source"] == "torch.export"


@pytest.mark.parametrize("candidate, verdict", [
    ("relu_ok.py", "passed"), ("relu_wrong.py", "wrong_answer"),
    ("relu_mutates.py", "rejected"), ("relu_alias.py", "rejected"),
])
def test_verify_on_the_gpu_gives_the_same_verdicts(candidate, verdict, monkeypatch):
    # These pure-torch candidates test device handling, not integrity: skip the kernel proof.
    monkeypatch.setitem(verify.TEST_HOOKS, "skip_runtime_proof", True)
    monkeypatch.setitem(verify.TEST_HOOKS, "skip_static_rules", True)
    result = verify.run(verify_request("relu_task.py", candidate, device="cuda"))
    assert result["verdict"] == verdict and result["device_used"] == "cuda"


def test_triton_kernel_runs_compiled_on_the_gpu(monkeypatch):
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    request = verify_request("relu_task.py", "relu_triton.py", device="cuda", dsl="triton_cuda")
    result = verify.run(request)
    assert result["verdict"] == "passed" and result["triton_interpreter"] is False


def test_profile_on_the_gpu_uses_cuda_events():
    request = profile_request("linear_gelu_task.py", "linear_gelu_ok.py", device="cuda",
                              run_times=20)
    result = profile.run(request)
    assert result["ok"] and result["timing_method"] == "cuda_events"
    assert result["performance_valid"] and result["device_used"] == "cuda"
    assert result["candidate"]["runs"] == 20 and result["reference"]["median_ms"] > 0
