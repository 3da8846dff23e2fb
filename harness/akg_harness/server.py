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
from typing import Any

PROTOCOL_VERSION = 1
_DRAIN_S = 1.0          # after a child exits, wait this long for its pipes to reach EOF
_TICK_S = 0.25          # longest sleep of the event loop (SIGTERM flag, deadlines)
_CHUNK = 64 * 1024
_PR_SET_PDEATHSIG = 1
_COMMANDS = ("inspect", "verify", "profile", "peaks", "build")
# Variables read once, when the interpreter, the dynamic loader, torch or triton start (e.g.
# TRITON_INTERPRET decides at import how triton.language's own @jit helpers are built). A request
# whose values differ from the server's cannot be served by a fork of it: its child execs a
# fresh `python -m akg_harness` instead (same isolation, cold speed).
_STARTUP_PREFIXES = ("PYTHON", "LD_", "TRITON_INTERPRET", "TORCH", "MALLOC_")
_WARM_MODULES = ("numpy", "torch", "akg_harness.__main__", "akg_harness.inspect_task",
                 "akg_harness.verify", "akg_harness.profile", "akg_harness.peaks",
                 "akg_harness.native", "akg_harness.build", "triton", "triton.language")


class CappedOutput:
    """Keeps at most `cap` bytes of a stream: the first cap/2 and the last cap - cap/2, cut at
    UTF-8 character boundaries (the same rule as the agent's PosixProcessRunner)."""

    def __init__(self, cap: int) -> None:
        self.head_cap = cap // 2
        self.tail_cap = cap - cap // 2
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def append(self, data: bytes) -> None:
        self.total += len(data)
        room = self.head_cap - len(self.head)
        self.head += data[:room]
        self.tail += data[room:] if room > 0 else data
        if len(self.tail) > 2 * self.tail_cap + _CHUNK:
            del self.tail[:len(self.tail) - self.tail_cap]

    @property
    def truncated(self) -> bool:
        return self.total > self.head_cap + self.tail_cap

    def finish(self) -> bytes:
        if not self.truncated:
            return bytes(self.head + self.tail)
        head = bytes(self.head[:_utf8_safe_end(self.head)])
        tail = bytes(self.tail[len(self.tail) - min(len(self.tail), self.tail_cap):])
        tail = tail[_utf8_safe_begin(tail):]
        omitted = self.total - len(head) - len(tail)
        return head + f"\n[... {omitted} bytes omitted ...]\n".encode() + tail


def _is_continuation(byte: int) -> bool:
    return byte & 0xC0 == 0x80


def _utf8_safe_end(data: bytes | bytearray) -> int:
    lead = len(data)
    while lead > 0 and len(data) - lead < 4 and _is_continuation(data[lead - 1]):
        lead -= 1
    if lead == 0:
        return len(data)
    c = data[lead - 1]
    need = 4 if c >= 0xF0 else 3 if c >= 0xE0 else 2 if c >= 0xC0 else 1
    return lead - 1 if lead - 1 + need > len(data) else len(data)


def _utf8_safe_begin(data: bytes) -> int:
    skip = 0
    while skip < len(data) and skip < 3 and _is_continuation(data[skip]):
        skip += 1
    return skip


@dataclass
class Job:
    """One request's child while it runs and until its result line is sent."""

    id: Any
    pid: int
    started: float
    timeout_s: float
    grace_s: float
    out: CappedOutput
    err: CappedOutput
    fresh: bool = False      # the child exec'd a fresh interpreter (startup_vars differ)
    fds: dict[int, str] = field(default_factory=dict)  # open pipe fd -> "out" | "err"
    pidfd: int = -1
    stopping: bool = False   # SIGTERM (or SIGKILL) sent for a timeout or cancel
    killed: bool = False     # SIGKILL sent
    timed_out: bool = False
    cancelled: bool = False
    kill_at: float = 0.0
    status: int | None = None  # wait status once reaped
    usage: Any = None
    wall: float = 0.0
    drain_until: float = 0.0

    def stop(self, now: float, *, cancelled: bool) -> None:
        if self.stopping or self.status is not None:
            return
        self.stopping, self.cancelled, self.timed_out = True, cancelled, not cancelled
        self.kill_at = now + self.grace_s
        _kill_group(self.pid, signal.SIGTERM if self.grace_s > 0 else signal.SIGKILL)
        self.killed = self.grace_s <= 0

    def result_line(self) -> dict[str, Any]:
        st = self.status or 0
        return {
            "event": "result", "id": self.id, "started": True, "pid": self.pid,
            "exit_code": os.WEXITSTATUS(st) if os.WIFEXITED(st) else -1,
            "term_signal": os.WTERMSIG(st) if os.WIFSIGNALED(st) else 0,
            "timed_out": self.timed_out, "cancelled": self.cancelled,
            "stdout_b64": base64.b64encode(self.out.finish()).decode("ascii"),
            "stderr_b64": base64.b64encode(self.err.finish()).decode("ascii"),
            "stdout_truncated": self.out.truncated, "stderr_truncated": self.err.truncated,
            "fresh_interpreter": self.fresh, "wall_s": self.wall,
            "user_cpu_s": self.usage.ru_utime if self.usage else 0.0,
            "sys_cpu_s": self.usage.ru_stime if self.usage else 0.0,
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
    """The event loop: requests in, one child per `run`, events out."""

    def __init__(self, proto_in: int, proto_out: int, original_sigterm: Any) -> None:
        self.proto_in, self.proto_out = proto_in, proto_out
        self.original_sigterm = original_sigterm
        self.startup = startup_vars(os.environ)
        self.selector = selectors.DefaultSelector()
        self.selector.register(proto_in, selectors.EVENT_READ, ("proto", None))
        self.jobs: dict[Any, Job] = {}
        self.inbuf = b""
        self.closing = False     # stdin closed, shutdown asked or SIGTERM: stop every child
        self.sigterm = False

    # --- the channel ---

    def send(self, message: dict[str, Any]) -> None:
        data = (json.dumps(message, allow_nan=False) + "\n").encode()
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self.proto_out, view):]
            except InterruptedError:
                continue
            except (BrokenPipeError, OSError):
                self.closing = True  # nobody listens any more
                return

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
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        cap = int(req.get("max_output_bytes") or 4 << 20)
        fresh = startup_vars(req["env"]) != self.startup
        sys.stdout.flush()
        sys.stderr.flush()
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:
            _child_main(req, out_w, err_w, self.original_sigterm, fresh)  # never returns
        os.close(out_w)
        os.close(err_w)
        job = Job(rid, pid, started, float(req.get("timeout_s") or 0),
                  float(req.get("kill_grace_s", 1.0)), CappedOutput(cap), CappedOutput(cap),
                  fresh=fresh)
        for fd, name in ((out_r, "out"), (err_r, "err")):
            os.set_blocking(fd, False)
            job.fds[fd] = name
            self.selector.register(fd, selectors.EVENT_READ, ("pipe", job))
        try:
            job.pidfd = os.pidfd_open(pid)
            self.selector.register(job.pidfd, selectors.EVENT_READ, ("exit", job))
        except OSError:
            job.pidfd = -1  # no pidfd: exits are polled every tick
        self.jobs[rid] = job
        self.send({"event": "started", "id": rid, "pid": pid})

    def on_pipe(self, job: Job, fd: int) -> None:
        for _ in range(16):  # bounded, so one stream cannot starve the others
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

    def finish(self, job: Job) -> None:
        for fd in list(job.fds):
            self.selector.unregister(fd)
            os.close(fd)
        job.fds.clear()
        del self.jobs[job.id]
        self.send(job.result_line())

    def next_wakeup(self, now: float) -> float:
        wake = now + _TICK_S
        for job in self.jobs.values():
            if job.status is not None:
                wake = min(wake, job.drain_until)
            elif job.pidfd < 0:
                wake = min(wake, now + 0.005)
            elif job.stopping and not job.killed:
                wake = min(wake, job.kill_at)
            elif job.timeout_s > 0:
                wake = min(wake, job.started + job.timeout_s)
        return wake

    def loop(self) -> int:
        while not (self.closing and not self.jobs):
            if self.sigterm:
                self.closing = True
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
                elif kind == "exit":
                    self.reap_if_exited(job)
        return 0


# --- the child: from fork to os._exit ---

def _child_main(req: dict[str, Any], out_w: int, err_w: int, original_sigterm: Any,
                fresh: bool) -> None:
    code = 127
    try:
        _become_isolated(req, out_w, err_w, original_sigterm)
        if fresh:
            argv = [sys.executable, "-m", "akg_harness", req["command"], "--request",
                    req["request"], "--result", req["result"]]
            os.execve(sys.executable, argv, req["env"])
        code = _run_command(req)
    except BaseException:  # noqa: BLE001 - the child must always reach os._exit
        try:
            traceback.print_exc()
            code = 1
        except BaseException:  # noqa: BLE001
            pass
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:  # noqa: BLE001
            pass
        os._exit(code if isinstance(code, int) and 0 <= code < 256 else 1)


def _set_pdeathsig(server_pid: int) -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # the server dies, so do we
    except (OSError, AttributeError):
        pass
    if os.getppid() != server_pid:
        os._exit(127)


def _apply_limits(limits: dict[str, Any]) -> None:
    """The ProcessLimits rules: a limit only lowers what the server has (clamped to its hard
    limit); the CPU limit's hard value is one second above the soft one (SIGXCPU, then
    SIGKILL)."""
    def lower(res: int, soft: int, hard: int) -> None:
        _, current = resource.getrlimit(res)
        if current != resource.RLIM_INFINITY:
            soft, hard = min(soft, current), min(hard, current)
        resource.setrlimit(res, (soft, hard))

    if not limits.get("core_dumps", False):
        lower(resource.RLIMIT_CORE, 0, 0)
    cpu = float(limits.get("cpu_seconds") or 0)
    if cpu > 0:
        seconds = int(-(-cpu // 1))
        lower(resource.RLIMIT_CPU, seconds, seconds + 1)
    memory = int(limits.get("memory_bytes") or 0)
    if memory > 0:
        lower(resource.RLIMIT_AS, memory, memory)
    files = int(limits.get("open_files") or 0)
    if files > 0:
        lower(resource.RLIMIT_NOFILE, files, files)


def _become_isolated(req: dict[str, Any], out_w: int, err_w: int,
                     original_sigterm: Any) -> None:
    server_pid = os.getppid()
    os.setsid()
    _set_pdeathsig(server_pid)
    signal.signal(signal.SIGTERM, original_sigterm)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out_w, 1)
    os.dup2(err_w, 2)
    os.closerange(3, _max_fd())  # the channel, other children's pipes, pidfds, epoll
    _apply_limits(req.get("limits") or {})
    os.chdir(req["cwd"])
    os.environ.clear()
    os.environ.update(req["env"])
    import tempfile
    tempfile.tempdir = None  # re-read TMPDIR from the request's environment
    threads = req["env"].get("OMP_NUM_THREADS", "")
    if threads.isdigit() and int(threads) > 0:
        import torch
        torch.set_num_threads(int(threads))


def _max_fd() -> int:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return 65536 if soft == resource.RLIM_INFINITY else min(soft, 65536)


def _run_command(req: dict[str, Any]) -> int:
    """What `python -m akg_harness CMD --request R --result S` does, in this process."""
    import atexit
    import threading

    from akg_harness.__main__ import main
    argv = [req["command"], "--request", req["request"], "--result", req["result"]]
    sys.argv = [os.path.join(os.path.dirname(__file__), "__main__.py"), *argv]
    try:
        code = main(argv)
    except SystemExit as e:  # argparse, or a candidate's exit outside the guarded calls
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if e.code is not None and not isinstance(e.code, int):
            print(e.code, file=sys.stderr)
    # As at interpreter exit: non-daemon threads are joined, atexit handlers run.
    threading._shutdown()  # type: ignore[attr-defined]
    atexit._run_exitfuncs()
    return code


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


def main() -> int:
    t0 = time.monotonic()
    proto_in, proto_out = _take_channel()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    original_sigterm = signal.getsignal(signal.SIGTERM)
    server = Server(proto_in, proto_out, original_sigterm)
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
