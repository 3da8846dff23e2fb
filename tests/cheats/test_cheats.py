"""The cheat corpus: every cheat must be refused with the reason docs/INTEGRITY.md assigns,
every honest candidate must pass.

Each manifest entry becomes a `python -m akg_harness verify` child process, as the agent runs
it (sys.executable, PYTHONPATH=harness, a fresh working folder, a timeout). The children run
a few at a time in a session fixture so the corpus stays fast on a 2-core machine; each test
then checks its own entry. Triton entries use the GPU when torch sees one and Triton's CPU
interpreter (TRITON_INTERPRET=1) otherwise; cpp entries always run on the CPU. Entries marked
`gpu_only` are skipped without CUDA.

    PYTHONPATH=harness python -m pytest -q tests/cheats
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
HARNESS_DIR = ROOT / "harness"
MANIFEST = HERE / "manifest.json"
TIMEOUT_S = 180

# docs/INTEGRITY.md: the verdict that goes with each reason code.
REASON_VERDICT = {
    **{r: "rejected" for r in (
        "no_kernel", "kernel_not_launched", "forbidden_framework_op", "try_except",
        "concurrency", "extra_stream", "monkey_patch", "forbidden_io", "unsanctioned_native",
        "stateful_forward", "l2_persistence", "kernel_did_not_run", "output_aliases_input",
        "output_not_plain_tensor", "inputs_modified", "stale_output", "patched_runtime",
        "no_model_new")},
    **{r: "wrong_answer" for r in (
        "unwritten_output", "near_zero_output", "mismatch", "shape_mismatch",
        "dtype_mismatch", "device_mismatch", "output_count", "shape_specific")},
    "compile_failed": "compile_error", "raised": "runtime_error", "timed_out": "timeout",
}
VERDICTS = {"passed", "rejected", "wrong_answer", "compile_error", "runtime_error", "timeout"}
POLICIES = {"strict", "partial"}
DSLS = {"cpp", "triton_cuda"}


def load_manifest() -> dict[str, Any]:
    with open(MANIFEST, encoding="utf-8") as f:
        return json.load(f)


MANIFEST_DATA = load_manifest()
ENTRIES = {e["id"]: e for e in MANIFEST_DATA["entries"]}


def _cuda_available() -> bool:
    import torch
    return torch.cuda.is_available()


CUDA = _cuda_available()


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def plan_for(entry: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The request's device and the child's environment for one entry."""
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(HARNESS_DIR)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    # Content-keyed, so sharing it between sessions only saves compile time.
    env.setdefault("AKG_KERNEL_CACHE", os.path.join(tempfile.gettempdir(),
                                                    "akg_cheats_kernel_cache"))
    if entry["dsl"] == "cpp":
        return "cpu", env
    if CUDA:
        return "cuda", env
    env["TRITON_INTERPRET"] = "1"
    return "cpu", env


def run_verify(entry: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """Runs one verify child; returns its result (or a synthetic one when it wrote none)."""
    device, env = plan_for(entry)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "ref_cache").mkdir(exist_ok=True)
    request = {
        "task_path": str(HERE / "tasks" / entry["task"]),
        "candidate_path": str(HERE / "candidates" / entry["file"]),
        "dsl": entry["dsl"], "device": device,
        "seed": entry.get("seed", MANIFEST_DATA["defaults"]["seed"]),
        "trials": entry.get("trials", MANIFEST_DATA["defaults"]["trials"]),
        "atol": None, "rtol": None,
        "policy": entry["policy"],
        "reference_cache_dir": str(workdir / "ref_cache"),
    }
    req_path, res_path = workdir / "request.json", workdir / "result.json"
    req_path.write_text(json.dumps(request, indent=1), encoding="utf-8")
    started = time.monotonic()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "akg_harness", "verify", "--request", str(req_path),
             "--result", str(res_path)],
            cwd=workdir, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return {"verdict": "timeout", "reason": "timed_out", "message": "child timed out",
                "_seconds": time.monotonic() - started, "_stderr": ""}
    seconds = time.monotonic() - started
    if proc.returncode != 0 or not res_path.exists():
        return {"verdict": f"harness_exit_{proc.returncode}", "reason": None,
                "message": proc.stderr.strip().splitlines()[-1:] or "", "_seconds": seconds,
                "_stderr": proc.stderr[-4000:]}
    result = json.loads(res_path.read_text(encoding="utf-8"))
    result["_seconds"] = seconds
    result["_stderr"] = proc.stderr[-4000:]
    return result


def _selected_ids(session: pytest.Session) -> list[str]:
    ids = []
    for item in session.items:
        spec = getattr(item, "callspec", None)
        if spec is not None and "entry_id" in spec.params:
            ids.append(spec.params["entry_id"])
    return ids


@pytest.fixture(scope="session")
def outcomes(request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Runs every selected, runnable entry (a few children at a time) once per session."""
    base = tmp_path_factory.mktemp("cheats")
    todo = [i for i in _selected_ids(request.session)
            if i in ENTRIES and (CUDA or not ENTRIES[i].get("gpu_only"))]
    # Slow (Triton interpreter) entries first, so the pool ends evenly.
    todo.sort(key=lambda i: ENTRIES[i]["dsl"] != "triton_cuda")
    workers = max(2, min(8, (os.cpu_count() or 2)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = dict(zip(todo, pool.map(lambda i: run_verify(ENTRIES[i], base / i), todo)))
    request.config._cheat_outcomes = results  # read by conftest's summary table
    request.config._cheat_entries = ENTRIES
    return results


def test_manifest_is_well_formed():
    for entry in MANIFEST_DATA["entries"]:
        where = entry["id"]
        assert (HERE / "candidates" / entry["file"]).is_file(), where
        assert (HERE / "tasks" / entry["task"]).is_file(), where
        assert entry["dsl"] in DSLS and entry["policy"] in POLICIES, where
        assert entry["kind"] in ("cheat", "honest"), where
        assert isinstance(entry["gpu_only"], bool) and entry["description"], where
        verdicts = as_list(entry["verdict"])
        assert set(verdicts) <= VERDICTS, where
        if entry["kind"] == "honest":
            assert verdicts == ["passed"] and entry["reasons"] == [], where
        else:
            assert "passed" not in verdicts and entry["reasons"], where
            for reason in entry["reasons"]:
                assert REASON_VERDICT[reason] in verdicts, (where, reason)
            assert entry["reference"] is None or 1 <= entry["reference"] <= 15, where
    assert len(ENTRIES) == len(MANIFEST_DATA["entries"]), "duplicate ids"


def test_corpus_size():
    kinds = [e["kind"] for e in MANIFEST_DATA["entries"]]
    assert kinds.count("cheat") >= 12 and kinds.count("honest") >= 6
    honest_dsls = {e["dsl"] for e in MANIFEST_DATA["entries"] if e["kind"] == "honest"}
    assert honest_dsls == DSLS
    covered = {e["reference"] for e in MANIFEST_DATA["entries"] if e["kind"] == "cheat"}
    assert covered >= set(range(1, 16)), sorted(set(range(1, 16)) - covered)


@pytest.mark.parametrize("entry_id", list(ENTRIES))
def test_entry(entry_id: str, outcomes: dict[str, dict[str, Any]]):
    entry = ENTRIES[entry_id]
    if entry.get("gpu_only") and not CUDA:
        pytest.skip("gpu_only: needs a CUDA device")
    result = outcomes[entry_id]
    verdict, reason = result.get("verdict"), result.get("reason")
    shown = (f"{entry['file']} ({entry['description']}): verdict {verdict!r}, reason "
             f"{reason!r}, message {result.get('message')!r}\n{result.get('_stderr', '')[-1500:]}")
    if entry["kind"] == "honest":
        assert verdict == "passed", shown
        if entry["policy"] == "partial":
            assert result.get("framework_ops"), f"partial policy lists no framework_ops: {shown}"
        assert result.get("policy", entry["policy"]) == entry["policy"], shown
        return
    assert verdict in as_list(entry["verdict"]), shown
    assert reason in entry["reasons"], shown
    assert REASON_VERDICT.get(reason) == verdict, f"reason and verdict disagree: {shown}"
    assert result.get("policy", entry["policy"]) == entry["policy"], shown
