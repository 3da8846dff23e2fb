"""What a fresh harness child pays before it can run a kernel on the GPU: CUDA context creation
in a new process and in a child forked from a process that imported torch (the warm harness's
zygote), each with and without another process holding a context on the same device (a
"keeper"), plus the first Triton launch from a warm on-disk cache.

python bench/gpu/cuda_start_probe.py   (prints one JSON object)
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

FRESH = ("import time; t=time.monotonic(); import torch; i=time.monotonic()-t; "
         "t=time.monotonic(); torch.zeros(1, device='cuda'); torch.cuda.synchronize(); "
         "print(i, time.monotonic()-t)")

TRITON = r'''
import time, torch, triton, triton.language as tl
@triton.jit
def k(x, y, n, B: tl.constexpr):
    o = tl.program_id(0) * B + tl.arange(0, B); m = o < n
    tl.store(y + o, tl.load(x + o, mask=m) * 2, mask=m)
x = torch.randn(1 << 20, device="cuda"); y = torch.empty_like(x); torch.cuda.synchronize()
t = time.monotonic(); k[(x.numel() // 1024,)](x, y, x.numel(), B=1024); torch.cuda.synchronize()
print(time.monotonic() - t)
'''


def fresh() -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", FRESH], capture_output=True, text=True, check=True)
    a, b = out.stdout.split()
    return float(a), float(b)


def forked() -> tuple[float, float]:
    """torch imported here once (no CUDA); each forked child creates its context."""
    import torch
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        t = time.monotonic()
        torch.cuda.is_available()
        a = time.monotonic() - t
        t = time.monotonic()
        torch.zeros(1, device="cuda")
        torch.cuda.synchronize()
        os.write(w, f"{a} {time.monotonic() - t}".encode())
        os._exit(0)
    os.close(w)
    a, b = os.read(r, 128).split()
    os.waitpid(pid, 0)
    return float(a), float(b)


def triton_first_launch(cache: str) -> float:
    env = {**os.environ, "TRITON_CACHE_DIR": cache}
    script = os.path.join(cache, "probe_kernel.py")
    with open(script, "w") as f:
        f.write(TRITON)
    out = subprocess.run([sys.executable, script], capture_output=True, text=True,
                         check=True, env=env)
    return float(out.stdout.split()[-1])


def main() -> None:
    result: dict[str, object] = {}
    result["fresh_no_keeper"] = [fresh() for _ in range(3)]
    keeper = subprocess.Popen([sys.executable, "-c",
                               "import torch, time; torch.zeros(1, device='cuda'); "
                               "torch.cuda.synchronize(); print('up', flush=True); time.sleep(600)"],
                              stdout=subprocess.PIPE, text=True)
    keeper.stdout.readline()
    result["fresh_with_keeper"] = [fresh() for _ in range(3)]
    keeper.kill()
    keeper.wait()
    time.sleep(2)
    result["forked_no_keeper"] = [forked() for _ in range(3)]
    print(json.dumps(result), flush=True)  # the part above survives a failure below
    with tempfile.TemporaryDirectory() as cache:
        result["triton_first_launch_cold_cache_s"] = triton_first_launch(cache)
        result["triton_first_launch_warm_cache_s"] = [triton_first_launch(cache) for _ in range(2)]
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
