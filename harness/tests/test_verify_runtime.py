"""verify's runtime checks: each reason code triggered by a minimal C++-kernel candidate.

Where the static rules stop a cheat first (monkey patching, state kept across calls, a tensor
subclass), the test checks that, then switches the static rules off through verify's test
hook to prove the runtime check catches the cheat on its own; the runtime proof stays on.
Fixtures live in fixtures/runtime/ and share one C++ source (compiled once per session).
"""
import gc
import sys

import pytest
import torch

from akg_harness import verify
from conftest import fixture_path


@pytest.fixture(autouse=True)
def restore_torch(monkeypatch):
    # Fixtures that patch torch must not leak into other tests: teardown restores these.
    monkeypatch.setattr(torch, "allclose", torch.allclose)
    monkeypatch.setattr(torch.cuda.Event, "elapsed_time", torch.cuda.Event.elapsed_time)


@pytest.fixture
def no_static_rules(monkeypatch):
    monkeypatch.setitem(verify.TEST_HOOKS, "skip_static_rules", True)


def _verify(candidate, task="relu64_task.py", **overrides):
    # Earlier candidates (their caches hold right answers) must not linger for cpp_steal.py.
    for name in [n for n in sys.modules if n.startswith("akg_candidate_")]:
        del sys.modules[name]
    gc.collect()
    request = {"task_path": fixture_path(f"runtime/{task}"),
               "candidate_path": fixture_path(f"runtime/{candidate}"),
               "dsl": "cpp", "device": "cpu", "seed": 1, "policy": "partial", **overrides}
    return verify.run(request)


def test_honest_kernel_passes_five_trials_with_runtime_proof():
    result = _verify("cpp_relu_ok.py", policy="strict")
    assert result["verdict"] == "passed" and result["reason"] == "", result["message"]
    assert [t["distribution"] for t in result["trials"]] == [
        "task", "uniform", "large", "signed_zeros", "small"]
    assert [t["seed"] for t in result["trials"]] == [1, 2, 3, 4, 5]
    assert all(t["launches"] == 2 and t["reference_cached"] is False for t in result["trials"])
    assert result["runtime_proof"] == {"launches": 10, "kernels": {"native:relu": 10}}
    assert result["policy"] == "strict" and isinstance(result["framework_ops"], list)


@pytest.mark.parametrize("candidate, task, verdict, reason, needle, static_reason", [
    ("cpp_unwritten.py", "relu64_task.py", "wrong_answer", "unwritten_output", "poison", None),
    ("cpp_stale_ptr.py", "relu64_task.py", "rejected", "stale_output", "previous call",
     "stateful_forward"),
    ("cpp_stale_shape.py", "relu64_task.py", "rejected", "stale_output", "kept its previous",
     "stateful_forward"),
    ("cpp_alias.py", "relu64_task.py", "rejected", "output_aliases_input", "shares storage",
     None),
    ("cpp_mutates.py", "relu64_task.py", "rejected", "inputs_modified", "modified its inputs",
     None),
    ("cpp_subclass.py", "relu64_task.py", "rejected", "output_not_plain_tensor", "Lazy",
     "monkey_patch"),
    ("cpp_patch_import.py", "relu64_task.py", "rejected", "patched_runtime", "torch.allclose",
     "monkey_patch"),
    ("cpp_patch_call.py", "relu64_task.py", "rejected", "patched_runtime", "elapsed_time",
     "monkey_patch"),
    ("cpp_never.py", "relu64_task.py", "rejected", "kernel_did_not_run", "never ran", None),
    ("cpp_noop.py", "relu64_task.py", "rejected", "kernel_did_not_run", "native:fill", None),
    ("cpp_zero.py", "tiny_task.py", "wrong_answer", "near_zero_output", "nearly", None),
    # The reference's outputs are scrambled during the call: a stolen copy is garbage.
    ("cpp_steal.py", "relu64_task.py", "wrong_answer", "mismatch", "elements differ",
     "forbidden_io"),
])
def test_each_runtime_check_catches_its_cheat(candidate, task, verdict, reason, needle,
                                              static_reason, monkeypatch):
    if static_reason:
        result = _verify(candidate, task, trials=2)
        assert (result["verdict"], result["reason"]) == ("rejected", static_reason)
        monkeypatch.setitem(verify.TEST_HOOKS, "skip_static_rules", True)
    result = _verify(candidate, task, trials=2)
    assert (result["verdict"], result["reason"]) == (verdict, reason), result["message"]
    assert needle in result["message"] and "\n" not in result["message"]


def test_unwritten_output_is_caught_on_a_tiny_output_too():
    result = _verify("cpp_unwritten.py", "../relu_task.py", trials=1)
    assert result["reason"] == "unwritten_output", result["message"]


def test_structure_failures_carry_their_reason(monkeypatch):
    monkeypatch.setitem(verify.TEST_HOOKS, "skip_runtime_proof", True)
    result = _verify("../relu_wrong_shape.py", "../relu_task.py")
    assert (result["verdict"], result["reason"]) == ("wrong_answer", "shape_mismatch")
    result = _verify("../relu_wrong.py", "../relu_task.py")
    assert (result["verdict"], result["reason"]) == ("wrong_answer", "mismatch")


def test_compile_and_run_failures_carry_their_reason(no_static_rules):
    result = _verify("../relu_syntax.py")
    assert (result["verdict"], result["reason"]) == ("compile_error", "compile_failed")
    result = _verify("../relu_cpp_broken.py")
    assert (result["verdict"], result["reason"]) == ("compile_error", "compile_failed")
    result = _verify("../relu_raises.py")
    assert (result["verdict"], result["reason"]) == ("runtime_error", "raised")
    result = _verify("../relu_no_modelnew.py")
    assert (result["verdict"], result["reason"]) == ("rejected", "no_model_new")


def test_the_no_op_run_does_not_count_as_launches():
    result = _verify("cpp_relu_ok.py", trials=1)
    assert result["runtime_proof"]["launches"] == 2  # two checked calls; the no-op run is extra
