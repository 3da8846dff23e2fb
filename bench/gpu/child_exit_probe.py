"""Where a warm harness child's time goes outside its own elapsed-time notes on a GPU: the
server's fork, the child's CUDA start, and the exit (CUDA context teardown) before the server can
reap it. A process that imported torch and triton and primed as the warm server does (its
import and priming seconds are reported too) forks children like the server's; each child
optionally starts CUDA and runs one small op, optionally runs the atexit handlers, then
os._exit()s. Times are CLOCK_MONOTONIC, shared by parent and child.

python bench/gpu/child_exit_probe.py [--trials 10]        prints one JSON object
CUDA_VISIBLE_DEVICES=1 python bench/gpu/child_exit_probe.py   (run two at once for contention)
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.getcwd(), "harness"))


def child(mode: str, w: int) -> None:
    import torch
    t_start = time.monotonic()
    if mode != "no_cuda":
        x = torch.ones(1 << 20, device="cuda")
        float((x * 2).sum())
    t_ready = time.monotonic()
    if mode == "cuda_atexit":
        import atexit
        atexit._run_exitfuncs()
    t_exit = time.monotonic()
    os.write(w, json.dumps([t_start, t_ready, t_exit]).encode())
    os.close(w)
    os._exit(0)


def trial(mode: str) -> dict[str, float]:
    r, w = os.pipe()
    t_fork = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            child(mode, w)
        finally:
            os._exit(1)
    os.close(w)
    data = b""
    while chunk := os.read(r, 4096):
        data += chunk
    t_eof = time.monotonic()
    os.waitpid(pid, 0)
    t_reaped = time.monotonic()
    os.close(r)
    t_start, t_ready, t_exit = json.loads(data)
    return {"fork_to_child_s": t_start - t_fork, "cuda_start_s": t_ready - t_start,
            "atexit_s": t_exit - t_ready, "exit_to_pipe_eof_s": t_eof - t_exit,
            "exit_to_reaped_s": t_reaped - t_exit, "total_s": t_reaped - t_fork}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=10)
    args = ap.parse_args()
    out: dict[str, object] = {"visible": os.environ.get("CUDA_VISIBLE_DEVICES", "")}
    t = time.monotonic()
    import torch  # noqa: F401
    out["import_torch_s"] = time.monotonic() - t
    t = time.monotonic()
    import triton  # noqa: F401
    out["import_triton_s"] = time.monotonic() - t
    from akg_harness import server
    t = time.monotonic()
    server._prime()
    out["prime_s"] = time.monotonic() - t
    for mode in ("no_cuda", "cuda", "cuda_atexit"):
        rows = [trial(mode) for _ in range(args.trials)]
        out[mode] = {k: round(statistics.median(r[k] for r in rows), 4) for k in rows[0]}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
