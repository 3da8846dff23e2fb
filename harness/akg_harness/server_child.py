"""The warm server's children, from fork to `os._exit` (docs/HARNESS_PROTOCOL.md, "Warm
server"): a child forked for one request, or a prepared child, forked ahead of its request,
which starts CUDA in the server's environment, says so and waits for a request line.

Either becomes what a cold `python -m akg_harness CMD` process would be: own session and
process group, the request's limits, working folder and complete environment, stdout/stderr to
the server's pipes, every other fd closed but its two link pipes (akg_harness.child_link).
"""
from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys
import traceback
from typing import Any, NoReturn

from akg_harness import child_link

_PR_SET_PDEATHSIG = 1


def child_main(req: dict[str, Any], pipes: tuple[int, int, int, int], original_sigterm: Any,
               fresh: bool) -> NoReturn:
    """A child forked for `req`. pipes: stdout, stderr, status (to the server), control
    (from it)."""
    code = 127
    try:
        _detach(pipes, original_sigterm)
        _take_request(req)
        if fresh:
            argv = [sys.executable, "-m", "akg_harness", req["command"], "--request",
                    req["request"], "--result", req["result"]]
            os.execve(sys.executable, argv, req["env"])  # the link pipes close on exec
        code = _run_command(req)
    except BaseException:  # noqa: BLE001 - the child must always reach os._exit
        code = _report_crash()
    _exit(code)


def prepared_main(pipes: tuple[int, int, int, int], env: dict[str, str],
                  original_sigterm: Any, start_cuda: bool) -> NoReturn:
    """A child forked before its request: starts CUDA (when asked) in `env` (the environment
    its request will have but for HOME and TMPDIR), then serves the one request line the
    server sends, or exits quietly if none comes."""
    code = 127
    try:
        _detach(pipes, original_sigterm)
        os.environ.clear()
        os.environ.update(env)
        ok = _start_cuda() if start_cuda else True
        child_link.say_ready(ok)
        line = child_link.read_line()
        if not line:
            os._exit(0)  # dismissed: the server is closing or has no use for this child
        req = json.loads(line)
        child_link.start_counting_cpu()
        _take_request(req, cpu_already=child_link.cpu_seconds_so_far())
        code = _run_command(req)
    except BaseException:  # noqa: BLE001 - the child must always reach os._exit
        code = _report_crash()
    _exit(code)


def _start_cuda() -> bool:
    """What a fresh child's first CUDA call costs (0.3 s on an H100, more while a process on
    another GPU does the same): the driver, the device's primary context, torch's CUDA state.
    Nothing of it stays allocated."""
    try:
        import torch
        if not torch.cuda.is_available():  # e.g. Triton's interpreter on a machine without one
            return True
        torch.cuda.init()
        torch.zeros(1, device="cuda")
        torch.cuda.synchronize()
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
        return True
    except Exception:  # noqa: BLE001 - the request then starts CUDA itself, or fails as it would
        print("akg_harness prepared child: CUDA did not start ahead of the request:\n"
              + traceback.format_exc(), file=sys.stderr, flush=True)
        return False


def _report_crash() -> int:
    try:
        traceback.print_exc()
    except BaseException:  # noqa: BLE001
        pass
    return 1


def _exit(code: Any) -> NoReturn:
    code = code if isinstance(code, int) and 0 <= code < 256 else 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        child_link.announce_exit(code)
    except BaseException:  # noqa: BLE001
        pass
    os._exit(code)


def _set_pdeathsig(server_pid: int) -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # the server dies, so do we
    except (OSError, AttributeError):
        pass
    if os.getppid() != server_pid:
        os._exit(127)


def _apply_limits(limits: dict[str, Any], cpu_already: float = 0.0) -> None:
    """The ProcessLimits rules: a limit only lowers what the server has (clamped to its hard
    limit); the CPU limit's hard value is one second above the soft one (SIGXCPU, then
    SIGKILL). `cpu_already`: seconds a prepared child spent before its request, not charged."""
    def lower(res: int, soft: int, hard: int) -> None:
        _, current = resource.getrlimit(res)
        if current != resource.RLIM_INFINITY:
            soft, hard = min(soft, current), min(hard, current)
        resource.setrlimit(res, (soft, hard))

    if not limits.get("core_dumps", False):
        lower(resource.RLIMIT_CORE, 0, 0)
    cpu = float(limits.get("cpu_seconds") or 0)
    if cpu > 0:
        seconds = int(-(-(cpu + cpu_already) // 1))
        lower(resource.RLIMIT_CPU, seconds, seconds + 1)
    memory = int(limits.get("memory_bytes") or 0)
    if memory > 0:
        lower(resource.RLIMIT_AS, memory, memory)
    files = int(limits.get("open_files") or 0)
    if files > 0:
        lower(resource.RLIMIT_NOFILE, files, files)


def _detach(pipes: tuple[int, int, int, int], original_sigterm: Any) -> None:
    """Own session, death with the server, default signals; fd 0 /dev/null, 1 and 2 the output
    pipes, the link pipes kept, every other fd (the channel, other children's pipes, pidfds,
    epoll) closed."""
    out_w, err_w, status_w, control_r = pipes
    server_pid = os.getppid()
    os.setsid()
    _set_pdeathsig(server_pid)
    signal.signal(signal.SIGTERM, original_sigterm)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out_w, 1)
    os.dup2(err_w, 2)
    keep = sorted({status_w, control_r})
    low = 3
    for fd in keep:
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, _max_fd())
    child_link.attach(status_w, control_r)


def _take_request(req: dict[str, Any], cpu_already: float = 0.0) -> None:
    _apply_limits(req.get("limits") or {}, cpu_already)
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
