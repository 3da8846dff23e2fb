"""verify: every verdict, seeds per trial, tolerances, inputs left alone.

Most fixtures here are pure-torch candidates, so those tests switch the kernel checks (static
rules and runtime proof) off through verify's test hook; test_verify_runtime.py covers them.
"""
import pytest

from akg_harness import verify
from akg_harness.errors import RequestError, TaskError
from conftest import verify_request


@pytest.fixture
def no_kernel_checks(monkeypatch):
    monkeypatch.setitem(verify.TEST_HOOKS, "skip_runtime_proof", True)


def test_correct_candidate_passes_every_trial_with_its_own_seed(no_kernel_checks):
    result = verify.run(verify_request("relu_task.py", "relu_ok.py", trials=3, seed=7))
    assert result["verdict"] == "passed", result["message"]
    assert [t["seed"] for t in result["trials"]] == [7, 8, 9]
    assert [t["distribution"] for t in result["trials"]] == ["task", "uniform", "large"]
    assert result["reason"] == "" and result["policy"] == "strict"
    assert all(t["passed"] and t["numel"] == 32 for t in result["trials"])
    assert (result["atol"], result["rtol"]) == (1e-4, 1e-4)
    assert result["device_used"] == "cpu" and result["triton_interpreter"] is False


def test_candidate_with_parameters_matches_when_built_after_the_same_seed(no_kernel_checks):
    result = verify.run(verify_request("linear_gelu_task.py", "linear_gelu_ok.py"))
    assert result["verdict"] == "passed", result["message"]
    assert result["trials"][0]["max_abs_err"] < 1e-5


def test_broadcast_candidate_passes(no_kernel_checks):
    assert verify.run(verify_request("add_broadcast_task.py",
                                     "add_broadcast_ok.py"))["verdict"] == "passed"


@pytest.mark.parametrize("candidate, verdict, needle", [
    ("relu_wrong.py", "wrong_answer", "output 0:"),
    ("relu_wrong_shape.py", "wrong_answer", "shape [32] != expected [4, 8]"),
    ("relu_mutates.py", "rejected", "candidate modified its inputs"),
    ("relu_raises.py", "runtime_error", "IndexError: kernel launch went wrong"),
    ("relu_import_raises.py", "runtime_error", "RuntimeError: cannot set up the kernel"),
    ("relu_syntax.py", "compile_error", "SyntaxError"),
    ("relu_no_modelnew.py", "rejected", "ModelNew"),
    ("relu_alias.py", "rejected", "output 0 shares storage with an input"),
])
def test_failing_candidates_get_the_protocol_verdict(candidate, verdict, needle,
                                                    no_kernel_checks):
    result = verify.run(verify_request("relu_task.py", candidate))
    assert result["verdict"] == verdict, result["message"]
    assert needle in result["message"] and "\n" not in result["message"]


def test_wrong_answer_stops_at_the_first_failing_trial_and_reports_numbers(no_kernel_checks):
    result = verify.run(verify_request("relu_task.py", "relu_wrong.py", trials=3))
    assert len(result["trials"]) == 1
    trial = result["trials"][0]
    assert not trial["passed"] and 0 < trial["mismatches"] <= trial["numel"] == 32
    assert trial["max_abs_err"] > 0.01


def test_runtime_error_log_carries_the_traceback(no_kernel_checks):
    result = verify.run(verify_request("relu_task.py", "relu_raises.py"))
    assert "Traceback" in result["log"] and "relu_raises.py" in result["log"]


def test_cpp_candidate_through_the_sanctioned_loader_passes():
    result = verify.run(verify_request("relu_task.py", "relu_cpp.py"))
    assert result["verdict"] == "passed", result["log"]


@pytest.mark.parametrize("candidate", ["relu_cpp_broken.py", "relu_cpp_broken_lazy.py"])
def test_cpp_that_does_not_compile_is_a_compile_error(candidate, no_kernel_checks):
    result = verify.run(verify_request("relu_task.py", candidate))
    assert result["verdict"] == "compile_error", result["message"]
    assert "CompileError" in result["message"] and "error" in result["log"]


def test_explicit_tolerances_are_used_and_reported(no_kernel_checks):
    result = verify.run(verify_request("relu_task.py", "relu_wrong.py", atol=10.0, rtol=0.0))
    assert result["verdict"] == "passed" and (result["atol"], result["rtol"]) == (10.0, 0.0)


def test_broken_task_is_a_task_error_not_a_verdict(no_kernel_checks):
    with pytest.raises(TaskError) as info:
        verify.run(verify_request("forward_raises_task.py", "relu_ok.py"))
    assert info.value.kind == "reference_error"


def test_missing_candidate_file_is_a_bad_request():
    with pytest.raises(RequestError, match="cannot read candidate"):
        verify.run(verify_request("relu_task.py", "no_such_candidate.py"))
