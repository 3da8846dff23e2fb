"""Shared helpers for end-to-end tests of the real akg_cli binary."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# AKG_CLI points the tests at another build (e.g. a developer's own build folder).
CLI = Path(os.environ.get("AKG_CLI") or ROOT / "build" / "akg_cli")
FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLES = ROOT / "examples" / "tasks"
CPU_TARGET = ["--framework", "torch", "--backend", "cpu", "--arch", "x86_64", "--dsl", "cpp"]
CUDA_TRITON = ["--framework", "torch", "--backend", "cuda", "--arch", "h100", "--dsl", "triton_cuda"]


# The tests' runs go into a history of their own, never the developer's (~/.local/share/akg).
TEST_DATA_HOME = tempfile.mkdtemp(prefix="akg-e2e-data-")


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("AKG_PYTHON", sys.executable)
    env["XDG_DATA_HOME"] = TEST_DATA_HOME
    env.update(extra or {})
    return env


@pytest.fixture
def run_cli(tmp_path):
    """Runs akg_cli in tmp_path; returns the CompletedProcess."""
    if not CLI.exists():
        pytest.fail(f"{CLI} is missing: build first (scripts/setup.sh)")

    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 300):
        return subprocess.run([str(CLI), *args], cwd=tmp_path, env=cli_env(env),
                              capture_output=True, text=True, timeout=timeout)
    return run
