"""The warm server's prepared children, quiet timing and announced exits
(docs/HARNESS_PROTOCOL.md, "Prepared children, quiet timing, announced exits"): a child forked
before its request serves it exactly as a child forked for it would; a child about to time gets
the device only when no other child may use it; a child's announced exit answers its request
without waiting for the process's teardown. `--prepare fork` exercises all of it without a GPU
(the CUDA start itself is covered by tests/test_cuda.py on a GPU machine)."""
from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

import pytest
import torch

from akg_harness.server_client import WarmServer
from conftest import profile_request, verify_request
from test_server import Call, base_env, pid_alive, run_in_parallel, task_call, wait_dead


@pytest.fixture()
def server(tmp_path: Path):
    home = tmp_path / "server_home"
    home.mkdir()
    with WarmServer(sys.executable, base_env(home), args=("--prepare", "fork")) as s:
        yield s


def children(server: WarmServer) -> list[int]:
    """The server's living child processes."""
    with open(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children") as f:
        return [p for p in map(int, f.read().split()) if pid_alive(p)]


def wait_until(predicate, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


PROBE = """
    import json, os, resource
    json.dump({{"pid": os.getpid(), "sid": os.getsid(0), "cwd": os.getcwd(),
                "env": dict(os.environ), "cpu": resource.getrlimit(resource.RLIMIT_CPU),
                "files": resource.getrlimit(resource.RLIMIT_NOFILE),
                "fds": sorted(int(f) for f in os.listdir("/proc/self/fd"))}},
              open({out!r}, "w"))
    """


def test_a_prepared_child_serves_the_next_request_as_a_forked_child_would(
        server: WarmServer, tmp_path: Path) -> None:
    outcomes, probes = [], []
    for i in range(3):
        out = tmp_path / f"probe{i}.json"
        call = task_call(tmp_path / f"c{i}", PROBE.format(out=str(out)))
        outcomes.append(call.run(server, timeout_s=60,
                                 limits={"cpu_seconds": 30.5, "open_files": 256}))
        assert outcomes[-1]["exit_code"] == 0, outcomes[-1]["stderr"]
        assert call.result_json()["ok"] is True
        probes.append((call, json.loads(out.read_text())))
    # The first request taught the server what to prepare; the next ones found it ready.
    assert [o["prepared"] for o in outcomes] == [False, True, True]
    assert all(o["exit_announced"] for o in outcomes)
    for (call, probe), outcome in zip(probes, outcomes):
        assert probe["env"] == call.env  # HOME and TMPDIR are the call's, not the server's
        assert probe["cwd"] == str(call.folder)
        assert probe["sid"] == probe["pid"] == outcome["pid"]
        assert probe["cpu"][0] in (31, 32) and probe["cpu"][1] == probe["cpu"][0] + 1
        assert probe["files"] == [256, 256]
        assert max(probe["fds"]) < 256
    assert wait_until(lambda: len(children(server)) == 2)  # two prepared again


def test_a_request_whose_environment_differs_gets_a_child_forked_for_it(
        server: WarmServer, tmp_path: Path) -> None:
    assert task_call(tmp_path / "first", "").run(server, timeout_s=60)["exit_code"] == 0
    assert wait_until(lambda: len(children(server)) == 2)
    out = tmp_path / "probe.json"
    call = task_call(tmp_path / "c", PROBE.format(out=str(out)))
    call.env["EXTRA_SETTING"] = "x"
    outcome = call.run(server, timeout_s=60)
    assert outcome["exit_code"] == 0 and outcome["prepared"] is False
    assert json.loads(out.read_text())["env"]["EXTRA_SETTING"] == "x"


def test_a_prepared_child_is_timed_out_and_its_group_killed(server: WarmServer,
                                                             tmp_path: Path) -> None:
    assert task_call(tmp_path / "first", "").run(server, timeout_s=60)["exit_code"] == 0
    call = task_call(tmp_path / "slow", "import time\ntime.sleep(1000)\n")
    outcome = call.run(server, timeout_s=2, kill_grace_s=0.2)
    assert outcome["prepared"] and outcome["timed_out"] and outcome["term_signal"] > 0
    assert not outcome["exit_announced"]
    assert wait_dead(outcome["pid"])


def quiet_call(root: Path, before: str = "", after: str = "") -> Call:
    """A child that asks for the device to itself and writes when it got it (and the answer)."""
    return task_call(root, f"""
        import json, time
        from akg_harness import child_link
        {before}
        answer = child_link.wait_for_quiet()
        json.dump({{"answer": answer, "at": time.time()}}, open({str(root / "quiet.json")!r}, "w"))
        {after}
        """)


def test_quiet_waits_until_no_other_child_may_use_the_device(server: WarmServer,
                                                            tmp_path: Path) -> None:
    busy = task_call(tmp_path / "busy", f"""
        import time
        time.sleep(1.5)
        open({str(tmp_path / "busy.end")!r}, "w").write(repr(time.time()))
        """)
    rid = server.submit("inspect", str(busy.request), str(busy.result), cwd=str(busy.folder),
                        env=busy.env, timeout_s=60)
    server.event(rid, "started", 30)
    timed = quiet_call(tmp_path / "timed")
    assert timed.run(server, timeout_s=60)["exit_code"] == 0
    assert server.wait(rid, 60)["exit_code"] == 0
    quiet = json.loads((tmp_path / "timed" / "quiet.json").read_text())
    assert quiet["answer"] == "go"
    assert quiet["at"] >= float((tmp_path / "busy.end").read_text())


def test_a_child_that_sees_no_gpu_does_not_hold_up_quiet(server: WarmServer,
                                                        tmp_path: Path) -> None:
    build = task_call(tmp_path / "build", "import time\ntime.sleep(1000)\n")
    build.env["CUDA_VISIBLE_DEVICES"] = ""  # as the agent's CPU-side builds run
    rid = server.submit("inspect", str(build.request), str(build.result),
                        cwd=str(build.folder), env=build.env, timeout_s=300)
    server.event(rid, "started", 30)
    started = time.monotonic()
    assert quiet_call(tmp_path / "timed").run(server, timeout_s=60)["exit_code"] == 0
    assert time.monotonic() - started < 20  # far below the 30 s after which it is "late"
    assert json.loads((tmp_path / "timed" / "quiet.json").read_text())["answer"] == "go"
    server.cancel(rid)
    assert server.wait(rid, 30)["cancelled"]


def test_no_child_is_prepared_while_one_has_the_device_to_itself(server: WarmServer,
                                                                tmp_path: Path) -> None:
    assert task_call(tmp_path / "first", "").run(server, timeout_s=60)["exit_code"] == 0
    assert wait_until(lambda: len(children(server)) == 2)
    release = tmp_path / "release"
    timed = quiet_call(tmp_path / "timed", after=f"""
        import os
        while not os.path.exists({str(release)!r}):
            time.sleep(0.02)
        """)
    rid = server.submit("inspect", str(timed.request), str(timed.result), cwd=str(timed.folder),
                        env=timed.env, timeout_s=60)
    assert wait_until(lambda: (tmp_path / "timed" / "quiet.json").exists())
    before = set(children(server))  # the timing child and two prepared ones
    assert len(before) == 3
    # Another request takes a prepared child and ends: none is prepared in its place while the
    # timing child runs.
    short = task_call(tmp_path / "short", "").run(server, timeout_s=60)
    assert short["exit_code"] == 0 and short["prepared"] and short["pid"] in before
    time.sleep(0.3)
    assert set(children(server)) == before - {short["pid"]}
    release.write_text("")
    outcome = server.wait(rid, 60)
    assert outcome["exit_code"] == 0 and outcome["prepared"]
    assert wait_until(lambda: len(children(server)) == 2)


def test_an_announced_exit_is_answered_with_everything_the_child_wrote(
        server: WarmServer, tmp_path: Path) -> None:
    pid_file = tmp_path / "escaped.pid"
    # A grandchild in a session of its own (out of reach of the group kill) keeps the output
    # pipes open: without the announcement the server would wait for them to close.
    call = task_call(tmp_path / "c", f"""
        import subprocess, sys
        g = subprocess.Popen(["sleep", "30"], start_new_session=True)
        open({str(pid_file)!r}, "w").write(str(g.pid))
        print("x" * 200000)
        print("last line", flush=True)
        """)
    started = time.monotonic()
    outcome = call.run(server, timeout_s=60)
    try:
        assert outcome["exit_code"] == 0 and outcome["exit_announced"]
        assert outcome["stdout"].rstrip().endswith("last line")
        assert time.monotonic() - started < 25  # not after the grandchild's 30 s
    finally:
        os.kill(int(pid_file.read_text()), 9)


def test_a_child_killed_by_a_signal_is_reported_as_reaped(server: WarmServer,
                                                         tmp_path: Path) -> None:
    call = task_call(tmp_path / "c", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n")
    outcome = call.run(server, timeout_s=60)
    assert outcome["term_signal"] == 9 and outcome["exit_code"] == -1
    assert not outcome["exit_announced"]


def test_garbage_on_the_link_changes_nothing(server: WarmServer, tmp_path: Path) -> None:
    call = task_call(tmp_path / "c", """
        import os
        from akg_harness import child_link
        os.write(child_link._LINK["status"], b"x not-json\\nr ok\\nnonsense\\n")
        """)
    outcome = call.run(server, timeout_s=60)
    assert outcome["exit_code"] == 0 and outcome["exit_announced"]
    assert call.result_json()["ok"] is True


def test_requests_in_parallel_each_get_their_own_child(server: WarmServer,
                                                      tmp_path: Path) -> None:
    calls = [task_call(tmp_path / f"c{i}", "import time\ntime.sleep(0.3)\n") for i in range(5)]
    results = run_in_parallel(server, calls)
    assert sorted(r["exit_code"] for r in results) == [0] * 5
    assert len({r["pid"] for r in results}) == 5


def test_the_cuda_mode_prepares_nothing_for_cpu_requests(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with WarmServer(sys.executable, base_env(home)) as server:  # the default: --prepare cuda
        for i in range(2):
            outcome = task_call(tmp_path / f"c{i}", "").run(server, timeout_s=60)
            assert outcome["exit_code"] == 0 and not outcome["prepared"]
        time.sleep(0.3)
        assert children(server) == []


def test_verify_and_profile_through_prepared_children_on_the_cpu(server: WarmServer,
                                                               tmp_path: Path) -> None:
    outcomes = []
    for i in range(2):
        for command, request in (
                ("verify", verify_request("relu_task.py", "relu_cpp.py")),
                ("profile", profile_request("relu_task.py", "relu_cpp.py"))):
            call = Call(tmp_path / f"{command}{i}", request)
            outcomes.append(call.run(server, command, timeout_s=120))
            assert outcomes[-1]["exit_code"] == 0, outcomes[-1]["stderr"]
            result = call.result_json()
            assert result.get("verdict", "passed") == "passed" and result.get("ok", True)
    assert [o["prepared"] for o in outcomes] == [False, True, True, True]
    assert "may still use the device" not in "".join(o["stderr"] for o in outcomes)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_prepared_children_start_cuda_before_their_requests(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {**base_env(home), "CUDA_VISIBLE_DEVICES": os.environ.get("CUDA_VISIBLE_DEVICES", "0")}
    with WarmServer(sys.executable, env) as server:  # the default: --prepare cuda
        outcomes = []
        for i in range(2):
            for command, request in (
                    ("verify", verify_request("relu_task.py", "relu_triton.py", device="cuda",
                                              dsl="triton_cuda")),
                    ("profile", profile_request("relu_task.py", "relu_triton.py",
                                                device="cuda", dsl="triton_cuda"))):
                call = Call(tmp_path / f"{command}{i}", request)
                call.env["CUDA_VISIBLE_DEVICES"] = env["CUDA_VISIBLE_DEVICES"]
                outcomes.append(call.run(server, command, timeout_s=300))
                assert outcomes[-1]["exit_code"] == 0, outcomes[-1]["stderr"]
                result = call.result_json()
                assert result.get("verdict", "passed") == "passed" and result.get("ok", True)
                assert result.get("device_used", "cuda") == "cuda"
        assert [o["prepared"] for o in outcomes] == [False, True, True, True]
        logs = "".join(o["stderr"] for o in outcomes)
        assert "did not start ahead" not in logs and "may still use the device" not in logs
        assert "prepared child failed" not in server.stderr()


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def test_a_closing_server_reaps_children_still_exiting(tmp_path: Path) -> None:
    """The last child's CPU time reaches the server's (and so the agent's) accounting: the
    server reaps what is still exiting before it exits itself. The child tears down 1 GiB, so it
    is usually still exiting when the server is told to close right after the answer."""
    def server_cpu(body: str, folder: Path) -> float:
        home = folder / "home"
        home.mkdir(parents=True)
        before = _children_cpu()
        with WarmServer(sys.executable, base_env(home), args=("--prepare", "off")) as server:
            outcome = task_call(folder / "c", body).run(server, timeout_s=60)
            assert outcome["exit_code"] == 0 and outcome["exit_announced"], outcome["stderr"]
        return _children_cpu() - before

    idle = server_cpu("", tmp_path / "idle")
    busy = server_cpu("""
        import time
        ballast = bytearray(1 << 30)
        t = time.process_time()
        while time.process_time() - t < 3:
            pass
        """, tmp_path / "busy")
    assert busy - idle > 2.0
