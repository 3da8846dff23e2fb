"""`--dsl cuda` on a machine without a GPU: inspect on the CPU, generate, static rules, nvcc for
the target's SM, then "not verified: no CUDA device" with its own exit code (3), never a pass."""
import json
import os
import shutil

import pytest

from conftest import FIXTURES

CUDA_C = ["--framework", "torch", "--backend", "cuda", "--arch", "h100", "--dsl", "cuda"]
FAST = ["--config", str(FIXTURES / "fast.yaml")]
NOT_VERIFIED = 3

pytestmark = [
    pytest.mark.skipif(os.path.exists("/dev/nvidiactl"),
                       reason="this machine has a GPU; the path is for machines without one"),
    pytest.mark.skipif(shutil.which("nvcc") is None and not os.path.exists("/usr/local/cuda/bin/nvcc"),
                       reason="needs nvcc"),
]


def nvcc_env() -> dict[str, str]:
    return {"PATH": "/usr/local/cuda/bin:" + os.environ.get("PATH", "")}


def test_default_workflow_builds_the_kernel_and_stops_not_verified(run_cli, tmp_path):
    out = tmp_path / "run"
    r = run_cli("op", *CUDA_C, "--task", str(FIXTURES / "small_chain.py"), "--out", str(out),
                *FAST, env=nvcc_env())
    assert r.returncode == NOT_VERIFIED, r.stdout + r.stderr
    assert "not verified: no CUDA device" in r.stdout
    assert "torch.cuda.is_available() is False" not in r.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["verified"] is False and report["not_verified"] == "not verified: no CUDA device"
    assert [a["verdict"] for a in report["attempts"]] == ["not_verified"]
    assert "native compile passed" in report["attempts"][0]["message"]
    kernel = (out / "kernel.py").read_text()
    assert kernel.startswith("# NOT VERIFIED") and "__global__" in kernel
    # The build compiled the kernel for the target's SM (h100: sm_90) into the run's cache.
    assert "NOT VERIFIED" in r.stdout


def test_kernelgen_only_still_writes_the_unverified_kernel(run_cli, tmp_path):
    out = tmp_path / "run"
    r = run_cli("op", *CUDA_C, "--task", str(FIXTURES / "small_chain.py"), "--out", str(out),
                "--workflow", "kernelgen_only", *FAST, env=nvcc_env())
    assert r.returncode == 0, r.stdout + r.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["unverified"] is True
    assert (out / "kernel.py").read_text().startswith("# UNVERIFIED")


@pytest.mark.parametrize("workflow", ["evolve", "adaptive_search"])
def test_searches_refuse_up_front_with_the_reason(run_cli, tmp_path, workflow):
    out = tmp_path / "run"
    r = run_cli("op", *CUDA_C, "--task", str(FIXTURES / "small_chain.py"), "--out", str(out),
                "--workflow", workflow, *FAST, env=nvcc_env())
    assert r.returncode == 2, r.stdout + r.stderr
    errors = [line for line in r.stderr.splitlines() if line.startswith("akg_cli: error:")]
    assert len(errors) == 1 and "not verified: no CUDA device" in errors[0]
    assert not out.exists()
