"""The command-line protocol end to end, through `python -m akg_harness` in a child process."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

from conftest import HARNESS_DIR, inspect_request, profile_request, verify_request


def _run(tmp_path: Path, command: str, request: Any, **env: str
         ) -> tuple[subprocess.CompletedProcess, dict | None]:
    """Runs one command like the agent does: fresh working folder, PYTHONPATH=harness."""
    request_path, result_path = tmp_path / "request.json", tmp_path / "result.json"
    request_path.write_text(request if isinstance(request, str) else json.dumps(request))
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    child_env = {**os.environ, "PYTHONPATH": str(HARNESS_DIR), **env}
    proc = subprocess.run(
        [sys.executable, "-m", "akg_harness", command, "--request", str(request_path),
         "--result", str(result_path)],
        cwd=work, env=child_env, capture_output=True, text=True, timeout=120, check=False)
    assert not Path(f"{result_path}.tmp").exists()
    result = json.loads(result_path.read_text()) if result_path.exists() else None
    return proc, result


def test_inspect_writes_a_result_and_exits_zero(tmp_path):
    proc, result = _run(tmp_path, "inspect", inspect_request("relu_task.py"))
    assert proc.returncode == 0, proc.stderr
    assert result["ok"] and result["graph"]["source"] == "torch.export"


def test_verify_writes_the_verdict_and_passes_candidate_prints_through(tmp_path):
    proc, result = _run(tmp_path, "verify", verify_request("relu_task.py", "runtime/cpp_relu_wrong.py"))
    assert proc.returncode == 0, proc.stderr
    assert "relu_wrong: forward called" in proc.stdout
    assert result["verdict"] == "wrong_answer" and result["trials"][0]["passed"] is False


def test_verify_of_a_compile_error_still_exits_zero(tmp_path):
    proc, result = _run(tmp_path, "verify", verify_request("relu_task.py", "relu_syntax.py"))
    assert proc.returncode == 0 and result["verdict"] == "compile_error"


def test_profile_reports_runs_equal_to_run_times(tmp_path):
    proc, result = _run(tmp_path, "profile",
                        profile_request("relu_task.py", "relu_cpp.py", run_times=6))
    assert proc.returncode == 0, proc.stderr
    assert result["reference"]["runs"] == result["candidate"]["runs"] == 6


@pytest.mark.parametrize("request_text, needle", [
    ("{not json", "not valid JSON"),
    (json.dumps({"device": "cpu", "seed": 1}), "missing key 'task_path'"),
])
def test_bad_request_exits_two_without_a_result(tmp_path, request_text, needle):
    proc, result = _run(tmp_path, "inspect", request_text)
    assert proc.returncode == 2 and result is None and needle in proc.stderr


def test_verify_of_a_broken_task_exits_three_with_the_reason(tmp_path):
    proc, result = _run(tmp_path, "verify",
                        verify_request("forward_raises_task.py", "relu_ok.py"))
    assert proc.returncode == 3 and result is None
    assert "reference_error" in proc.stderr and "the reference is broken" in proc.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_request_without_cuda_exits_two_with_a_clear_message(tmp_path):
    proc, result = _run(tmp_path, "verify",
                        verify_request("relu_task.py", "relu_ok.py", device="cuda"),
                        TRITON_INTERPRET="0")
    assert proc.returncode == 2 and result is None
    assert "torch.cuda.is_available() is False" in proc.stderr


def test_triton_candidate_verifies_and_profiles_under_the_interpreter(tmp_path):
    common = {"dsl": "triton_cuda", "device": "cuda"}
    proc, result = _run(tmp_path, "verify",
                        verify_request("relu_task.py", "relu_triton.py", **common),
                        TRITON_INTERPRET="1")
    assert proc.returncode == 0, proc.stderr
    assert result["verdict"] == "passed", result["message"]
    assert result["triton_interpreter"] is True
    expected_device = "cuda" if torch.cuda.is_available() else "cpu"
    assert result["device_used"] == expected_device
    proc, result = _run(tmp_path, "profile",
                        profile_request("relu_task.py", "relu_triton.py", run_times=3,
                                        **common),
                        TRITON_INTERPRET="1")
    assert proc.returncode == 0, proc.stderr
    assert result["ok"] and result["performance_valid"] is False
    assert result["candidate"]["runs"] == 1  # the interpreter's times are not performance
