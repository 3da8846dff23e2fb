"""End-to-end: the workflows beyond default (kernelgen_only, verifier_only, evolve,
adaptive_search, --resume) with the builtin model on this machine's CPU."""
from __future__ import annotations

import json
import signal
import subprocess
import time

from conftest import CLI, CPU_TARGET, EXAMPLES, FIXTURES, cli_env

# A tiny, fast search: few candidates, two trials, eager baseline only.
SEARCH_YAML = """
profile_settings: {run_times: 3, warmup_times: 1, baselines: [eager]}
verify_settings: {trials: 2}
search: {rounds: 2, islands: 1, population: 2, elite: 1, migration_interval: 1,
         inspirations: 1, max_candidates: 4, patience: 0, concurrency: 2, seed: 3}
"""


def report(run_dir):
    return json.loads((run_dir / "report.json").read_text())


def config(tmp_path, text=SEARCH_YAML):
    path = tmp_path / "search.yaml"
    path.write_text(text)
    return ["--config", str(path)]


def test_kernelgen_only_says_unverified_then_verifier_only_verifies_it(run_cli, tmp_path):
    gen = tmp_path / "gen"
    r = run_cli("op", *CPU_TARGET, "--task", str(EXAMPLES / "relu.py"), "--out", str(gen),
                "--workflow", "kernelgen_only", *config(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "UNVERIFIED" in r.stdout
    rep = report(gen)
    assert rep["verified"] is False and rep["unverified"] is True
    assert rep["attempts"][0]["verdict"] == "passed"  # the static rules
    assert (gen / "kernel.py").read_text().startswith("# UNVERIFIED")
    assert (gen / "attempts/01/static.json").exists()
    assert not (gen / "attempts/01/verify.json").exists()  # nothing ran

    ver = tmp_path / "ver"
    r = run_cli("op", *CPU_TARGET, "--task", str(EXAMPLES / "relu.py"), "--out", str(ver),
                "--workflow", "verifier_only", "--kernel", str(gen / "kernel.py"),
                *config(tmp_path, SEARCH_YAML + "harness_mode: cold\n"))
    assert r.returncode == 0, r.stdout + r.stderr
    rep = report(ver)
    assert rep["verified"] is True and rep["profile"]["ok"] is True
    assert rep["device_utilisation"]["devices"][0]["leases"] == 1
    # the config's harness_mode is obeyed, and a cold harness is said in the final table
    assert rep["device_utilisation"]["devices"][0]["harness"] == "cold"
    assert "harness cold" in r.stdout


def test_verifier_only_reports_a_wrong_kernel(run_cli, tmp_path):
    wrong = tmp_path / "wrong.py"
    wrong.write_text((EXAMPLES.parent.parent / "harness/tests/fixtures/relu_wrong.py").read_text())
    r = run_cli("op", *CPU_TARGET, "--task", str(EXAMPLES / "relu.py"), "--out",
                str(tmp_path / "run"), "--workflow", "verifier_only", "--kernel", str(wrong),
                *config(tmp_path))
    assert r.returncode == 1, r.stdout + r.stderr
    assert report(tmp_path / "run")["attempts"][0]["verdict"] in ("rejected", "wrong_answer")


def test_evolve_keeps_every_candidate_with_lineage_and_a_leaderboard(run_cli, tmp_path):
    out = tmp_path / "run"
    r = run_cli("op", *CPU_TARGET, "--task", str(EXAMPLES / "swish.py"), "--out", str(out),
                "--workflow", "evolve", *config(tmp_path), timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    rep = report(out)
    assert rep["workflow"] == "evolve" and rep["verified"] is True
    assert len(rep["candidates"]) == 4
    assert rep["leaderboard"] and rep["leaderboard"][0]["rank"] == 1
    best = rep["leaderboard"][0]
    assert best["speedup_vs_eager"] > 0 and best["kernel_ms"] > 0
    second_round = [c for c in rep["candidates"] if c["round"] == 1]
    assert second_round and all(c["parent"] for c in second_round)
    for c in rep["candidates"]:
        meta = json.loads((out / c["dir"] / "meta.json").read_text())
        assert meta["id"] == c["id"] and "inspirations" in meta and meta["device"] == "cpu#0"
    assert rep["device_utilisation"]["devices"][0]["leases"] == 4
    assert rep["device_utilisation"]["devices"][0]["harness"] == "warm"
    # each harness child's log says where its time went
    first = out / rep["candidates"][0]["dir"]
    assert "[akg_harness +" in (first / "verify.log").read_text()
    assert "timing done" in (first / "profile.log").read_text()
    assert "rank" in r.stdout and "device utilisation" in r.stdout
    assert "## Leaderboard" in (out / "report.md").read_text()


def test_adaptive_search_stops_on_its_candidate_budget(run_cli, tmp_path):
    out = tmp_path / "run"
    text = SEARCH_YAML.replace("max_candidates: 4", "max_candidates: 3")
    r = run_cli("op", *CPU_TARGET, "--task", str(EXAMPLES / "relu.py"), "--out", str(out),
                "--workflow", "adaptive_search", *config(tmp_path, text), timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    rep = report(out)
    assert len(rep["candidates"]) == 3
    assert "max_candidates" in rep["stop_reason"]
    assert rep["candidates"][0]["parent"] is None


def test_interrupted_search_resumes_without_redoing_finished_candidates(tmp_path):
    out = tmp_path / "run"
    args = [str(CLI), "op", *CPU_TARGET, "--task", str(EXAMPLES / "relu.py"), "--out", str(out),
            "--workflow", "evolve", *config(tmp_path)]
    p = subprocess.Popen(args, cwd=tmp_path, env=cli_env(), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and not list(out.glob("candidates/*/meta.json")):
        time.sleep(0.5)
    p.send_signal(signal.SIGINT)
    stdout, _ = p.communicate(timeout=60)
    assert p.returncode == 130, stdout
    finished = {m.parent.name: m.stat().st_mtime_ns for m in out.glob("candidates/*/meta.json")}
    assert 1 <= len(finished) < 4

    r = subprocess.run([str(CLI), "op", "--resume", str(out)], cwd=tmp_path, env=cli_env(),
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "resuming" in r.stdout
    rep = report(out)
    assert len(rep["candidates"]) == 4 and rep["verified"] is True
    for cid, mtime in finished.items():  # finished candidates were reused, not rebuilt
        assert (out / "candidates" / cid / "meta.json").stat().st_mtime_ns == mtime


def test_workflow_flag_errors_are_one_line(run_cli, tmp_path):
    r = run_cli("op", *CPU_TARGET, "--task", str(EXAMPLES / "relu.py"), "--kernel", "k.py")
    assert r.returncode == 2 and "only for --workflow verifier_only" in r.stderr
    r = run_cli("op", "--resume", str(tmp_path))
    assert r.returncode == 2 and "not a run folder" in r.stderr
    r = run_cli("op", "--task", str(EXAMPLES / "relu.py"))
    assert r.returncode == 2 and "--backend, --arch and --dsl" in r.stderr
