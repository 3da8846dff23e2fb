"""The `build` command: what is decided before a device is taken (syntax, static rules, import
with the native compiles), through `python -m akg_harness build` with no GPU visible."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from akg_harness import native
from conftest import HARNESS_DIR, fixture_path


def _build(tmp_path: Path, candidate: str, cache: Path, dsl: str = "cpp") -> dict:
    req, res = tmp_path / "request.json", tmp_path / "result.json"
    req.write_text(json.dumps({"candidate_path": candidate, "dsl": dsl}))
    env = {**os.environ, "PYTHONPATH": str(HARNESS_DIR), "AKG_KERNEL_CACHE": str(cache),
           "CUDA_VISIBLE_DEVICES": ""}
    proc = subprocess.run([sys.executable, "-m", "akg_harness", "build", "--request", str(req),
                           "--result", str(res)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(res.read_text())
    result["stderr"] = proc.stderr
    return result


def test_an_honest_native_kernel_is_built_into_the_kernel_cache(tmp_path):
    cache = tmp_path / "cache"
    result = _build(tmp_path, fixture_path("relu_cpp.py"), cache)
    assert result["outcome"] == "built", result
    assert list(cache.glob("k_*.so")), "the library the verify child will load is in the cache"
    assert "[akg_harness +" in result["stderr"]


def test_a_compiler_error_at_import_is_a_compile_error(tmp_path):
    """An honest-looking kernel (it passes the static rules) whose C++ does not compile."""
    broken = tmp_path / "broken.py"
    broken.write_text(Path(fixture_path("relu_cpp.py")).read_text()
                      .replace("x[i] > 0.0f ? x[i] : 0.0f;", "undeclared_name(x[i]);"))
    result = _build(tmp_path, str(broken), tmp_path / "cache")
    assert result["outcome"] == "failed" and result["verdict"] == "compile_error", result
    assert "undeclared_name" in result["log"]


@pytest.mark.parametrize("fixture, verdict", [
    ("relu_syntax.py", "compile_error"),       # not valid Python
    ("relu_cpp_broken.py", "rejected"),        # a kernel no forward launches (static rule)
])
def test_what_verify_would_decide_without_a_device_is_decided_here(tmp_path, fixture, verdict):
    result = _build(tmp_path, fixture_path(fixture), tmp_path / "cache")
    assert result["outcome"] == "failed" and result["verdict"] == verdict, result
    assert result["message"]


def test_a_broken_static_rule_is_rejected_before_any_candidate_code_runs(tmp_path):
    marker = tmp_path / "ran"
    bad = tmp_path / "bad.py"
    bad.write_text(f"open({str(marker)!r}, 'w').close()\n"
                   "import torch\n"
                   "class ModelNew(torch.nn.Module):\n"
                   "    def forward(self, x):\n"
                   "        return torch.relu(x)\n")
    result = _build(tmp_path, str(bad), tmp_path / "cache")
    assert result["outcome"] == "failed" and result["verdict"] == "rejected", result
    assert result["reason"]
    assert not marker.exists()


def test_other_import_failures_are_left_to_verify_on_the_device(tmp_path):
    """An import that raises may want the device the build child cannot see."""
    wants_gpu = tmp_path / "wants_gpu.py"
    wants_gpu.write_text(Path(fixture_path("relu_cpp.py")).read_text().replace(
        "_lib = load_cpp(SOURCE)",
        "if not torch.cuda.is_available():\n    raise RuntimeError('no GPU to set up on')\n"
        "_lib = load_cpp(SOURCE)"))
    result = _build(tmp_path, str(wants_gpu), tmp_path / "cache")
    assert result["outcome"] == "deferred", result
    assert result["verdict"] == "runtime_error" and "no GPU" in result["message"]


def test_load_cuda_compiles_for_the_agents_target_arch(monkeypatch, tmp_path):
    """With AKG_CUDA_ARCH the build child (no GPU) and the verify child (GPU) run the same nvcc
    command, so the library built off the device is the one the device loads."""
    seen = []

    def fake_compiler(cmd):
        seen.append(cmd)
        Path(cmd[cmd.index("-o") + 1]).write_bytes(b"")
        return subprocess.CompletedProcess(cmd, 0, "", "")
    monkeypatch.setattr(native, "_run_compiler", fake_compiler)
    monkeypatch.setattr(native.ctypes, "CDLL", lambda path: path)
    monkeypatch.setenv("AKG_KERNEL_CACHE", str(tmp_path))
    monkeypatch.setenv("AKG_CUDA_ARCH", "sm_80")
    native.load_cuda('extern "C" void k() {}')
    assert len(seen) == 1 and "-arch=sm_80" in seen[0] and "-arch=native" not in seen[0]
    monkeypatch.setenv("AKG_CUDA_ARCH", "sm_90")
    native.load_cuda('extern "C" void k() {}')
    assert len(seen) == 2, "another target arch is another cache entry"
