"""What a failed verify tells the model: the failing trial (inputs, seed, call), the tolerance
and why, the worst element, the first offending indices, NaN and Inf mismatches by name."""
import pytest
import torch

from akg_harness import compare, fast_checks, mismatch_report, verify
from akg_harness.compare import Tolerance, compare_tensors
from conftest import verify_request


@pytest.fixture(autouse=True)
def no_kernel_checks(monkeypatch):
    monkeypatch.setitem(verify.TEST_HOOKS, "skip_runtime_proof", True)


def _run(candidate, **kw):
    return verify.run(verify_request("relu_task.py", f"feedback/{candidate}", **kw))


def test_a_nan_mismatch_says_nan_instead_of_a_zero_error():
    result = _run("relu_nan.py")
    assert result["verdict"] == "wrong_answer"
    message = result["message"]
    assert "NaN where the reference is not NaN" in message, message
    assert "got nan" in message and "\n" not in message


def test_the_message_names_the_failing_trial_its_inputs_and_seed(capfd):
    result = _run("relu_wrong_when_large.py", trials=5, seed=11)
    assert result["verdict"] == "wrong_answer", result["message"]
    message = result["message"]
    assert message.startswith("trial 2 (of trials 0-4) with inputs large: "), message
    assert "seed 13" in message and "first call" in message
    assert [t["passed"] for t in result["trials"]] == [True, True, False]
    notes = capfd.readouterr().err  # the child's elapsed-time notes: the log the model sees
    assert "verify: wrong_answer (mismatch): trial 2" in notes and "seed 13" in notes


def test_the_message_gives_the_worst_element_and_the_first_offending_ones():
    message = _run("relu_one_off.py")["message"]
    assert "2 of 32 elements differ" in message
    assert "worst at [3, 7]" in message, message
    assert "first at [1, 2]: got" in message and "; [3, 7]: got" in message


def test_the_message_says_why_the_atol_has_its_value():
    message = _run("relu_one_off.py")["message"]
    # relu is exact in float32: the reference's own error is 0, so float32's reach decides
    assert "atol" in message and ("reference's own error" in message
                                  or "float32 default" in message), message
    requested = _run("relu_one_off.py", atol=0.25)["message"]
    assert "atol 0.25 (the requested atol" in requested, requested


def test_a_trial_that_passes_names_no_trial():
    result = _run("../relu_ok.py")
    assert result["verdict"] == "passed" and not result["message"].startswith("trial")


def _nan_inf_pair(n):
    g = torch.Generator().manual_seed(5)
    b = torch.randn(n, generator=g)
    a = b.clone()
    a[3], a[10], a[20] = float("nan"), float("inf"), a[20] + 5.0
    b[30] = float("nan")  # a[30] stays finite: the reference's NaN is lost
    return a, b


@pytest.mark.parametrize("native", [True, False])
def test_native_and_torch_details_agree(monkeypatch, native):
    if native and fast_checks.load() is None:
        pytest.skip("no C++ compiler")
    a, b = _nan_inf_pair(fast_checks.MIN_ELEMENTS * 2)
    if not native:
        monkeypatch.setattr(fast_checks, "details", lambda *args: None)
    d = mismatch_report.collect(a, b, 1e-4, 1e-4, False, 3, compare.CHUNK_ELEMENTS)
    assert (d.got_nan, d.got_inf, d.lost_nonfinite) == (1, 1, 1)
    assert d.worst == 20 and d.first == [3, 10, 20, 30]


def test_kinds_and_the_rest_are_counted_in_the_message():
    a, b = _nan_inf_pair(64)
    result = compare_tensors(a, b, Tolerance(1e-4, 1e-4))
    assert ("1 NaN where the reference is not NaN, 1 infinite where the reference is not that "
            "infinity, 1 finite where the reference is NaN or infinite, 1 beyond the "
            "tolerance") in result.message, result.message
    assert "worst at [20]" in result.message


def test_integers_say_they_compare_exactly():
    result = compare.compare_outputs([torch.tensor([1, 2, 4])], [torch.tensor([1, 2, 3])],
                                     None, None)
    assert "integers compare exactly" in result.message and "first at [2]" in result.message


def test_a_native_crash_leaves_the_call_in_flight_and_a_python_traceback(tmp_path):
    """The child dies of SIGSEGV: faulthandler's frames on stderr, the record beside the
    result names the function and its argtypes (crash_context)."""
    import json
    import os
    import signal
    import subprocess
    import sys

    request = verify_request("relu_task.py", "feedback/relu_cpp_segv.py")
    (tmp_path / "request.json").write_text(json.dumps(request))
    from conftest import HARNESS_DIR
    env = {**os.environ, "PYTHONPATH": str(HARNESS_DIR)}
    proc = subprocess.run([sys.executable, "-m", "akg_harness", "verify", "--request",
                           str(tmp_path / "request.json"), "--result",
                           str(tmp_path / "result.json")], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=300, check=False)
    assert proc.returncode == -signal.SIGSEGV, proc.stderr
    assert "Fatal Python error: Segmentation fault" in proc.stderr
    assert 'relu_cpp_segv.py", line' in proc.stderr
    record = (tmp_path / "native_call.txt").read_text()
    assert record.startswith("1relu_crash argtypes (c_void_p, c_void_p, c_long) restype None")


def test_the_record_says_when_argtypes_were_never_set(tmp_path):
    from akg_harness import crash_context
    assert "argtypes not set" in crash_context.describe_call("native:f", None, None)


def test_a_stage_the_message_names_already_is_not_repeated():
    message = _run("relu_init_raises.py")["message"]
    assert message.startswith("trial 0 (of trials 0-1) with inputs task"), message
    assert message.count("constructing ModelNew") == 1, message
    assert "RuntimeError: no kernel for this shape" in message
