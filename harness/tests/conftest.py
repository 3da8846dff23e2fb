"""Shared helpers: fixture paths, request builders, and a private kernel cache per session."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

HARNESS_DIR = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"

if str(HARNESS_DIR) not in sys.path:  # lets the suite run without PYTHONPATH=harness too
    sys.path.insert(0, str(HARNESS_DIR))


def fixture_path(name: str) -> str:
    return str(FIXTURES / name)


def inspect_request(task: str, **overrides: Any) -> dict[str, Any]:
    return {"task_path": fixture_path(task), "device": "cpu", "seed": 1, "dsl": None,
            **overrides}


def verify_request(task: str, candidate: str, **overrides: Any) -> dict[str, Any]:
    return {"task_path": fixture_path(task), "candidate_path": fixture_path(candidate),
            "dsl": "cpp", "device": "cpu", "seed": 1, "trials": 2,
            "atol": None, "rtol": None, **overrides}


def profile_request(task: str, candidate: str, **overrides: Any) -> dict[str, Any]:
    # torch.compile on the CPU costs ~15 s per process: tests that want it ask for it.
    return {"task_path": fixture_path(task), "candidate_path": fixture_path(candidate),
            "dsl": "cpp", "device": "cpu", "seed": 1, "warmup_times": 2, "run_times": 5,
            "baselines": ["eager"], **overrides}


@pytest.fixture(scope="session", autouse=True)
def kernel_cache(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Compiled test kernels go to a fresh folder, so every session really compiles."""
    path = str(tmp_path_factory.mktemp("kernel_cache"))
    os.environ["AKG_KERNEL_CACHE"] = path
    return path
