"""The runtime checks on the GPU: compiled Triton, CUDA C, the caching allocator's poison."""
import pytest
import torch

from akg_harness import verify
from conftest import fixture_path

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@pytest.fixture(autouse=True)
def compiled_triton(monkeypatch):
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)


def _verify(candidate, dsl="triton_cuda", **overrides):
    return verify.run({"task_path": fixture_path("runtime/relu64_task.py"),
                       "candidate_path": fixture_path(f"runtime/{candidate}"), "dsl": dsl,
                       "device": "cuda", "seed": 1, "policy": "partial", **overrides})


def test_compiled_triton_launches_are_counted_and_the_reference_cache_is_hit(tmp_path):
    cache = str(tmp_path / "refs")
    first = _verify("triton_relu_ok.py", policy="strict", reference_cache_dir=cache)
    assert first["verdict"] == "passed", first["message"]
    assert first["triton_interpreter"] is False and first["device_used"] == "cuda"
    assert first["runtime_proof"] == {"launches": 10, "kernels": {"triton:relu_kernel": 10}}
    second = _verify("triton_relu_ok.py", policy="strict", reference_cache_dir=cache)
    assert [t["reference_cached"] for t in second["trials"]] == [True] * 5
    assert second["verdict"] == "passed"


@pytest.mark.parametrize("candidate, verdict, reason", [
    ("triton_unwritten.py", "wrong_answer", "unwritten_output"),
    ("triton_never.py", "rejected", "kernel_did_not_run"),
    ("triton_noop.py", "rejected", "kernel_did_not_run"),
])
def test_triton_cheats_are_caught_on_the_gpu(candidate, verdict, reason):
    result = _verify(candidate, trials=2)
    assert (result["verdict"], result["reason"]) == (verdict, reason), result["message"]


def test_cuda_c_through_load_cuda_passes_with_counted_calls():
    result = _verify("cuda_relu_ok.py", dsl="cuda", policy="strict")
    assert result["verdict"] == "passed", result["message"] + result["log"]
    assert result["runtime_proof"]["kernels"] == {"native:relu": 10}
