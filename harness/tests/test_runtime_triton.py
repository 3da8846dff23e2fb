"""Triton launch counting under TRITON_INTERPRET=1, all cases in one child process.

The static rules run too (policy partial lets the cheats' torch.relu through to the runtime
proof)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import HARNESS_DIR, fixture_path

pytest.importorskip("triton")

CASES = {  # candidate -> (verdict, reason)
    "triton_relu_ok.py": ("passed", ""),
    "triton_unwritten.py": ("wrong_answer", "unwritten_output"),
    "triton_never.py": ("rejected", "kernel_did_not_run"),
    "triton_noop.py": ("rejected", "kernel_did_not_run"),
}


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("triton_runtime")
    requests = [{"task_path": fixture_path("runtime/relu64_task.py"),
                 "candidate_path": fixture_path(f"runtime/{name}"),
                 "dsl": "triton_cuda", "device": "cuda", "seed": 3, "trials": 2,
                 "policy": "partial"} for name in CASES]
    path = folder / "requests.json"
    path.write_text(json.dumps(requests))
    env = {**os.environ, "PYTHONPATH": str(HARNESS_DIR), "TRITON_INTERPRET": "1"}
    proc = subprocess.run([sys.executable, fixture_path("runtime/verify_many.py"), str(path)],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    return dict(zip(CASES, json.loads(proc.stdout.strip().splitlines()[-1])))


@pytest.mark.parametrize("candidate", list(CASES))
def test_triton_candidates_get_their_verdict(results, candidate):
    result = results[candidate]
    assert (result["verdict"], result["reason"]) == CASES[candidate], result["message"]
    assert result["triton_interpreter"] is True


def test_interpreted_launches_are_counted_per_kernel(results):
    proof = results["triton_relu_ok.py"]["runtime_proof"]
    assert proof == {"launches": 4, "kernels": {"triton:relu_kernel": 4}}
    assert [t["launches"] for t in results["triton_relu_ok.py"]["trials"]] == [2, 2]
