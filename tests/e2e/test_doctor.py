"""End-to-end tests of `akg_cli doctor` on this machine (a CPU machine: no GPU, torch in the
harness venv). They check what a user relies on: the exit code says whether the target can
run, missing pieces come with their fix line, and no API key is ever printed."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import CLI, cli_env

CUDA_TARGET = ["--backend", "cuda", "--arch", "h100", "--dsl", "triton_cuda"]
SECRET = "sk-secret-doctor-e2e-0123456789"


@pytest.fixture
def doctor(tmp_path):
    """Runs `akg_cli doctor ARGS` in tmp_path with the user's own settings kept out."""
    if not CLI.exists():
        pytest.fail(f"{CLI} is missing: build first (scripts/setup.sh)")
    config_home = tmp_path / "xdg-config"  # never the developer's ~/.config/akg/settings.yaml
    config_home.mkdir()

    def run(*args: str, env: dict[str, str] | None = None):
        extra = {"XDG_CONFIG_HOME": str(config_home), "XDG_STATE_HOME": str(tmp_path / "state"),
                 "XDG_CACHE_HOME": str(tmp_path / "cache")}
        extra.update(env or {})
        full = cli_env(extra)
        for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
            full.pop(name, None)
        return subprocess.run([str(CLI), "doctor", *args], cwd=tmp_path, env=full,
                              capture_output=True, text=True, timeout=120)
    return run


def check_line(stdout: str, name: str) -> str:
    for line in stdout.splitlines():
        words = line.split(None, 1)
        if len(words) == 2 and words[1].startswith(name + "  "):
            return line
    raise AssertionError(f"no '{name}' line in:\n{stdout}")


def test_cpu_path_is_ready_and_shows_torch_version(doctor):
    torch = pytest.importorskip("torch")
    r = doctor()
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ok" in check_line(r.stdout, "torch").split()[0]
    assert torch.__version__ in check_line(r.stdout, "torch")
    assert "ready: cpu/x86_64/cpp can run here" in r.stdout
    # No GPU here: reported, but it does not stop the CPU path.
    assert "(optional for cpu/x86_64/cpp)" in check_line(r.stdout, "gpu")


def test_json_is_the_only_stdout_and_says_ok(doctor):
    r = doctor("--json")
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    assert doc["ok"] is True
    assert doc["target"] == "cpu/x86_64/cpp"
    names = {c["name"]: c for c in doc["checks"]}
    for name in ("c++ compiler", "nvcc", "python", "torch", "numpy", "gpu", "run folder", "cache"):
        assert name in names, name
    assert all(c["status"] in ("ok", "missing", "problem", "skipped") for c in doc["checks"])


def test_cuda_target_without_gpu_exits_one_naming_the_gpu(doctor):
    r = doctor(*CUDA_TARGET)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "no NVIDIA GPU" in check_line(r.stdout, "gpu")
    assert "cuda/h100/triton_cuda cannot run here" in r.stdout
    assert "gpu" in r.stdout.splitlines()[-1]


def test_settings_api_key_is_never_shown(doctor, tmp_path):
    (tmp_path / ".akg").mkdir()
    (tmp_path / ".akg" / "settings.yaml").write_text(
        "models:\n"
        "  ds:\n"
        "    provider: openai\n"
        "    base_url: https://api.deepseek.com/v1\n"
        f"    api_key: {SECRET}\n"
        "    model: deepseek-chat\n"
        "levels: {complex: ds, standard: ds, fast: ds}\n")
    for args in ((), ("--json",)):
        r = doctor(*args)
        assert SECRET not in r.stdout + r.stderr
        assert "sk-secret" not in r.stdout + r.stderr
    r = doctor()
    assert "deepseek-chat at https://api.deepseek.com/v1" in check_line(r.stdout, "model standard")
    assert "API key set" in check_line(r.stdout, "model standard")


def test_online_calls_a_command_model_through_the_real_client(doctor, tmp_path):
    (tmp_path / ".akg").mkdir()
    (tmp_path / ".akg" / "settings.yaml").write_text(
        "models:\n"
        "  local:\n"
        "    provider: command\n"
        "    command: [/bin/sh, -c, 'cat >/dev/null; echo ok']\n"
        "    model: m1\n"
        "levels: {standard: local}\n")
    r = doctor("--online")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "online: answered" in check_line(r.stdout, "model standard")


@pytest.mark.skipif(not Path("/usr/bin/python3").exists(), reason="no system python3")
def test_python_without_torch_exits_one_with_the_fix_line(doctor):
    probe = subprocess.run(["/usr/bin/python3", "-c", "import torch"], capture_output=True)
    if probe.returncode == 0:
        pytest.skip("/usr/bin/python3 has torch")
    r = doctor(env={"AKG_PYTHON": "/usr/bin/python3"})
    assert r.returncode == 1, r.stdout + r.stderr
    assert check_line(r.stdout, "torch").split()[0] == "missing"
    assert "fix: /usr/bin/python3 -m pip install torch" in r.stdout


def test_unknown_dsl_exits_two_with_one_error_line(doctor):
    r = doctor("--backend", "cpu", "--arch", "x86_64", "--dsl", "fortran")
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.startswith("akg_cli: error: unknown DSL 'fortran'")
    assert len(r.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="no nvcc on this machine")
def test_nvcc_version_is_reported(doctor):
    r = doctor()
    assert "release" in check_line(r.stdout, "nvcc")
