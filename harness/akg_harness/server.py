"""The warm harness worker: `python -m akg_harness.server` (docs/HARNESS_PROTOCOL.md, "Warm
server").

A zygote. It imports torch, numpy, triton and every harness command once, then answers JSON
lines on its stdin: each `run` request forks a child that becomes exactly what a cold
`python -m akg_harness CMD --request R --result S` process would be (own session, rlimits, cwd,
complete environment from the request, stdout/stderr to pipes) and runs the same command code.
The server relays the child's output, enforces the timeout on the child's whole process group
(SIGTERM, grace, SIGKILL), reaps it and answers one `result` line with what a ProcessRunner
reports: exit code, signal, timed_out, cancelled, captured output, wall and CPU times.

  stdin  (fd 0, moved to a private fd)  ──requests──▶  event loop (selectors: epoll)
  stdout (fd 1, moved to a private fd)  ◀──events───   ├─ fork per request ─▶ child
  fd 1 and fd 2 of the server itself: stderr (its own diagnostics, never the channel)

Nothing that runs candidate or task code ever runs in the server, and CUDA is never
initialised in it (CUDA does not survive fork); children start from the same pristine image.
The server exits when its stdin closes (the agent died or shut it down), after stopping every
child it started.
"""
from __future__ import annotations

import argparse
import base64
import ctypes
import json
import os
import resource
import selectors
import signal
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

from akg_harness import server_child
from akg_harness.capped_output import CappedOutput
from akg_harness.child_link import write_all

PROTOCOL_VERSION = 1
_DRAIN_S = 1.0          # after a child exits, wait this long for its pipes to reach EOF
_TICK_S = 0.25          # longest sleep of the event loop (SIGTERM flag, deadlines)
_CHUNK = 64 * 1024
_DEFAULT_CAP = 4 << 20  # bytes of output kept per stream when a request does not say
_COMMANDS = ("inspect", "verify", "profile", "peaks", "build")
_TIMED_COMMANDS = ("profile", "peaks")  # no child is prepared while one of these runs
# Prepared children (forked before their request, CUDA started in the server's environment):
# how many are kept, and after how many failed preparations the server stops preparing.
PREPARE_MODES = ("cuda", "fork", "off")
_PREPARED_DEPTH = 2     # a verify's and the profile's after it
_PREPARE_FAILURES = 2
_PER_CALL_VARS = ("HOME", "TMPDIR")  # may differ between a prepared child's and its request's
_MAX_HANDED_LINE = 60 * 1024  # a request line a prepared child is sent (less than a pipe holds)
_QUIET_WAIT_S = 30.0    # a child that asked for quiet is answered `late` after this
# Variables read once, when the interpreter, the dynamic loader, torch or triton start (e.g.
# TRITON_INTERPRET decides at import how triton.language's own @jit helpers are built). A request
# whose values differ from the server's cannot be served by a fork of it: its child execs a
# fresh `python -m akg_harness` instead (same isolation, cold speed).
_STARTUP_PREFIXES = ("PYTHON", "LD_", "TRITON_INTERPRET", "TORCH", "MALLOC_")
_WARM_MODULES = ("numpy", "torch", "akg_harness.__main__", "akg_harness.inspect_task",
                 "akg_harness.verify", "akg_harness.profile", "akg_harness.peaks",
                 "akg_harness.native", "akg_harness.build", "triton", "triton.language")


@dataclass
class Job:
    """One child: a request's while it runs and until its result line is sent, or a prepared
    child (`id` None) waiting for a request."""

    id: Any
    pid: int
    started: float
    timeout_s: float
    grace_s: float
    out: CappedOutput
    err: CappedOutput
    command: str = ""
    fresh: bool = False      # the child exec'd a fresh interpreter (startup_vars differ)
    gpu: bool = True         # its environment shows a GPU (a build's does not)
    prepared: bool = False   # served by a child prepared before its request
    fds: dict[int, str] = field(default_factory=dict)  # open pipe fd -> "out" | "err"
    pidfd: int = -1
    status_fd: int = -1      # the child's link: what it tells the server (child_link)
    control_fd: int = -1     # ... and what the server tells it
    status_buf: bytes = b""
    ready: bool = False      # a prepared child said its preparation is over
    quiet_since: float | None = None  # asked for the device to itself (before timing)
    quiet: bool = False      # ... and was answered
    announced: dict[str, Any] | None = None  # exit status the child told before exiting
    stopping: bool = False   # SIGTERM (or SIGKILL) sent for a timeout or cancel
    killed: bool = False     # SIGKILL sent
    timed_out: bool = False
    cancelled: bool = False
    kill_at: float = 0.0
    status: int | None = None  # wait status once reaped
    usage: Any = None
    wall: float = 0.0
    drain_until: float = 0.0

    @property
    def running(self) -> bool:
        """The process is (as far as the server knows) still doing its command."""
        return self.status is None and self.announced is None

    def stop(self, now: float, *, cancelled: bool) -> None:
        if self.stopping or not self.running:
            return
        self.stopping, self.cancelled, self.timed_out = True, cancelled, not cancelled
        self.kill_at = now + self.grace_s
        _kill_group(self.pid, signal.SIGTERM if self.grace_s > 0 else signal.SIGKILL)
        self.killed = self.grace_s <= 0

    def result_line(self) -> dict[str, Any]:
        st = self.status or 0
        told = self.announced
        if told is not None:
            exit_code, term_signal = int(told.get("code", 1)), 0
            user, sys_cpu = float(told.get("user_cpu_s", 0.0)), float(told.get("sys_cpu_s", 0.0))
        else:
            exit_code = os.WEXITSTATUS(st) if os.WIFEXITED(st) else -1
            term_signal = os.WTERMSIG(st) if os.WIFSIGNALED(st) else 0
            user = self.usage.ru_utime if self.usage else 0.0
            sys_cpu = self.usage.ru_stime if self.usage else 0.0
        return {
            "event": "result", "id": self.id, "started": True, "pid": self.pid,
            "exit_code": exit_code, "term_signal": term_signal,
            "timed_out": self.timed_out, "cancelled": self.cancelled,
            "stdout_b64": base64.b64encode(self.out.finish()).decode("ascii"),
            "stderr_b64": base64.b64encode(self.err.finish()).decode("ascii"),
            "stdout_truncated": self.out.truncated, "stderr_truncated": self.err.truncated,
            "fresh_interpreter": self.fresh, "prepared": self.prepared,
            "exit_announced": told is not None, "wall_s": self.wall,
            "user_cpu_s": user, "sys_cpu_s": sys_cpu,
        }


def _kill_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def startup_vars(env: dict[str, str] | os._Environ) -> dict[str, str]:
    return {k: v for k, v in env.items() if k.startswith(_STARTUP_PREFIXES)}


class RequestInvalid(Exception):
    """A `run` request the server cannot start; becomes `started: false`."""


def _check_run(req: dict[str, Any]) -> None:
    if req.get("command") not in _COMMANDS:
        raise RequestInvalid(f"unknown command {req.get('command')!r}; use one of {_COMMANDS}")
    for key in ("request", "result", "cwd"):
        value = req.get(key)
        if not isinstance(value, str) or not os.path.isabs(value):
            raise RequestInvalid(f"'{key}' must be an absolute path")
    if not os.path.isdir(req["cwd"]):
        raise RequestInvalid(f"cannot enter working folder '{req['cwd']}': no such folder")
    env = req.get("env")
    if not isinstance(env, dict) or not all(
            isinstance(k, str) and k and "=" not in k and isinstance(v, str)
            for k, v in env.items()):
        raise RequestInvalid("'env' must be an object of variable names to strings")
    for key in ("timeout_s", "kill_grace_s"):
        if not isinstance(req.get(key, 0), (int, float)) or req.get(key, 0) < 0:
            raise RequestInvalid(f"'{key}' must be a number >= 0")


class Server:
    """The event loop: requests in, one child per `run` (forked then, or prepared before),
    events out."""

    def __init__(self, proto_in: int, proto_out: int, original_sigterm: Any,
                 prepare: str = "cuda") -> None:
        self.proto_in, self.proto_out = proto_in, proto_out
        self.original_sigterm = original_sigterm
        self.startup = startup_vars(os.environ)
        self.selector = selectors.DefaultSelector()
        self.selector.register(proto_in, selectors.EVENT_READ, ("proto", None))
        self.jobs: dict[Any, Job] = {}
        self.prepare = prepare   # PREPARE_MODES; "off" after repeated failures
        # The environment of the first request a prepared child could have served: prepared
        # children start in it (with the server's own HOME and TMPDIR) and serve the requests
        # whose environment is the same but for those.
        self.model_env: dict[str, str] | None = None
        self.model_key: dict[str, str] | None = None  # model_env without the per-call variables
        self.prepared: list[Job] = []
        self.exiting: list[Job] = []  # announced their exit, not reaped yet
        self.prepare_failures = 0
        self.inbuf = b""
        self.closing = False     # stdin closed, shutdown asked or SIGTERM: stop every child
        self.sigterm = False

    # --- the channel ---

    def send(self, message: dict[str, Any]) -> None:
        try:
            write_all(self.proto_out, (json.dumps(message, allow_nan=False) + "\n").encode())
        except OSError:
            self.closing = True  # nobody listens any more

    def on_input(self) -> None:
        try:
            chunk = os.read(self.proto_in, _CHUNK)
        except InterruptedError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self.selector.unregister(self.proto_in)
            self.closing = True
            return
        self.inbuf += chunk
        while b"\n" in self.inbuf:
            line, self.inbuf = self.inbuf.split(b"\n", 1)
            if line.strip():
                self.on_line(line)

    def on_line(self, line: bytes) -> None:
        try:
            req = json.loads(line)
            if not isinstance(req, dict):
                raise ValueError("not an object")
        except ValueError as e:
            self.send({"event": "error", "message": f"unreadable request line: {e}"})
            return
        op = req.get("op")
        if op == "run":
            self.start(req)
        elif op == "cancel":
            job = self.jobs.get(req.get("id"))
            if job is not None:
                job.stop(time.monotonic(), cancelled=True)
        elif op == "shutdown":
            self.closing = True
        elif op == "ping":
            self.send({"event": "pong", "id": req.get("id")})
        else:
            self.send({"event": "error", "id": req.get("id"), "message": f"unknown op {op!r}"})

    # --- children ---

    def start(self, req: dict[str, Any]) -> None:
        rid = req.get("id")
        if self.closing:
            self.send({"event": "result", "id": rid, "started": False, "cancelled": True,
                       "start_error": "the harness server is shutting down"})
            return
        try:
            _check_run(req)
            if rid in self.jobs:
                raise RequestInvalid(f"request id {rid!r} is already running")
        except RequestInvalid as e:
            self.send({"event": "result", "id": rid, "started": False, "start_error": str(e)})
            return
        fresh = startup_vars(req["env"]) != self.startup
        if (self.model_env is None and not fresh and self.prepare != "off"
                and (self.prepare == "fork" or (_sees_a_gpu(req["env"])
                                               and _asks_for_cuda(req["request"])))):
            self.model_env = req["env"]  # what prepared children will start in
            self.model_key = _call_independent(self.model_env)
        servable = (self.model_key is not None and not fresh
                    and _call_independent(req["env"]) == self.model_key)
        job = self.hand_over(req) if servable else None
        if job is None:
            job = self.spawn(lambda pipes: server_child.child_main(
                req, pipes, self.original_sigterm, fresh))
            job.fresh = fresh
            self.assign(job, req, time.monotonic())
        self.jobs[rid] = job
        self.send({"event": "started", "id": rid, "pid": job.pid})
        self.fill_prepared()

    def spawn(self, child: Callable[[tuple[int, int, int, int]], Any]) -> Job:
        """Forks `child(pipes)` (it never returns) with its output pipes and link."""
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        status_r, status_w = os.pipe()
        control_r, control_w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:
            child((out_w, err_w, status_w, control_r))  # never returns
        for fd in (out_w, err_w, status_w, control_r):
            os.close(fd)
        job = Job(None, pid, started, 0.0, 1.0, CappedOutput(_DEFAULT_CAP),
                  CappedOutput(_DEFAULT_CAP), status_fd=status_r, control_fd=control_w)
        for fd, name in ((out_r, "out"), (err_r, "err")):
            os.set_blocking(fd, False)
            job.fds[fd] = name
            self.selector.register(fd, selectors.EVENT_READ, ("pipe", job))
        os.set_blocking(status_r, False)
        self.selector.register(status_r, selectors.EVENT_READ, ("status", job))
        try:
            job.pidfd = os.pidfd_open(pid)
            self.selector.register(job.pidfd, selectors.EVENT_READ, ("exit", job))
        except OSError:
            job.pidfd = -1  # no pidfd: exits are polled every tick
        return job

    @staticmethod
    def assign(job: Job, req: dict[str, Any], now: float) -> None:
        cap = int(req.get("max_output_bytes") or _DEFAULT_CAP)
        out, err = CappedOutput(cap), CappedOutput(cap)
        out.append(job.out.finish())  # what a prepared child printed while it waited
        err.append(job.err.finish())
        job.id, job.command, job.started, job.out, job.err = req.get("id"), req["command"], now, out, err
        job.timeout_s = float(req.get("timeout_s") or 0)
        job.grace_s = float(req.get("kill_grace_s", 1.0))
        job.gpu = _sees_a_gpu(req["env"])

    # --- prepared children ---

    def hand_over(self, req: dict[str, Any]) -> Job | None:
        """Gives `req` to a prepared child (a ready one first); None when there is none."""
        if not self.prepared:
            return None
        line = (json.dumps(req) + "\n").encode()
        if len(line) > _MAX_HANDED_LINE:
            return None
        for job in sorted(self.prepared, key=lambda j: not j.ready):
            self.prepared.remove(job)
            try:
                write_all(job.control_fd, line)  # fits the empty pipe: never blocks
            except OSError:  # it died meanwhile: its exit is reaped as a prepared child's
                self.exiting.append(job)
                continue
            job.prepared = True
            self.assign(job, req, time.monotonic())
            return job
        return None

    def fill_prepared(self) -> None:
        """Keeps _PREPARED_DEPTH children prepared, but never starts one while a child times
        or waits to (a CUDA start on the device would disturb its numbers)."""
        if self.prepare == "off" or self.model_env is None or self.closing:
            return
        if any(j.running and (j.command in _TIMED_COMMANDS or j.quiet_since is not None)
               for j in self.jobs.values()):
            return
        env = {**self.model_env, **{k: os.environ[k] for k in _PER_CALL_VARS if k in os.environ}}
        start_cuda = self.prepare == "cuda"
        while len(self.prepared) < _PREPARED_DEPTH:
            self.prepared.append(self.spawn(lambda pipes: server_child.prepared_main(
                pipes, env, self.original_sigterm, start_cuda)))

    def dismiss_prepared(self) -> None:
        for job in self.prepared:
            _kill_group(job.pid, signal.SIGKILL)
            self.exiting.append(job)
        self.prepared.clear()

    # --- a child's link: ready, quiet, announced exit ---

    def on_status(self, job: Job) -> None:
        try:
            chunk = os.read(job.status_fd, _CHUNK)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        if not chunk:
            self.selector.unregister(job.status_fd)
            os.close(job.status_fd)
            job.status_fd = -1
            return
        job.status_buf += chunk
        while b"\n" in job.status_buf:
            line, job.status_buf = job.status_buf.split(b"\n", 1)
            self.on_status_line(job, line.decode(errors="replace").strip())

    def on_status_line(self, job: Job, line: str) -> None:
        word, _, rest = line.partition(" ")
        if word == "r" and job.id is None:
            job.ready = True
            if rest != "ok":
                self.prepare_failed("its CUDA did not start (its log says why)")
        elif word == "q" and job.id is not None and job.running:
            job.quiet_since = time.monotonic()
        elif word == "x" and job.id is not None and job.running and not job.stopping:
            try:
                told = json.loads(rest)
                int(told["code"])
            except (ValueError, KeyError, TypeError):
                return  # garbage (a candidate may write here too): the reaped status decides
            job.announced = told
            self.announce(job)
        self.check_quiet(time.monotonic())

    def prepare_failed(self, why: str) -> None:
        self.prepare_failures += 1
        if self.prepare_failures == _PREPARE_FAILURES and self.prepare != "off":
            self.prepare = "off"
            print(f"akg_harness server: a prepared child failed {_PREPARE_FAILURES} times "
                  f"({why}); every request now gets a child forked for it", file=sys.stderr,
                  flush=True)

    def announce(self, job: Job) -> None:
        """The child told its exit status: whatever it left in its group dies, what it wrote is
        read, and the result goes out while the process's exit goes on (reaped later)."""
        _kill_group(job.pid, signal.SIGKILL)  # the unreaped leader still holds the group id
        for fd in list(job.fds):
            self.on_pipe(job, fd, bounded=False)
        job.wall = time.monotonic() - job.started
        self.exiting.append(job)
        self.finish(job)

    def check_quiet(self, now: float) -> None:
        """Answers children waiting to time: `go` once no other child may be using the device
        (a running request's, a prepared child still starting, one still exiting), `late` after
        _QUIET_WAIT_S. Earlier askers go first."""
        for job in self.jobs.values():
            if job.quiet_since is None or job.quiet or not job.running:
                continue
            busy = any(o is not job and o.gpu and o.running and not _waits_behind(o, job)
                       for o in self.jobs.values())
            busy = busy or any(o.gpu for o in self.exiting) or any(
                not p.ready for p in self.prepared)
            late = now >= job.quiet_since + _QUIET_WAIT_S
            if busy and not late:
                continue
            job.quiet = True
            try:
                os.write(job.control_fd, b"late\n" if busy else b"go\n")
            except OSError:
                pass

    # --- output, exits, deadlines ---

    def on_pipe(self, job: Job, fd: int, bounded: bool = True) -> None:
        reads = 0
        while not bounded or reads < 16:  # bounded, so one stream cannot starve the others
            reads += 1
            try:
                data = os.read(fd, _CHUNK)
            except BlockingIOError:
                return
            except InterruptedError:
                continue
            except OSError:
                data = b""
            if not data:
                self.selector.unregister(fd)
                os.close(fd)
                del job.fds[fd]
                return
            (job.out if job.fds[fd] == "out" else job.err).append(data)

    def reap_if_exited(self, job: Job) -> None:
        if job.status is not None:
            return
        try:
            info = os.waitid(os.P_PID, job.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            info = True
        if info is None:
            return
        # Whatever the child left in its group dies with it; the unreaped leader still holds
        # the group id, so it cannot have been reused.
        _kill_group(job.pid, signal.SIGKILL)
        try:
            _, job.status, job.usage = os.wait4(job.pid, 0)
        except ChildProcessError:  # reaped elsewhere: nothing is known about how it ended
            job.status, job.usage = 0, None
        now = time.monotonic()
        job.wall = now - job.started
        job.drain_until = now + _DRAIN_S
        if job.pidfd >= 0:
            self.selector.unregister(job.pidfd)
            os.close(job.pidfd)
            job.pidfd = -1
        if job in self.prepared:  # died before any request reached it
            self.prepared.remove(job)
            if not job.ready:
                self.prepare_failed(f"it ended before it was ready: {job.err.finish()[-500:]!r}")
            self.exiting.append(job)
        if job in self.exiting:
            self.exiting.remove(job)
            self.close_fds(job)
            self.check_quiet(now)
            self.fill_prepared()

    def check_deadlines(self, now: float) -> None:
        for job in list(self.jobs.values()):
            if job.status is None:
                if self.closing:
                    job.stop(now, cancelled=True)
                elif job.timeout_s > 0 and now - job.started >= job.timeout_s:
                    job.stop(now, cancelled=False)
                if job.stopping and not job.killed and now >= job.kill_at:
                    _kill_group(job.pid, signal.SIGKILL)
                    job.killed = True
                if job.pidfd < 0:
                    self.reap_if_exited(job)
            if job.status is not None and (not job.fds or now >= job.drain_until):
                self.finish(job)
        for job in list(self.exiting) + list(self.prepared):
            if job.pidfd < 0:
                self.reap_if_exited(job)
        self.check_quiet(now)

    def close_fds(self, job: Job) -> None:
        for fd in list(job.fds):
            self.selector.unregister(fd)
            os.close(fd)
        job.fds.clear()
        if job.status_fd >= 0:
            self.selector.unregister(job.status_fd)
            os.close(job.status_fd)
            job.status_fd = -1
        if job.control_fd >= 0:
            os.close(job.control_fd)
            job.control_fd = -1

    def finish(self, job: Job) -> None:
        self.close_fds(job)  # a child still exiting keeps its pidfd until it is reaped
        del self.jobs[job.id]
        self.send(job.result_line())
        self.fill_prepared()

    def next_wakeup(self, now: float) -> float:
        wake = now + _TICK_S
        for job in self.jobs.values():
            if job.quiet_since is not None and not job.quiet:
                wake = min(wake, job.quiet_since + _QUIET_WAIT_S)
            if job.status is not None:
                wake = min(wake, job.drain_until)
            elif job.pidfd < 0:
                wake = min(wake, now + 0.005)
            elif job.stopping and not job.killed:
                wake = min(wake, job.kill_at)
            elif job.timeout_s > 0:
                wake = min(wake, job.started + job.timeout_s)
        if any(j.pidfd < 0 for j in self.exiting + self.prepared):
            wake = min(wake, now + 0.005)
        return wake

    def loop(self) -> int:
        while not (self.closing and not self.jobs):
            if self.sigterm:
                self.closing = True
            if self.closing:
                self.dismiss_prepared()
            now = time.monotonic()
            self.check_deadlines(now)
            if self.closing and not self.jobs:
                break
            timeout = max(0.0, self.next_wakeup(time.monotonic()) - time.monotonic())
            for key, _ in self.selector.select(timeout):
                kind, job = key.data
                if kind == "proto":
                    self.on_input()
                elif kind == "pipe" and key.fd in job.fds:
                    self.on_pipe(job, key.fd)
                elif kind == "status" and key.fd == job.status_fd:
                    self.on_status(job)
                elif kind == "exit" and key.fd == job.pidfd:
                    self.reap_if_exited(job)
        # Children still exiting (and dismissed prepared ones) are reaped before the server
        # exits: their CPU time counts in the server's, their device memory is free once it is
        # gone, and none is left for init to reap.
        self.dismiss_prepared()
        for job in self.exiting:
            _kill_group(job.pid, signal.SIGKILL)
            try:
                os.waitpid(job.pid, 0)
            except ChildProcessError:
                pass
        return 0


def _waits_behind(other: Job, job: Job) -> bool:
    """`other` asked for quiet after `job` and is still blocked waiting: it does nothing."""
    return (other.quiet_since is not None and not other.quiet
            and job.quiet_since is not None and other.quiet_since >= job.quiet_since)


def _call_independent(env: Any) -> dict[str, str]:
    """The environment without what differs between calls of one agent (each child's own
    folder): a prepared child, started in the server's environment, may serve a request whose
    environment is the same but for these."""
    return {k: v for k, v in env.items() if k not in _PER_CALL_VARS}


def _sees_a_gpu(env: dict[str, str]) -> bool:
    return env.get("CUDA_VISIBLE_DEVICES") not in ("", "-1")


def _asks_for_cuda(request_path: str) -> bool:
    try:
        with open(request_path, encoding="utf-8") as f:
            return json.load(f).get("device") == "cuda"
    except (OSError, ValueError, AttributeError):
        return False


# --- start-up ---

def _take_channel() -> tuple[int, int]:
    """Moves stdin/stdout to private fds: fd 0 becomes /dev/null, fd 1 a copy of stderr."""
    proto_in = os.dup(0)
    proto_out = os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    for fd in (proto_in, proto_out):
        os.set_inheritable(fd, False)
    return proto_in, proto_out


def _warm() -> list[str]:
    """Imports everything a command needs; returns the modules that are missing."""
    import importlib
    missing = []
    for name in _WARM_MODULES:
        try:
            importlib.import_module(name)
        except ImportError as e:
            if name in ("numpy", "torch") or name.startswith("akg_harness"):
                raise
            missing.append(f"{name} ({e})")
    return missing


def _prime() -> list[str]:
    """Work every child would otherwise repeat, done once here without touching CUDA: the
    FLOP counter's lazy imports (torch._dynamo, sympy, ...: seconds per profile child), Triton's
    hash of its own sources (its cache key), then gc.freeze() so children's collections skip
    the warmed heap (and leave its pages shared). Returns what failed; nothing here is fatal."""
    import gc
    problems = []
    try:
        import torch

        from akg_harness import sol
        sol.count_work(torch.nn.Linear(4, 4), [torch.ones(2, 4)], "cpu")
    except Exception as e:  # noqa: BLE001 - a child then pays for it, nothing worse
        problems.append(f"FLOP counter warm-up ({type(e).__name__}: {e})")
    try:
        from triton.runtime.cache import triton_key
        triton_key()
    except Exception as e:  # noqa: BLE001 - older or newer Triton without it
        problems.append(f"triton_key ({type(e).__name__}: {e})")
    gc.collect()
    gc.freeze()
    return problems


_CUDA_ERROR_NOT_INITIALIZED = 3


def _cuda_initialised() -> bool:
    """True when a forked child could not use CUDA: torch initialised it, or the driver
    library is loaded and cuInit has run (a loaded but uninitialised driver is harmless, and
    answers CUDA_ERROR_NOT_INITIALIZED to any call)."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_initialized():
        return True
    with open("/proc/self/maps", encoding="utf-8", errors="replace") as f:
        if not any("libcuda.so" in line for line in f):
            return False
    try:
        lib = ctypes.CDLL("libcuda.so.1", mode=os.RTLD_NOLOAD | os.RTLD_LAZY)
        count = ctypes.c_int(0)
        return lib.cuDeviceGetCount(ctypes.byref(count)) != _CUDA_ERROR_NOT_INITIALIZED
    except (OSError, AttributeError):  # mapped under another name: assume the worst
        return True


def main(argv: list[str] | None = None) -> int:
    t0 = time.monotonic()
    parser = argparse.ArgumentParser(prog="python -m akg_harness.server")
    parser.add_argument("--prepare", choices=PREPARE_MODES, default="cuda",
                        help="children forked ahead of their requests: 'cuda' (default) once a "
                             "request for the cuda device came, with CUDA started; 'fork' for "
                             "every request, nothing started; 'off'")
    args = parser.parse_args(argv)
    proto_in, proto_out = _take_channel()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    original_sigterm = signal.getsignal(signal.SIGTERM)
    server = Server(proto_in, proto_out, original_sigterm, args.prepare)
    try:
        missing = _warm()
        missing += _prime()
    except BaseException as e:  # noqa: BLE001 - report, then exit
        server.send({"event": "failed", "message": f"{type(e).__name__}: {e}",
                     "log": traceback.format_exc()})
        print(traceback.format_exc(), file=sys.stderr)
        return 1
    if _cuda_initialised():
        server.send({"event": "failed", "message": "CUDA was initialised while warming up; "
                     "a forked child could not use it"})
        return 1

    def on_sigterm(signum: int, frame: Any) -> None:
        server.sigterm = True

    signal.signal(signal.SIGTERM, on_sigterm)
    import threading

    import torch
    server.send({"event": "ready", "protocol": PROTOCOL_VERSION, "pid": os.getpid(),
                 "python": sys.version.split()[0], "torch": torch.__version__,
                 "python_threads": threading.active_count(),
                 "native_threads": len(os.listdir("/proc/self/task")), "missing": missing,
                 "warm_s": time.monotonic() - t0})
    return server.loop()


if __name__ == "__main__":
    sys.exit(main())
