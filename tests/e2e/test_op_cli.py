"""End-to-end: akg_cli op with the builtin model on this machine (no GPU, no LLM)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from conftest import CLI, CPU_TARGET, CUDA_TRITON, EXAMPLES, FIXTURES, cli_env

FAST = ["--config", str(FIXTURES / "fast.yaml")]


def load_report(run_dir):
    return json.loads((run_dir / "report.json").read_text())


def test_cpu_example_produces_verified_profiled_kernel(run_cli, tmp_path):
    out = tmp_path / "run"
    r = run_cli("op", *CPU_TARGET, "--task", str(EXAMPLES / "gelu_scale_add.py"),
                "--out", str(out), *FAST)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "verdict: passed" in r.stdout
    assert "speedup vs eager" in r.stdout
    report = load_report(out)
    assert report["verified"] is True
    assert report["profile"]["ok"] is True
    assert report["profile"]["kernel"]["median_ms"] > 0
    for name in ("task.py", "inspect.json", "design.md", "kernel.py", "report.md",
                 "profile.json", "attempts/01/kernel.py", "attempts/01/verify.log"):
        assert (out / name).exists(), name
    assert "from akg_harness" not in (out / "kernel.py").read_text()  # self-contained


def test_final_kernel_is_importable_without_the_harness(run_cli, tmp_path):
    out = tmp_path / "run"
    r = run_cli("op", *CPU_TARGET, "--task", str(EXAMPLES / "relu.py"), "--out", str(out), *FAST)
    assert r.returncode == 0, r.stdout + r.stderr
    script = (
        "import importlib.util, torch\n"
        f"spec = importlib.util.spec_from_file_location('k', r'{out / 'kernel.py'}')\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "x = torch.randn(37, 129)\n"
        "assert torch.equal(m.ModelNew()(x), torch.relu(x))\n"
        "print('ok')\n")
    env = {k: v for k, v in cli_env().items() if k != "PYTHONPATH"}
    p = subprocess.run([env["AKG_PYTHON"], "-c", script], env=env, cwd=tmp_path,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and "ok" in p.stdout, p.stderr


def test_run_times_in_config_sets_number_of_timed_runs(run_cli, tmp_path):
    for runs in (3, 7):
        cfg = tmp_path / f"c{runs}.yaml"
        cfg.write_text(f"profile_settings: {{run_times: {runs}, warmup_times: 1}}\n"
                       "verify_settings: {trials: 1}\n")
        out = tmp_path / f"run{runs}"
        r = run_cli("op", *CPU_TARGET, "--task", str(EXAMPLES / "swish.py"), "--out", str(out),
                    "--config", str(cfg))
        assert r.returncode == 0, r.stderr
        prof = load_report(out)["profile"]
        assert prof["kernel"]["runs"] == runs
        assert prof["reference_eager"]["runs"] == runs


def test_triton_chain_verifies_under_interpreter(run_cli, tmp_path):
    out = tmp_path / "run"
    r = run_cli("op", *CUDA_TRITON, "--task", str(FIXTURES / "small_chain.py"), "--out", str(out),
                *FAST)
    if os.path.exists("/dev/nvidiactl"):
        pytest.skip("this machine has a GPU; the interpreter path is for machines without one")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "interpreter" in r.stderr
    report = load_report(out)
    assert report["verified"] and report["triton_interpreter"]
    assert report["profile"]["performance_valid"] is False
    assert "@triton.jit" in (out / "kernel.py").read_text()


def test_intent_sentence_becomes_a_task(run_cli, tmp_path):
    out = tmp_path / "run"
    r = run_cli("op", *CPU_TARGET, "--intent", "Generate a relu kernel", "--out", str(out), *FAST)
    assert r.returncode == 0, r.stdout + r.stderr
    task = (out / "task.py").read_text()
    assert "class Model" in task and "relu" in task
    assert load_report(out)["verified"]


def test_child_processes_never_see_api_keys(run_cli, tmp_path):
    out = tmp_path / "run"
    secrets = {"OPENAI_API_KEY": "sk-test", "ANTHROPIC_API_KEY": "sk-ant", "GITHUB_TOKEN": "t",
               "AKG_STANDARD_API_KEY": "k", "MY_SECRET": "s"}
    r = run_cli("op", *CPU_TARGET, "--task", str(FIXTURES / "no_secrets.py"), "--out", str(out),
                *FAST, env=secrets)
    assert r.returncode == 0, r.stdout + r.stderr
    for value in ("sk-test", "sk-ant"):
        for f in out.rglob("*"):
            if f.is_file():
                assert value not in f.read_text(errors="ignore"), f


BAD_INPUTS = [
    (["--backend", "cpu", "--arch", "x86_64", "--dsl", "triton_cuda", "--task", "T"], "--backend cuda"),
    (["--backend", "cpu", "--arch", "x86_64", "--dsl", "fortran", "--task", "T"], "unknown DSL"),
    ([*CPU_TARGET, "--task", "does_not_exist.py"], "does not exist"),
    ([*CPU_TARGET, "--task", str(FIXTURES / "no_model.py")], "class Model"),
    ([*CPU_TARGET, "--task", str(FIXTURES / "no_get_inputs.py")], "get_inputs"),
    ([*CPU_TARGET, "--task", str(FIXTURES / "reference_raises.py")], "broken on purpose"),
    ([*CPU_TARGET, "--task", str(FIXTURES / "sort.py")], "aten.sort"),
    ([*CPU_TARGET, "--task", "T", "--workflow", "verifier_only"], "--kernel"),
    ([*CPU_TARGET, "--intent", "Generate a fast fourier transform"], "could not map"),
    ([*CPU_TARGET], "--task"),
]


@pytest.mark.parametrize("args,expected", BAD_INPUTS)
def test_bad_input_gives_one_line_error_and_no_run_folder(run_cli, tmp_path, args, expected):
    args = [str(EXAMPLES / "relu.py") if a == "T" else a for a in args]
    r = run_cli("op", *args, "--out", str(tmp_path / "run"))
    assert r.returncode == 2, r.stdout + r.stderr
    errors = [line for line in r.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and expected in errors[0], r.stderr
    assert not (tmp_path / "run").exists()
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("yaml_text,expected", [
    ("profile_settings: {run_times: [\n", "bad YAML"),
    ("profile_settings: {run_tims: 3}\n", "'profile_settings.run_tims'"),
    ("max_steps: lots\n", "'max_steps'"),
])
def test_bad_config_is_rejected_before_anything_runs(run_cli, tmp_path, yaml_text, expected):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(yaml_text)
    r = run_cli("op", *CPU_TARGET, "--task", str(EXAMPLES / "relu.py"), "--config", str(cfg),
                "--out", str(tmp_path / "run"))
    assert r.returncode == 2
    assert expected in r.stderr and str(cfg) in r.stderr
    assert not (tmp_path / "run").exists()


def test_help_shows_examples(run_cli):
    r = run_cli("op", "--help")
    assert r.returncode == 0
    assert "Examples:" in r.stdout and "--dsl" in r.stdout


def test_ctrl_c_interrupts_with_code_130(tmp_path):
    p = subprocess.Popen([str(CLI), "op", *CPU_TARGET, "--task", str(FIXTURES / "slow_reference.py"),
                          "--out", str(tmp_path / "run")], cwd=tmp_path, env=cli_env(),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(4)
    start = time.monotonic()
    p.send_signal(signal.SIGINT)
    p.communicate(timeout=30)
    assert p.returncode == 130
    assert time.monotonic() - start < 15


def test_the_binary_finds_the_harness_python_setup_wrote_beside_it(tmp_path):
    # No AKG_PYTHON: build/akg_python (written by scripts/setup.sh) names the interpreter.
    beside = CLI.parent / "akg_python"
    if not beside.exists():
        pytest.skip(f"{beside} is missing (built without scripts/setup.sh)")
    env = {k: v for k, v in cli_env().items() if k != "AKG_PYTHON"}
    r = subprocess.run([str(CLI), "op", *CPU_TARGET, "--intent", "Generate a relu kernel",
                        "--workflow", "kernelgen_only", "--out", str(tmp_path / "run")],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "cannot import torch" not in r.stderr
    assert (tmp_path / "run" / "kernel.py").exists()


def test_json_puts_the_result_alone_on_stdout_and_progress_on_stderr(run_cli, tmp_path):
    r = run_cli("op", *CPU_TARGET, "--intent", "Generate a relu kernel", "--workflow",
                "kernelgen_only", "--out", str(tmp_path / "run"), "--json")
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert result["exit_code"] == 0
    assert result["run_folder"] == str(tmp_path / "run")
    assert result["report"]["workflow"] == "kernelgen_only"
    assert "[kernelgen]" in r.stderr and "[kernelgen]" not in r.stdout
    bad = run_cli("op", *CPU_TARGET[:-1], "nope", "--intent", "x", "--json")
    assert bad.returncode == 2
    assert json.loads(bad.stdout)["exit_code"] == 2
    assert "unknown DSL" in json.loads(bad.stdout)["error"]


def test_no_subcommand_lists_the_subcommands(run_cli):
    r = run_cli()
    assert r.returncode == 0
    for name in ("op", "runs", "report"):
        assert f"  {name} " in r.stdout


def test_op_without_a_task_off_a_terminal_says_how_to_start_the_session(run_cli):
    r = run_cli("op", *CPU_TARGET)  # stdin and stdout are pipes here
    assert r.returncode == 2
    assert "interactive session" in r.stderr
