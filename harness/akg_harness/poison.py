"""Poisons the memory a candidate call allocates, so output it never writes shows up.

`poisoned(device, expected_outputs)` wraps a candidate call (best effort; an output that keeps
a poison pattern where the reference does not is `unwritten_output`):
- CUDA: the caching allocator's unused blocks are released, then per expected output a block
  of its size is allocated, filled with a NaN whose bits are the harness's own (`POISON_BITS`)
  and freed; the candidate's allocations of those sizes pick these blocks.
- CPU with glibc: during the call malloc fills every block it hands out with 0x7F bytes
  (`mallopt(M_PERTURB)`, glibc's documented debugging aid), and blocks small enough for
  glibc's per-thread cache, which skips the perturbation, are first sprayed with the NaN
  pattern. Since glibc 2.38 torch's aligned allocations (`posix_memalign(64, n)`) also take an
  already aligned block of n's exact size from that cache, unperturbed; so the spray also takes
  every such block out with `posix_memalign`, fills it with the pattern and gives it back.
  float32 0x7F7F7F7F is 3.4e38, float16 0x7F7F a NaN: no honest result. Other CPUs: the CUDA
  recipe without the cache release.
"""
from __future__ import annotations

import contextlib
import ctypes
import platform
from typing import Any, Iterator

import torch

from . import values

# dtype -> (integer view of the same width, the pattern: a quiet NaN with a fixed payload).
POISON_BITS: dict[torch.dtype, tuple[torch.dtype, int]] = {
    torch.float32: (torch.int32, 0x7FE5A5A5),
    torch.complex64: (torch.int32, 0x7FE5A5A5),
    torch.float64: (torch.int64, 0x7FFCA5A5A5A5A5A5),
    torch.complex128: (torch.int64, 0x7FFCA5A5A5A5A5A5),
    torch.float16: (torch.int16, 0x7EA5),
    torch.bfloat16: (torch.int16, 0x7FE5),
}
_OTHER = (torch.uint8, 0xFF)  # narrow floats: NaN; integers: -1
_INT_VIEWS = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}
PERTURB_BYTE = 0x80        # glibc fills allocations with PERTURB_BYTE ^ 0xFF = 0x7F
_M_PERTURB = -6
_TCACHE_BYTES = 1032       # glibc's per-thread cache serves requests up to this size (64-bit)
_SPRAY_COPIES = 16         # more than that cache holds per size (7)
_ALIGN_SLACK = 96          # posix_memalign(64, n) asks the heap for chunk(n) + 64 + 32 bytes
_TORCH_ALIGNMENT = 64      # c10's CPU allocator: posix_memalign(64, n)
_state: dict[str, Any] = {"libc": None, "probed": False}


def pattern_for(dtype: torch.dtype) -> tuple[torch.dtype, int]:
    return POISON_BITS.get(dtype, _OTHER)


def _as_view_value(view_dtype: torch.dtype, bits: int) -> int:
    """The pattern as a value of the (signed, except uint8) integer view dtype."""
    width = torch.empty((), dtype=view_dtype).element_size()
    signed = view_dtype != torch.uint8
    return bits - 2 ** (8 * width) if signed and bits >= 2 ** (8 * width - 1) else bits


def fill(block: torch.Tensor, dtype: torch.dtype) -> None:
    """Fills a uint8 block with dtype's poison pattern (the tail that does not fit stays)."""
    view_dtype, bits = pattern_for(dtype)
    width = torch.empty((), dtype=view_dtype).element_size()
    usable = block.numel() // width * width
    if usable:
        block[:usable].view(view_dtype).fill_(_as_view_value(view_dtype, bits))


def is_poison(t: torch.Tensor) -> torch.Tensor:
    """A bool mask of t's shape: elements whose bits are exactly a poison pattern."""
    view_dtype, bits = pattern_for(t.dtype)
    parts = torch.view_as_real(t) if t.is_complex() else t
    width = parts.element_size()
    ints = parts.contiguous().view(_INT_VIEWS[width])
    perturbed = int.from_bytes(bytes([PERTURB_BYTE ^ 0xFF]) * width, "little")
    mask = ints == _as_view_value(_INT_VIEWS[width], perturbed)
    if torch.empty((), dtype=view_dtype).element_size() == width:
        mask |= ints == _as_view_value(view_dtype, bits)
    return mask.any(dim=-1) if t.is_complex() else mask


def _libc() -> Any:
    """glibc through ctypes, or None elsewhere."""
    if not _state["probed"]:
        _state["probed"] = True
        if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
            try:
                libc = ctypes.CDLL(None)
                libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
                libc.free.restype, libc.free.argtypes = None, [ctypes.c_void_p]
                libc.mallopt.restype, libc.mallopt.argtypes = ctypes.c_int, [ctypes.c_int] * 2
                libc.posix_memalign.restype = ctypes.c_int
                libc.posix_memalign.argtypes = [ctypes.POINTER(ctypes.c_void_p),
                                                ctypes.c_size_t, ctypes.c_size_t]
                _state["libc"] = libc
            except (OSError, AttributeError):
                pass
    return _state["libc"]


def _spray_small(libc: Any, nbytes: int, dtype: torch.dtype) -> None:
    size = ((nbytes + 8 + 15) & ~15) + _ALIGN_SLACK  # glibc's chunk size for n, plus slack
    view_dtype, bits = pattern_for(dtype)
    width = torch.empty((), dtype=view_dtype).element_size()
    data = (bits.to_bytes(width, "little") * (size // width + 1))[:size]
    pointers = []
    for _ in range(_SPRAY_COPIES):
        p = libc.malloc(size)
        if p:
            ctypes.memmove(p, data, size)
            pointers.append(p)
    for p in pointers:
        libc.free(p)
    pointers = []
    for _ in range(_SPRAY_COPIES):
        p = ctypes.c_void_p()
        if libc.posix_memalign(ctypes.byref(p), _TORCH_ALIGNMENT, nbytes) == 0 and p.value:
            ctypes.memmove(p.value, data, min(nbytes, size))
            pointers.append(p.value)
    for p in pointers:
        libc.free(p)


def _freed_blocks(device: torch.device, tensors: list[torch.Tensor]) -> None:
    blocks = []
    for t in tensors:
        block = torch.empty(t.numel() * t.element_size(), dtype=torch.uint8, device=device)
        fill(block, t.dtype)
        blocks.append(block)
    blocks.clear()


@contextlib.contextmanager
def poisoned(device: torch.device, expected_outputs: list[Any]) -> Iterator[None]:
    """Poisons what the candidate call inside the block allocates (see the module doc)."""
    tensors = [t for t in values.iter_tensors(expected_outputs) if t.numel()]
    libc = _libc() if device.type == "cpu" else None
    if device.type == "cuda":
        torch.cuda.empty_cache()
    if libc is None:
        _freed_blocks(device, tensors)
        yield
        return
    for t in tensors:
        if t.numel() * t.element_size() <= _TCACHE_BYTES:
            _spray_small(libc, t.numel() * t.element_size(), t.dtype)
    libc.mallopt(_M_PERTURB, PERTURB_BYTE)
    try:
        yield
    finally:
        libc.mallopt(_M_PERTURB, 0)
