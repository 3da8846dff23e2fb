"""`peaks`: measures this device's peak rates, to fill the agent's per-architecture table.

Bandwidth: a device-to-device copy of a large buffer (`dst.copy_(src)`), counting bytes read
plus bytes written. Matrix throughput: square products `a @ b` of random operands (never
zeros: some units run faster on them) per precision: fp32 with TF32 off, tf32 (CUDA only: TF32
on for cuBLAS), bf16 and fp16. Each rate is the best of `run_times` timed calls after
`warmup_times` untimed ones (a peak is what the unit can reach); the median is reported too.
GPU calls are timed with CUDA events, CPU calls with time.perf_counter.
"""
from __future__ import annotations

import contextlib
import platform
import statistics
import sys
import time
from typing import Any, Callable, Iterator

import torch

from . import child_link
from .devices import resolve

PRECISIONS = ("fp32", "tf32", "bf16", "fp16")
_DTYPES = {"fp32": torch.float32, "tf32": torch.float32, "bf16": torch.bfloat16,
           "fp16": torch.float16}

GPU_COPY_MB = 1024
CPU_COPY_MB = 256
GPU_MATMUL_SIZE = 8192
CPU_MATMUL_START, CPU_MATMUL_MAX = 256, 2048
CPU_CALL_BUDGET_S = 0.25  # CPU sizes double while one product takes less than this


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _timer(device: torch.device) -> Callable[[Callable[[], Any]], float]:
    """Milliseconds of one call; CUDA events on the GPU (the call is the only work queued)."""
    if device.type == "cuda":
        def time_cuda(fn: Callable[[], Any]) -> float:
            torch.cuda.synchronize(device)
            start = torch.cuda.Event(enable_timing=True)
            end = torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            end.synchronize()
            return start.elapsed_time(end)
        return time_cuda

    def time_cpu(fn: Callable[[], Any]) -> float:
        start = time.perf_counter()
        fn()
        return (time.perf_counter() - start) * 1e3
    return time_cpu


def _samples(device: torch.device, fn: Callable[[], Any], warmup: int, runs: int) -> list[float]:
    timer = _timer(device)
    for _ in range(warmup):
        fn()
    return [timer(fn) for _ in range(runs)]


@contextlib.contextmanager
def _tf32(enabled: bool) -> Iterator[None]:
    previous = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = enabled
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32 = previous


def measure_copy(device: torch.device, megabytes: int, warmup: int, runs: int) -> dict[str, Any]:
    numel = max(1, megabytes * 1024 * 1024 // 4)
    src = torch.empty(numel, dtype=torch.float32, device=device).uniform_(-1, 1)
    dst = torch.empty_like(src)
    times = _samples(device, lambda: dst.copy_(src), warmup, runs)
    moved = 2 * src.numel() * src.element_size()
    return {"bytes_moved": moved, "best_ms": min(times), "median_ms": statistics.median(times),
            "bandwidth_gbs": moved / (min(times) * 1e6),
            "median_bandwidth_gbs": moved / (statistics.median(times) * 1e6)}


def _matmul_times(device: torch.device, dtype: torch.dtype, n: int, warmup: int,
                  runs: int) -> list[float]:
    a = torch.randn(n, n, device=device).to(dtype)
    b = torch.randn(n, n, device=device).to(dtype)
    return _samples(device, lambda: a @ b, warmup, runs)


def _cpu_size(dtype: torch.dtype) -> int:
    """The largest power-of-two size up to CPU_MATMUL_MAX whose product fits the budget."""
    n = CPU_MATMUL_START
    while n < CPU_MATMUL_MAX:
        if min(_matmul_times(torch.device("cpu"), dtype, n, 0, 1)) / 1e3 * 8 > CPU_CALL_BUDGET_S:
            break  # the next size up costs about 8x
        n *= 2
    return n


def measure_matmul(device: torch.device, precision: str, size: int | None, warmup: int,
                   runs: int) -> dict[str, Any]:
    if precision == "tf32" and device.type != "cuda":
        return {"tflops": None, "note": "no TF32 on the CPU"}
    dtype = _DTYPES[precision]
    n = size or (GPU_MATMUL_SIZE if device.type == "cuda" else _cpu_size(dtype))
    context = _tf32(precision == "tf32") if device.type == "cuda" else contextlib.nullcontext()
    with context:
        times = _matmul_times(device, dtype, n, warmup, runs)
    flops = 2 * n ** 3
    return {"size": n, "flops": flops, "best_ms": min(times), "median_ms": statistics.median(times),
            "tflops": flops / (min(times) * 1e9),
            "median_tflops": flops / (statistics.median(times) * 1e9)}


def run(request: dict[str, Any]) -> dict[str, Any]:
    """Handles a peaks request; RequestError (no such device) propagates."""
    plan = resolve(request["device"], "peaks")
    device = plan.device
    warmup = 3 if request.get("warmup_times") is None else request["warmup_times"]
    runs = request.get("run_times") or 10
    precisions = PRECISIONS if request.get("precisions") is None else request["precisions"]
    copy_mb = request.get("copy_mb") or (GPU_COPY_MB if device.type == "cuda" else CPU_COPY_MB)
    name = device_name(device)
    print(f"[akg_harness] measuring peaks of {name}", file=sys.stderr)
    child_link.before_timing()
    copy = measure_copy(device, copy_mb, warmup, runs)
    matmul = {p: measure_matmul(device, p, request.get("matmul_size"), warmup, runs)
              for p in precisions}
    tflops = {p: m["tflops"] for p, m in matmul.items()}
    timer = "CUDA events" if device.type == "cuda" else "time.perf_counter"
    return {
        "ok": True, "device_used": plan.device_used, "device_name": name,
        "torch_version": torch.__version__, "cuda_version": torch.version.cuda,
        "threads": torch.get_num_threads(),
        "bandwidth_gbs": copy["bandwidth_gbs"], "tflops": tflops,
        "source": f"measured by akg_harness peaks on {name} (torch {torch.__version__})",
        "peaks": {"bandwidth_gbs": copy["bandwidth_gbs"], "tflops": tflops},
        "method": {
            "bandwidth": f"dst.copy_(src) of {copy_mb} MiB float32, bytes read + written, "
                         f"best of {runs} calls after {warmup} warm-up calls, {timer}",
            "matmul": f"a @ b on square random operands, 2*n^3 FLOPs, best of {runs} calls "
                      f"after {warmup} warm-up calls, {timer}; fp32 with TF32 off, tf32 with "
                      "torch.backends.cuda.matmul.allow_tf32 on (CUDA only)",
        },
        "details": {"copy": copy, "matmul": matmul},
    }
