"""The warm server's isolation guarantees: each request's child is what a cold harness process
would be (own session, rlimits, cwd, exact environment, temp folder), a timeout kills the
child's whole group, crashes and garbage become outcomes, and the server survives them all (or,
when a child kills the server, takes its children with it)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from akg_harness.server_client import ServerDied, WarmServer
from conftest import HARNESS_DIR, verify_request

SERVER_ONLY = "AKG_SERVER_ONLY_SETTING"


def base_env(home: Path) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(HARNESS_DIR),
            "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1", "HOME": str(home),
            "TMPDIR": str(home), "AKG_KERNEL_CACHE": os.environ["AKG_KERNEL_CACHE"]}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("server_home")
    env = {**base_env(home), SERVER_ONLY: "server-value"}
    with WarmServer(sys.executable, env) as s:
        yield s


class Call:
    """One request's folder: request.json, result.json, tmp/ and the child's environment."""

    def __init__(self, root: Path, request: dict[str, Any]) -> None:
        self.folder = root
        (root / "tmp").mkdir(parents=True, exist_ok=True)
        self.request = root / "request.json"
        self.result = root / "result.json"
        self.request.write_text(json.dumps(request))
        self.env = base_env(root)
        self.env["TMPDIR"] = str(root / "tmp")

    def run(self, server: WarmServer, command: str = "inspect", **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("env", self.env)
        return server.run(command, str(self.request), str(self.result), cwd=str(self.folder),
                          **kwargs)

    def result_json(self) -> dict[str, Any] | None:
        return json.loads(self.result.read_text()) if self.result.exists() else None


def task_call(root: Path, body: str) -> Call:
    """A call that inspects a task file whose import runs `body` (the misbehaviour under test)."""
    task = root / "task.py"
    root.mkdir(parents=True, exist_ok=True)
    task.write_text(textwrap.dedent(body) + textwrap.dedent("""
        import torch
        class Model(torch.nn.Module):
            def forward(self, x):
                return x + 1
        def get_inputs():
            return [torch.ones(4)]
        def get_init_inputs():
            return []
        """))
    return Call(root, {"task_path": str(task), "device": "cpu", "seed": 0})


def run_in_parallel(server: WarmServer, calls: list[Call]) -> list[dict[str, Any]]:
    """Runs every call at once, each from its own thread; their outcomes in the order they end."""
    results: list[dict[str, Any]] = []
    threads = [threading.Thread(target=lambda c=c: results.append(c.run(server, timeout_s=60)))
               for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purposes
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_dead(pid: int, seconds: float = 5) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_server_is_ready_without_cuda_or_extra_python_threads(server: WarmServer) -> None:
    ready = server.ready
    assert ready["protocol"] == 1 and ready["pid"] == server.proc.pid
    with open(f"/proc/{server.proc.pid}/maps") as f:
        assert "libcuda.so" not in f.read()
    # fork copies only the calling thread: no Python thread may exist besides it (native pools
    # such as OpenBLAS's register their own fork handlers).
    assert ready["python_threads"] == 1


def test_verify_through_the_server_matches_a_cold_child(server: WarmServer,
                                                        tmp_path: Path) -> None:
    request = verify_request("relu_task.py", "relu_cpp.py", trials=2)
    warm = Call(tmp_path / "warm", request)
    outcome = warm.run(server, "verify", timeout_s=120)
    assert outcome["exit_code"] == 0 and not outcome["timed_out"], outcome["stderr"]
    cold = Call(tmp_path / "cold", request)
    proc = subprocess.run([sys.executable, "-m", "akg_harness", "verify", "--request",
                           str(cold.request), "--result", str(cold.result)], cwd=cold.folder,
                          env=cold.env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    w, c = warm.result_json(), cold.result_json()
    assert w["verdict"] == c["verdict"] == "passed"
    strip = ("reference_cached",)
    assert [{k: v for k, v in t.items() if k not in strip} for t in w["trials"]] == \
           [{k: v for k, v in t.items() if k not in strip} for t in c["trials"]]
    assert w["runtime_proof"] == c["runtime_proof"]


def test_child_sees_only_the_request_environment_cwd_and_temp_folder(server: WarmServer,
                                                                     tmp_path: Path) -> None:
    out = tmp_path / "probe.json"
    call = task_call(tmp_path, f"""
        import json, os, tempfile
        json.dump({{"env": dict(os.environ), "cwd": os.getcwd(),
                    "tmp": tempfile.gettempdir(), "home": os.path.expanduser("~")}},
                  open({str(out)!r}, "w"))
        """)
    call.env["OPENAI_API_KEY_FAKE"] = "x"  # what the request says is what the child gets
    outcome = call.run(server, timeout_s=60)
    assert outcome["exit_code"] == 0, outcome["stderr"]
    probe = json.loads(out.read_text())
    assert SERVER_ONLY not in probe["env"]
    assert probe["env"] == call.env
    assert probe["cwd"] == str(call.folder)
    assert probe["tmp"] == call.env["TMPDIR"] and probe["home"] == str(call.folder)


def test_child_runs_in_its_own_session_with_the_requested_limits(server: WarmServer,
                                                                  tmp_path: Path) -> None:
    out = tmp_path / "probe.json"
    call = task_call(tmp_path, f"""
        import json, os, resource
        json.dump({{"pid": os.getpid(), "sid": os.getsid(0), "pgid": os.getpgid(0),
                    "core": resource.getrlimit(resource.RLIMIT_CORE),
                    "cpu": resource.getrlimit(resource.RLIMIT_CPU),
                    "files": resource.getrlimit(resource.RLIMIT_NOFILE),
                    "fds": sorted(int(f) for f in os.listdir("/proc/self/fd"))}},
                  open({str(out)!r}, "w"))
        """)
    outcome = call.run(server, timeout_s=60,
                       limits={"cpu_seconds": 30.5, "open_files": 256, "core_dumps": False})
    assert outcome["exit_code"] == 0, outcome["stderr"]
    probe = json.loads(out.read_text())
    assert probe["sid"] == probe["pid"] == probe["pgid"] == outcome["pid"]
    assert probe["sid"] != os.getsid(server.proc.pid)
    assert probe["core"] == [0, 0]
    assert probe["cpu"] == [31, 32]
    assert probe["files"] == [256, 256]
    # stdin, stdout, stderr, the probe file itself and whatever the child opened since: never
    # the server's channel, whose fds were inherited by nobody.
    assert max(probe["fds"]) < 256


def test_start_up_variables_that_differ_get_a_fresh_interpreter(server: WarmServer,
                                                                 tmp_path: Path) -> None:
    out = tmp_path / "probe.json"
    body = f"""
        import json, os, sys
        json.dump({{"interpret": os.environ.get("TRITON_INTERPRET"),
                    "modules": len(sys.modules)}}, open({str(out)!r}, "w"))
        """
    same = task_call(tmp_path / "same", body)
    outcome = same.run(server, timeout_s=120)
    assert outcome["exit_code"] == 0 and outcome["fresh_interpreter"] is False
    warm_modules = json.loads(out.read_text())["modules"]
    # TRITON_INTERPRET is read when triton is imported: a fork of this server (imported without
    # it) would run Triton compiled, so the child execs `python -m akg_harness` instead.
    differs = task_call(tmp_path / "differs", body)
    differs.env["TRITON_INTERPRET"] = "1"
    outcome = differs.run(server, timeout_s=120)
    assert outcome["exit_code"] == 0 and outcome["fresh_interpreter"] is True, outcome["stderr"]
    probe = json.loads(out.read_text())
    assert probe["interpret"] == "1" and probe["modules"] < warm_modules  # triton not loaded
    assert differs.result_json()["ok"] is True


def test_cpu_limit_stops_a_busy_child(server: WarmServer, tmp_path: Path) -> None:
    call = task_call(tmp_path, "while True:\n    pass\n")
    outcome = call.run(server, timeout_s=60, limits={"cpu_seconds": 1})
    assert outcome["term_signal"] in (signal.SIGXCPU, signal.SIGKILL)
    assert not outcome["timed_out"] and outcome["user_cpu_s"] + outcome["sys_cpu_s"] >= 0.9


def test_timeout_kills_the_whole_group_including_a_grandchild_that_ignores_sigterm(
        server: WarmServer, tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    call = task_call(tmp_path, f"""
        import subprocess, time
        g = subprocess.Popen(["sh", "-c", "trap '' TERM; while true; do sleep 0.1; done"])
        open({str(pid_file)!r}, "w").write(str(g.pid))
        time.sleep(1000)
        """)
    started = time.monotonic()
    outcome = call.run(server, timeout_s=2, kill_grace_s=0.5)
    assert outcome["timed_out"] and outcome["term_signal"] in (signal.SIGTERM, signal.SIGKILL)
    assert 2.0 <= outcome["wall_s"] < 5 and time.monotonic() - started < 10
    assert wait_dead(int(pid_file.read_text()))
    assert call.result_json() is None and server.alive()


@pytest.mark.parametrize("body,check", [
    ("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n",
     lambda o: o["term_signal"] == signal.SIGSEGV),
    ("import os\nos._exit(7)\n", lambda o: o["exit_code"] == 7),
    ("import os\nos.killpg(0, 9)\n", lambda o: o["term_signal"] == signal.SIGKILL),
    ("import os, sys\nsys.stdout.buffer.write(os.urandom(300000)); sys.stdout.flush()\n"
     "os.closerange(0, 1024)\nos._exit(0)\n", lambda o: len(o["stdout"]) > 1000),
])
def test_crashes_and_garbage_become_outcomes_and_the_server_lives_on(
        server: WarmServer, tmp_path: Path, body: str, check) -> None:
    call = task_call(tmp_path, body)
    outcome = call.run(server, timeout_s=60)
    assert outcome["started"] and not outcome["timed_out"]
    assert check(outcome), outcome
    assert call.result_json() is None and server.alive()
    again = task_call(tmp_path / "again", "")  # the channel still answers requests
    assert again.run(server, timeout_s=60)["exit_code"] == 0


def test_output_beyond_the_cap_keeps_head_and_tail(server: WarmServer, tmp_path: Path) -> None:
    call = task_call(tmp_path, "print('HEAD' + 'x' * 100000 + 'TAIL')\n")
    outcome = call.run(server, timeout_s=60, max_output_bytes=1000)
    assert outcome["stdout_truncated"]
    assert outcome["stdout"].startswith("HEAD") and outcome["stdout"].rstrip().endswith("TAIL")
    assert "bytes omitted" in outcome["stdout"] and len(outcome["stdout"]) < 1100


def test_bad_requests_are_refused_without_starting_anything(server: WarmServer,
                                                            tmp_path: Path) -> None:
    call = Call(tmp_path, {})
    outcome = call.run(server, "format_disk")
    assert outcome["started"] is False and "unknown command" in outcome["start_error"]
    outcome = server.run("inspect", str(call.request), str(call.result),
                         cwd=str(tmp_path / "missing"), env=call.env)
    assert outcome["started"] is False and "working folder" in outcome["start_error"]
    server.send({"op": "nonsense"})
    server.proc.stdin.write(b"not json\n")
    server.proc.stdin.flush()
    assert task_call(tmp_path / "after", "").run(server, timeout_s=60)["exit_code"] == 0


def test_requests_run_concurrently_and_cancel_stops_one(server: WarmServer,
                                                        tmp_path: Path) -> None:
    slow = task_call(tmp_path / "slow", "import time\ntime.sleep(1000)\n")
    rid = server.submit("inspect", str(slow.request), str(slow.result), cwd=str(slow.folder),
                        env=slow.env, timeout_s=300)
    server.event(rid, "started", 30)
    results = run_in_parallel(server, [task_call(tmp_path / f"fast{i}", "") for i in range(2)])
    assert [r["exit_code"] for r in results] == [0, 0]
    server.cancel(rid)
    outcome = server.wait(rid, 30)
    assert outcome["cancelled"] and not outcome["timed_out"]


def test_closing_stdin_stops_children_and_the_server(tmp_path: Path) -> None:
    server = WarmServer(sys.executable, base_env(tmp_path))
    pid_file = tmp_path / "grandchild.pid"
    call = task_call(tmp_path / "c", f"""
        import subprocess, time
        g = subprocess.Popen(["sleep", "1000"])
        open({str(pid_file)!r}, "w").write(str(g.pid))
        time.sleep(1000)
        """)
    rid = server.submit("inspect", str(call.request), str(call.result), cwd=str(call.folder),
                        env=call.env, timeout_s=300, kill_grace_s=0.5)
    child = server.event(rid, "started", 30)["pid"]
    deadline = time.monotonic() + 30
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    started = time.monotonic()
    assert server.close(timeout_s=10) == 0
    assert time.monotonic() - started < 5
    assert wait_dead(child) and wait_dead(int(pid_file.read_text()))
    assert server.wait(rid, 1)["cancelled"]


def test_a_child_that_kills_the_server_takes_its_children_along(tmp_path: Path) -> None:
    server = WarmServer(sys.executable, base_env(tmp_path))
    pid_file = tmp_path / "child.pid"
    call = task_call(tmp_path / "c", f"""
        import os, time
        open({str(pid_file)!r}, "w").write(str(os.getpid()))
        os.kill(os.getppid(), 9)
        time.sleep(1000)
        """)
    rid = server.submit("inspect", str(call.request), str(call.result), cwd=str(call.folder),
                        env=call.env, timeout_s=300)
    with pytest.raises(ServerDied):
        server.wait(rid, 60)
    assert server.proc.wait(10) == -signal.SIGKILL
    assert wait_dead(int(pid_file.read_text()))  # PR_SET_PDEATHSIG
    server.close()


def test_sigterm_to_the_server_stops_it_and_its_children(tmp_path: Path) -> None:
    server = WarmServer(sys.executable, base_env(tmp_path))
    call = task_call(tmp_path / "c", "import time\ntime.sleep(1000)\n")
    rid = server.submit("inspect", str(call.request), str(call.result), cwd=str(call.folder),
                        env=call.env, timeout_s=300, kill_grace_s=0.2)
    child = server.event(rid, "started", 30)["pid"]
    os.kill(server.proc.pid, signal.SIGTERM)
    assert server.wait(rid, 10)["cancelled"]
    assert server.proc.wait(10) == 0 and wait_dead(child)
    server.close()


def test_server_that_cannot_import_its_modules_says_so(tmp_path: Path) -> None:
    env = {**base_env(tmp_path), "PYTHONPATH": str(tmp_path)}  # no akg_harness there
    with pytest.raises(RuntimeError, match="did not start"):
        WarmServer(sys.executable, env, start_timeout_s=60)
