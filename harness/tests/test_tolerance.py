"""The tolerance that follows the reference's own error (akg_harness.exact_reference), its
fallbacks, the reference cache's save rule, and out-of-memory outcomes."""
from __future__ import annotations

import pytest
import torch

from akg_harness import exact_reference, reference_cache, verify
from akg_harness.errors import TaskError
from conftest import verify_request


@pytest.fixture
def no_kernel_checks(monkeypatch):
    monkeypatch.setitem(verify.TEST_HOOKS, "skip_runtime_proof", True)


def _verify(candidate, task, **kw):
    return verify.run(verify_request(f"tolerance/{task}", f"tolerance/{candidate}",
                                     trials=5, **kw))


def test_a_double_accumulating_matmul_passes_against_the_float64_reference(no_kernel_checks):
    result = _verify("matmul_double.py", "matmul_task.py")
    assert result["verdict"] == "passed", result["message"]
    tol = result["tolerance"]
    assert tol["rule"] == "reference_error" and tol["k"] == 16 and tol["why"] == ""
    assert tol["outputs"][0]["ref_error"] > 0
    assert all(t["ref_error"][0] > 0 for t in result["trials"])


def test_the_old_rule_rejects_the_same_honest_matmul(no_kernel_checks, monkeypatch):
    """What the new rule fixes: against torch's float32 result with the scaled atol, rounding
    once from double fails the zero-mean trial (monkeypatched: no float64 reference)."""
    monkeypatch.setattr(exact_reference, "fits", lambda *a: "switched off by the test")
    result = _verify("matmul_double.py", "matmul_task.py")
    assert (result["verdict"], result["reason"]) == ("wrong_answer", "mismatch")
    assert result["tolerance"]["rule"] == "dtype_default"
    assert result["tolerance"]["why"] == "switched off by the test"


def test_float16_operands_still_fail(no_kernel_checks):
    result = _verify("matmul_half.py", "matmul_task.py")
    assert (result["verdict"], result["reason"]) == ("wrong_answer", "mismatch")
    assert "float64 reference" in result["message"]


def test_a_reference_that_casts_its_dtypes_keeps_the_old_rule(no_kernel_checks):
    result = verify.run(verify_request("tolerance/casts_task.py", "relu_ok.py", trials=2))
    assert result["verdict"] == "passed", result["message"]
    assert result["tolerance"]["rule"] == "dtype_default"
    assert "casts dtypes itself" in result["tolerance"]["why"]
    assert "casts dtypes itself" in result["trials"][0]["exact_reference"]


def test_allowance_is_k_times_the_error_capped_and_floored_by_its_own_reach_and_twice_e():
    f32 = torch.float32
    assert exact_reference.allowed(f32, 1e-6, 1.0) == pytest.approx(1.6e-5)
    assert exact_reference.allowed(f32, 1e-4, 1.0) == pytest.approx(1e-3)     # the cap
    # ... but never under twice the reference's own error: an ill-conditioned output (a KL
    # divergence of near-equal distributions) where float32 itself errs by 4%
    assert exact_reference.allowed(f32, 4.3e-8, 9.6e-7) == pytest.approx(8.6e-8)
    assert exact_reference.allowed(f32, 1.0, 1.0) == pytest.approx(2.0)
    assert exact_reference.allowed(f32, 0.0, 100.0) == pytest.approx(1e-3)    # the floor
    assert exact_reference.allowed(f32, 0.0, 1e-3) == pytest.approx(1e-8)     # shrinks too


def test_a_float64_reference_that_does_not_fit_is_skipped_and_said(no_kernel_checks,
                                                                   monkeypatch):
    monkeypatch.setattr(exact_reference, "free_bytes", lambda plan: 1024)
    result = verify.run(verify_request("relu_task.py", "relu_ok.py", trials=1))
    assert result["verdict"] == "passed"
    assert result["tolerance"]["why"].startswith("the float64 reference does not fit")


def test_small_entries_are_always_saved_big_cheap_ones_never():
    assert reference_cache.worth_saving(1 << 20, 0.0)
    assert not reference_cache.worth_saving(100 << 20, 0.01)   # recomputing is cheaper
    assert reference_cache.worth_saving(100 << 20, 5.0)        # a slow reference
    assert not reference_cache.worth_saving(2 << 30, 1e6)      # never above the maximum


def test_inputs_out_of_memory_are_a_task_error_naming_it():
    with pytest.raises(TaskError) as e:
        verify.run(verify_request("tolerance/oom_inputs_task.py", "relu_ok.py"))
    assert e.value.kind == "out_of_memory"
    assert "ran out of memory" in e.value.message and "make the task's sizes smaller" in \
        e.value.message


def test_a_candidate_out_of_memory_is_a_runtime_error(no_kernel_checks):
    result = verify.run(verify_request("relu_task.py", "tolerance/oom_candidate.py"))
    assert (result["verdict"], result["reason"]) == ("runtime_error", "out_of_memory")
