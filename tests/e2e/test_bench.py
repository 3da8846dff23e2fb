"""End-to-end: akg_cli bench over a few tiny CPU tasks with the builtin model: every task's
outcome is a row (a decline and a bad task file do not stop the suite), results.json and
results.md, --json, --resume, Ctrl-C, and bad input (exit 2, nothing written)."""
from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import CLI, CPU_TARGET, EXAMPLES, FIXTURES, cli_env

FAST = ["--config", str(FIXTURES / "fast.yaml")]  # eager baseline only: no torch.compile time


def bench(cwd: Path, *args: str, env: dict[str, str] | None = None,
          timeout: float = 600) -> subprocess.CompletedProcess:
    if not CLI.exists():
        pytest.fail(f"{CLI} is missing: build first (scripts/setup.sh)")
    return subprocess.run([str(CLI), "bench", *args], cwd=cwd, env=cli_env(env),
                          capture_output=True, text=True, timeout=timeout)


def results(out: Path) -> dict:
    return json.loads((out / "results.json").read_text())


def rows(out: Path) -> dict:
    return {row["task"]: row for row in results(out)["tasks"]}


def task_folder(root: Path, files: dict[str, Path]) -> Path:
    root.mkdir()
    for name, source in files.items():
        shutil.copy(source, root / name)
    return root


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    """One bench over a passing elementwise task, one the builtin model may decline, one bad file."""
    base = tmp_path_factory.mktemp("bench")
    tasks = task_folder(base / "tasks", {"a_relu.py": EXAMPLES / "relu.py",
                                         "b_matmul.py": FIXTURES / "matmul.py",
                                         "c_broken.py": FIXTURES / "no_model.py"})
    (tasks / "notes.txt").write_text("not a task")
    out = base / "out"
    # Two at once: two Runs on the one Session (on the CPU they share its one pool slot).
    r = bench(base, str(tasks), *CPU_TARGET, *FAST, "--out", str(out), "--devices", "0,1")
    return base, tasks, out, r


def test_every_task_gets_a_row_and_the_suite_goes_on(suite):
    _, _, out, r = suite
    assert r.returncode == 0, r.stdout + r.stderr
    got = rows(out)
    assert list(got) == ["a_relu", "b_matmul", "c_broken"]  # sorted; notes.txt is no task
    relu, matmul, broken = got["a_relu"], got["b_matmul"], got["c_broken"]
    assert relu["status"] == "passed" and relu["handled"] and relu["correct"]
    assert relu["median_ms"] > 0 and relu["eager_ms"] > 0 and relu["speedup_vs_eager"] > 0
    assert relu["torch_compile_ms"] is None and relu["speedup_vs_torch_compile"] is None
    assert relu["attempts"] >= 1
    assert (Path(relu["run_folder"]) / "report.json").exists()
    assert Path(relu["run_folder"]) == out / "a_relu"
    # Whatever the builtin model does with a matmul, the row says it and the suite went on.
    if matmul["handled"]:
        assert matmul["status"] in ("passed", "failed")
    else:
        assert matmul["status"] == "declined" and "matmul" in matmul["why"]
        assert matmul["correct"] is False and matmul["median_ms"] is None
    assert broken["status"] == "error" and not broken["handled"]
    assert "class Model" in broken["why"]
    assert broken["run_folder"] is None and not (out / "c_broken").exists()


def test_results_json_holds_the_header_and_the_suite_figures(suite):
    _, _, out, _ = suite
    res = results(out)
    assert res["schema_version"] == 1
    assert res["target"] == {"framework": "torch", "backend": "cpu", "arch": "x86_64", "dsl": "cpp"}
    assert res["workflow"] == "default" and res["devices"] == "0,1"
    assert "bench" in res["command"] and res["started_utc"] <= res["finished_utc"]
    assert res["interrupted"] is False
    fig = res["figures"]
    correct = sum(row["correct"] for row in res["tasks"])
    assert fig["tasks"] == 3 and fig["correct"] == correct >= 1
    assert fig["fast_0"] == pytest.approx(correct / 3)
    assert fig["fast_1_vs_torch_compile"] is None  # never measured, never invented
    assert fig["geomean_speedup_vs_eager"] > 0
    assert "a_relu" in (out / "results.md").read_text()


def test_the_table_and_progress(suite):
    _, _, out, r = suite
    lines = r.stdout.splitlines()
    head = lines[0]
    for col in ("task", "handled", "correct", "eager ms", "compile ms", "ours ms", "vs eager",
                "vs compile", "SOL", "attempts", "why"):
        assert col in head, head
    relu = next(line for line in lines if line.startswith("a_relu"))
    assert " passed " in relu and "—" in relu  # no torch.compile time
    assert any(line.startswith("c_broken") and " error " in line for line in lines)
    for figure in ("fast_0", "fast_1 vs eager", "fast_1 vs torch.compile", "geomean"):
        assert figure in r.stdout
    assert str(out / "results.json") in r.stdout
    # progress on stderr: the task's phases while it runs, and a line when it ends
    assert "a_relu [task]" in r.stderr and "a_relu: passed" in r.stderr
    assert "c_broken: error" in r.stderr


def test_resume_runs_only_the_tasks_without_a_row(suite, tmp_path):
    base, tasks, out, _ = suite
    again = tmp_path / "again"
    shutil.copytree(out, again)
    before = results(again)
    before["tasks"] = [row for row in before["tasks"] if row["task"] != "a_relu"]
    (again / "results.json").write_text(json.dumps(before))  # a_relu's folder stays, unfinished
    r = bench(base, str(tasks), *CPU_TARGET, *FAST, "--resume", str(again), "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    printed = json.loads(r.stdout)  # --json: the results object alone on stdout
    assert printed == results(again)
    got = {row["task"]: row for row in printed["tasks"]}
    assert got["a_relu"]["status"] == "passed"
    for name in ("b_matmul", "c_broken"):  # kept as they were, not run again
        assert got[name] == rows(out)[name]
    assert "a_relu [task]" in r.stderr and "b_matmul [" not in r.stderr
    assert "c_broken: error" not in r.stderr
    assert len(printed["resumes"]) == 1 and printed["started_utc"] == before["started_utc"]

    done = bench(base, str(tasks), *CPU_TARGET, *FAST, "--resume", str(again))
    assert done.returncode == 0, done.stderr
    assert "3 tasks done, 0 to run" in done.stderr
    assert "[task]" not in done.stderr


def test_resume_needs_the_same_target(suite):
    base, tasks, out, _ = suite
    before = (out / "results.json").read_text()
    r = bench(base, str(tasks), "--backend", "cuda", "--arch", "h100", "--dsl", "triton_cuda",
              "--resume", str(out))
    assert r.returncode == 2, r.stderr
    errors = [line for line in r.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "torch/cpu/x86_64/cpp" in errors[0], r.stderr
    assert (out / "results.json").read_text() == before


BAD_INPUTS = [
    (["EMPTY", *CPU_TARGET], "holds no *.py task files"),
    (["missing_dir", *CPU_TARGET], "does not exist"),
    (["TASKS", "--backend", "cpu", "--arch", "x86_64", "--dsl", "fortran"], "unknown DSL"),
    (["TASKS", *CPU_TARGET, "--devices", "0,x"], "bad device id 'x'"),
    (["TASKS", *CPU_TARGET, "--workflow", "verifier_only"], "--workflow verifier_only"),
    (["TASKS", *CPU_TARGET, "--workflow", "nope"], "workflow 'nope'"),
    (["TASKS", *CPU_TARGET, "--config", "BADCFG"], "'max_steps'"),
    (["TASKS", *CPU_TARGET, "--resume", "EMPTY"], "has no results.json"),
    ([*CPU_TARGET], "give a folder of task files"),
]


@pytest.mark.parametrize("args,expected", BAD_INPUTS)
def test_bad_input_gives_one_line_and_writes_nothing(tmp_path, args, expected):
    (tmp_path / "empty").mkdir()
    tasks = task_folder(tmp_path / "tasks", {"relu.py": EXAMPLES / "relu.py"})
    (tmp_path / "bad.yaml").write_text("max_steps: lots\n")
    names = {"EMPTY": str(tmp_path / "empty"), "TASKS": str(tasks), "BADCFG": str(tmp_path / "bad.yaml")}
    args = [names.get(a, a) for a in args]
    out_args = [] if "--resume" in args else ["--out", str(tmp_path / "out")]
    r = bench(tmp_path, *args, *out_args)
    assert r.returncode == 2, r.stdout + r.stderr
    errors = [line for line in r.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and expected in errors[0], r.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "runs").exists()
    assert list((tmp_path / "empty").iterdir()) == []


def test_an_out_folder_in_use_is_refused_and_json_says_the_error(tmp_path):
    tasks = task_folder(tmp_path / "tasks", {"relu.py": EXAMPLES / "relu.py"})
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    r = bench(tmp_path, str(tasks), *CPU_TARGET, "--out", str(out), "--json")
    assert r.returncode == 2
    printed = json.loads(r.stdout)
    assert printed["exit_code"] == 2 and "--resume" in printed["error"]
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_ctrl_c_cancels_the_bench_and_keeps_the_rows_so_far(tmp_path):
    tasks = task_folder(tmp_path / "tasks", {"a_relu.py": EXAMPLES / "relu.py",
                                             "b_slow.py": FIXTURES / "slow_reference.py",
                                             "c_swish.py": EXAMPLES / "swish.py"})
    p = subprocess.Popen([str(CLI), "bench", str(tasks), *CPU_TARGET, *FAST], cwd=tmp_path,
                         env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    found = []
    while time.monotonic() < deadline and p.poll() is None:  # the default out: runs/bench-<stamp>
        found = list((tmp_path / "runs").glob("bench-*/results.json"))
        if found and json.loads(found[0].read_text())["tasks"]:
            break
        time.sleep(0.5)
    assert found, "no results.json appeared"
    time.sleep(3)  # b_slow's reference sleeps in its inspection
    start = time.monotonic()
    p.send_signal(signal.SIGINT)
    stdout, stderr = p.communicate(timeout=60)
    assert p.returncode == 130, stdout + stderr
    assert time.monotonic() - start < 20
    res = json.loads(found[0].read_text())
    got = {row["task"]: row["status"] for row in res["tasks"]}
    assert got["a_relu"] == "passed" and got.get("b_slow") == "cancelled", got
    assert "c_swish" not in got  # never started
    assert res["interrupted"] is True and res["finished_utc"]
    assert "--resume" in stderr


def test_a_broken_agent_stops_the_bench_and_resume_runs_its_task_again(tmp_path):
    tasks = task_folder(tmp_path / "tasks", {"a_matmul.py": FIXTURES / "matmul.py",
                                             "b_broken.py": FIXTURES / "no_model.py"})
    no_torch = tmp_path / "python-without-torch"
    no_torch.write_text("#!/bin/sh\necho \"ModuleNotFoundError: No module named 'torch'\" >&2\n"
                        "exit 1\n")
    no_torch.chmod(0o755)
    out = tmp_path / "out"
    r = bench(tmp_path, str(tasks), *CPU_TARGET, *FAST, "--out", str(out),
              env={"AKG_PYTHON": str(no_torch)})
    assert r.returncode == 1, r.stdout + r.stderr
    errors = [line for line in r.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and "cannot import torch" in errors[0] and "--resume" in errors[0]
    got = rows(out)
    assert list(got) == ["a_matmul"] and got["a_matmul"]["status"] == "agent_error"

    again = bench(tmp_path, str(tasks), *CPU_TARGET, *FAST, "--resume", str(out))
    assert again.returncode == 0, again.stdout + again.stderr
    got = rows(out)
    assert list(got) == ["a_matmul", "b_broken"]
    assert got["a_matmul"]["status"] != "agent_error" and got["b_broken"]["status"] == "error"
