"""The `static` command: static integrity rules only, through `python -m akg_harness`."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import HARNESS_DIR, fixture_path


def _static(tmp_path: Path, candidate: str, dsl: str = "cpp", **extra) -> tuple[int, dict | None]:
    request = {"candidate_path": candidate, "dsl": dsl, **extra}
    req, res = tmp_path / "request.json", tmp_path / "result.json"
    req.write_text(json.dumps(request))
    env = {**os.environ, "PYTHONPATH": str(HARNESS_DIR)}
    proc = subprocess.run([sys.executable, "-m", "akg_harness", "static", "--request", str(req),
                           "--result", str(res)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    return proc.returncode, json.loads(res.read_text()) if res.exists() else None


def test_honest_cpp_kernel_passes_the_static_rules(tmp_path):
    code, result = _static(tmp_path, fixture_path("relu_cpp.py"))
    assert code == 0
    assert result["verdict"] == "passed" and result["violations"] == []
    assert result["kernels"]


def test_framework_op_in_forward_is_rejected_with_every_violation(tmp_path):
    code, result = _static(tmp_path, fixture_path("relu_ok.py"), dsl="triton_cuda")
    assert code == 0
    assert result["verdict"] == "rejected"
    assert result["reason"] == "forbidden_framework_op"
    assert "(line 7)" in result["message"]
    assert [v["reason"] for v in result["violations"]] == ["forbidden_framework_op", "no_kernel"]
    assert result["framework_ops"] == ["Tensor.clamp_min"]


def test_partial_policy_allows_the_framework_op(tmp_path):
    _, result = _static(tmp_path, fixture_path("relu_ok.py"), dsl="triton_cuda", policy="partial")
    assert [v["reason"] for v in result["violations"]] == ["no_kernel"]


def test_syntax_error_is_a_compile_error(tmp_path):
    code, result = _static(tmp_path, fixture_path("relu_syntax.py"))
    assert code == 0
    assert result["verdict"] == "compile_error" and result["reason"] == "compile_failed"


def test_unknown_dsl_is_a_bad_request(tmp_path):
    code, result = _static(tmp_path, fixture_path("relu_cpp.py"), dsl="fortran")
    assert code == 2 and result is None
