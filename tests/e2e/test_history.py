"""End-to-end: every finished run lands in the run history, and `akg_cli runs` reads it back,
also when several akg_cli processes finish at once."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import CLI, CPU_TARGET, cli_env

QUICK = ["--intent", "Generate a relu kernel", "--workflow", "kernelgen_only"]


def history_env(tmp_path: Path) -> dict[str, str]:
    # The history and the user settings both in tmp_path: never the developer's own files.
    return {"XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}


def runs_json(run_cli, env, *args: str) -> dict:
    r = run_cli("runs", *args, "--json", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout)


def test_a_finished_run_is_listed_and_shown(run_cli, tmp_path):
    env = history_env(tmp_path)
    empty = run_cli("runs", env=env)
    assert empty.returncode == 0, empty.stderr
    assert "empty" in empty.stdout and str(tmp_path / "data" / "akg" / "history.db") in empty.stdout

    out = tmp_path / "run"
    r = run_cli("op", *CPU_TARGET, *QUICK, "--out", str(out), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "run history" not in r.stderr  # recorded without a warning

    listed = runs_json(run_cli, env)
    assert listed["history"] == str(tmp_path / "data" / "akg" / "history.db")
    assert len(listed["runs"]) == 1
    run = listed["runs"][0]
    assert run["run_folder"] == str(out)
    assert run["workflow"] == "kernelgen_only"
    assert run["verdict"] == "unverified"
    assert (run["backend"], run["arch"], run["dsl"]) == ("cpu", "x86_64", "cpp")
    assert len(run["task_hash"]) == 16
    assert run["task_name"] == json.loads((out / "report.json").read_text())["task"]["name"]

    table = run_cli("runs", env=env)
    assert table.returncode == 0 and str(out) in table.stdout and "unverified" in table.stdout

    shown = run_cli("runs", "show", str(run["id"]), env=env)
    assert shown.returncode == 0, shown.stderr
    assert str(out) in shown.stdout and "kernelgen_only" in shown.stdout
    detail = runs_json(run_cli, env, "show", str(run["id"]))
    assert len(detail["candidates"]) == 1
    assert detail["candidates"][0]["kernel"] == "attempts/01/kernel.py"

    assert runs_json(run_cli, env, "--dsl", "triton_cuda")["runs"] == []
    assert len(runs_json(run_cli, env, "--since", run["started_utc"][:10])["runs"]) == 1


def test_bad_input_exits_two_with_one_error_line(run_cli, tmp_path):
    env = history_env(tmp_path)
    r = run_cli("op", *CPU_TARGET, *QUICK, "--out", str(tmp_path / "run"), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    for args, names in ((["show", "999"], "999"), (["--since", "yesterday"], "yesterday")):
        bad = run_cli("runs", *args, env=env)
        assert bad.returncode == 2, bad.stdout + bad.stderr
        assert bad.stderr.startswith("akg_cli: error: ") and bad.stderr.count("\n") == 1
        assert names in bad.stderr


def test_a_history_that_cannot_be_written_warns_and_the_run_still_succeeds(run_cli, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the history's folder should be")
    env = {**history_env(tmp_path), "XDG_DATA_HOME": str(blocker)}
    out = tmp_path / "run"
    r = run_cli("op", *CPU_TARGET, *QUICK, "--out", str(out), env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "akg_cli: note: run history:" in r.stderr
    assert (out / "report.json").exists()


def test_four_runs_finishing_at_once_are_all_recorded(run_cli, tmp_path):
    env = cli_env(history_env(tmp_path))
    outs = [tmp_path / f"run{i}" for i in range(4)]
    procs = [subprocess.Popen([str(CLI), "op", *CPU_TARGET, *QUICK, "--out", str(out)],
                              cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for out in outs]
    for p in procs:
        stdout, stderr = p.communicate(timeout=600)
        assert p.returncode == 0, stdout + stderr
        assert "run history" not in stderr, stderr  # no lock errors, no lost write
    folders = sorted(r["run_folder"] for r in runs_json(run_cli, history_env(tmp_path))["runs"])
    assert folders == sorted(str(o) for o in outs)
