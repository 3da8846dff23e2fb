"""The cheat corpus (tests/cheats) through one warm server: every cheat still gets the reason
docs/INTEGRITY.md assigns and every honest kernel still passes when the verify children are
forked from a pre-warmed server instead of started fresh. Triton entries go to a second server
started with TRITON_INTERPRET=1 when there is no CUDA device, as the agent's Triton client does;
every result must come from a plain fork (no fresh interpreter).

    PYTHONPATH=harness python -m pytest -q harness/tests/test_server_corpus.py
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from akg_harness.server_client import WarmServer
from conftest import HARNESS_DIR

CHEATS = HARNESS_DIR.parent / "tests" / "cheats"
MANIFEST = json.loads((CHEATS / "manifest.json").read_text(encoding="utf-8"))
ENTRIES = {e["id"]: e for e in MANIFEST["entries"]}


def _cuda() -> bool:
    import torch
    return torch.cuda.is_available()


CUDA = _cuda()


def child_env(folder: Path, triton_interpret: bool) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(HARNESS_DIR),
           "PYTHONUNBUFFERED": "1", "HOME": str(folder), "TMPDIR": str(folder),
           "AKG_KERNEL_CACHE": os.path.join(tempfile.gettempdir(), "akg_cheats_kernel_cache")}
    if triton_interpret:
        env["TRITON_INTERPRET"] = "1"
    return env


def verify(server: WarmServer, entry: dict[str, Any], folder: Path) -> dict[str, Any]:
    folder.mkdir(parents=True)
    interpret = entry["dsl"] == "triton_cuda" and not CUDA
    request = {
        "task_path": str(CHEATS / "tasks" / entry["task"]),
        "candidate_path": str(CHEATS / "candidates" / entry["file"]),
        "dsl": entry["dsl"], "device": "cuda" if entry["dsl"] != "cpp" and CUDA else "cpu",
        "seed": entry.get("seed", MANIFEST["defaults"]["seed"]),
        "trials": entry.get("trials", MANIFEST["defaults"]["trials"]),
        "atol": None, "rtol": None, "policy": entry["policy"],
        "reference_cache_dir": str(folder / "ref_cache"),
    }
    (folder / "request.json").write_text(json.dumps(request))
    outcome = server.run("verify", str(folder / "request.json"), str(folder / "result.json"),
                         cwd=str(folder), env=child_env(folder, interpret), timeout_s=180)
    assert not outcome["fresh_interpreter"], "the child's environment differs from the server's"
    result_path = folder / "result.json"
    if outcome["exit_code"] != 0 or not result_path.exists():
        return {"verdict": f"harness_exit_{outcome['exit_code']}", "reason": None,
                "timed_out": outcome["timed_out"], "stderr": outcome["stderr"][-3000:]}
    return json.loads(result_path.read_text())


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    base = tmp_path_factory.mktemp("warm_corpus")
    todo = [i for i, e in ENTRIES.items() if CUDA or not e.get("gpu_only")]
    todo.sort(key=lambda i: ENTRIES[i]["dsl"] != "triton_cuda")  # slow interpreter ones first
    interpret = not CUDA
    # As the agent does: one server per harness client, started with the environment its
    # children get (so TRITON_INTERPRET matches and every child is a plain fork).
    with WarmServer(sys.executable, child_env(base, False)) as cpp, \
            WarmServer(sys.executable, child_env(base, interpret)) as triton:
        def run(entry_id: str) -> dict[str, Any]:
            server = triton if ENTRIES[entry_id]["dsl"] == "triton_cuda" else cpp
            return verify(server, ENTRIES[entry_id], base / entry_id)
        with ThreadPoolExecutor(max_workers=2) as pool:
            return dict(zip(todo, pool.map(run, todo)))


@pytest.mark.parametrize("entry_id", list(ENTRIES))
def test_entry_through_the_warm_server(entry_id: str, outcomes: dict[str, dict[str, Any]]):
    entry = ENTRIES[entry_id]
    if entry.get("gpu_only") and not CUDA:
        pytest.skip("gpu_only: needs a CUDA device")
    result = outcomes[entry_id]
    shown = f"{entry['file']}: {result.get('verdict')}/{result.get('reason')} " \
            f"{result.get('message')!r} {result.get('stderr', '')}"
    if entry["kind"] == "honest":
        assert result["verdict"] == "passed", shown
    else:
        verdicts = entry["verdict"] if isinstance(entry["verdict"], list) else [entry["verdict"]]
        assert result["verdict"] in verdicts and result["reason"] in entry["reasons"], shown
