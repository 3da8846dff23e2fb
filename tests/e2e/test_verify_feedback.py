"""End-to-end: what a failed verify says, through the real binary (verifier_only on the CPU):
a native crash names the call in flight, the candidate's line and the argtypes hint; a NaN
mismatch says NaN and names the failing trial."""
from __future__ import annotations

import json

import pytest

from conftest import CPU_TARGET, EXAMPLES

HARNESS_FIXTURES = EXAMPLES.parent.parent / "harness/tests/fixtures/feedback"
FAST = "profile_settings: {run_times: 3, warmup_times: 1, baselines: [eager]}\n" \
       "verify_settings: {trials: 2}\n"


def _verify(run_cli, tmp_path, kernel, mode):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(FAST + f"harness_mode: {mode}\n")
    out = tmp_path / "run"
    r = run_cli("op", *CPU_TARGET, "--task", str(EXAMPLES / "relu.py"), "--out", str(out),
                "--workflow", "verifier_only", "--kernel", str(HARNESS_FIXTURES / kernel),
                "--config", str(cfg))
    assert r.returncode == 1, r.stdout + r.stderr
    return json.loads((out / "report.json").read_text())["attempts"][0], r


@pytest.mark.parametrize("mode", ["warm", "cold"])
def test_a_native_crash_says_which_call_where_and_what_to_check(run_cli, tmp_path, mode):
    attempt, r = _verify(run_cli, tmp_path, "relu_cpp_segv.py", mode)
    assert attempt["verdict"] == "runtime_error"
    message = attempt["message"]
    assert "SIGSEGV" in message, message
    assert "during the native call relu_crash argtypes (c_void_p, c_void_p, c_long)" in message
    assert "in forward" in message and "argtypes" in message and "data_ptr()" in message


def test_a_nan_mismatch_names_nan_and_the_failing_trial(run_cli, tmp_path):
    attempt, _ = _verify(run_cli, tmp_path, "relu_cpp_nan.py", "warm")
    message = attempt["message"]
    assert attempt["verdict"] == "wrong_answer", message
    assert message.startswith("trial 0 (of trials 0-1) with inputs task"), message
    assert "NaN where the reference is not NaN" in message and "got nan" in message
