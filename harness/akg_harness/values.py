"""Helpers over the nested values a task passes around (tensors, scalars, lists of them)."""
from __future__ import annotations

from typing import Any, Callable, Iterator

import torch


def dtype_name(dtype: torch.dtype) -> str:
    """`float32` for torch.float32: the protocol's spelling."""
    return str(dtype).removeprefix("torch.")


def map_tensors(value: Any, fn: Callable[[torch.Tensor], torch.Tensor]) -> Any:
    """Rebuilds lists, tuples and dicts with `fn` applied to every tensor; other leaves stay."""
    if isinstance(value, torch.Tensor):
        return fn(value)
    if isinstance(value, list):
        return [map_tensors(v, fn) for v in value]
    if isinstance(value, tuple):
        return tuple(map_tensors(v, fn) for v in value)
    if isinstance(value, dict):
        return {k: map_tensors(v, fn) for k, v in value.items()}
    return value


def to_device(value: Any, device: torch.device) -> Any:
    return map_tensors(value, lambda t: t.to(device))


def clone(value: Any) -> Any:
    """A copy whose tensors have their own storage (strides kept)."""
    return map_tensors(value, lambda t: t.detach().clone())


def iter_tensors(value: Any) -> Iterator[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from iter_tensors(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from iter_tensors(v)


def total_bytes(value: Any) -> int:
    """Bytes of every tensor's elements in a nested value (views counted as their size)."""
    return sum(t.numel() * t.element_size() for t in iter_tensors(value))


def flatten_outputs(value: Any) -> list[Any]:
    """A forward's result as a flat list: a tensor is one output, lists and tuples spread."""
    if isinstance(value, (list, tuple)):
        return [leaf for v in value for leaf in flatten_outputs(v)]
    return [value]


def describe(value: Any) -> dict[str, Any]:
    """The protocol's description of one input or output (without its index)."""
    if isinstance(value, torch.Tensor):
        return {"kind": "tensor", "shape": list(value.shape), "dtype": dtype_name(value.dtype)}
    if isinstance(value, (bool, int, float, str)):
        return {"kind": "scalar", "value": value, "type": type(value).__name__}
    if value is None:
        return {"kind": "none"}
    if isinstance(value, (list, tuple)):
        return {"kind": "list", "items": [describe(v) for v in value]}
    return {"kind": "other", "repr": repr(value)}


def describe_all(values: list[Any]) -> list[dict[str, Any]]:
    return [{"index": i, **describe(v)} for i, v in enumerate(values)]


def _same_tensor(a: torch.Tensor, b: torch.Tensor) -> bool:
    if a.shape != b.shape or a.dtype != b.dtype or a.device != b.device:
        return False
    if a.is_floating_point() or a.is_complex():
        return bool(((a == b) | (torch.isnan(a) & torch.isnan(b))).all())
    return torch.equal(a, b)


def same_contents(a: Any, b: Any) -> bool:
    """Whether two nested values hold equal tensors (NaN equals NaN) and equal other leaves."""
    if a is b and not isinstance(a, (torch.Tensor, list, dict)):
        return True
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)
                and _same_tensor(a, b))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_contents(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_contents(a[k], b[k]) for k in a)
    try:
        return bool(a == b)
    except Exception:  # an object whose == does not give a truth value
        return a is b


def same_structure(a: Any, b: Any) -> bool:
    """Whether two nested values have tensors of equal shape, dtype and device in the same
    places and equal other leaves (so one can be copied into the other)."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)
                and a.shape == b.shape and a.dtype == b.dtype and a.device == b.device)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_structure(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_structure(a[k], b[k]) for k in a)
    return same_contents(a, b)


def copy_into(dst: Any, src: Any) -> None:
    """Copies src's tensors into dst's (same structure), keeping dst's storage."""
    for d, s in zip(iter_tensors(dst), iter_tensors(src)):
        d.copy_(s)


def storage_range(t: torch.Tensor) -> tuple[str, int, int] | None:
    """(device, first byte, end byte) of the storage under t; None when it has no bytes."""
    storage = t.untyped_storage()
    start, size = storage.data_ptr(), storage.nbytes()
    if not size or not start:
        return None
    return str(t.device), start, start + size


def shares_memory(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Whether the storages under a and b overlap at all."""
    ra, rb = storage_range(a), storage_range(b)
    return ra is not None and rb is not None and ra[0] == rb[0] and (
        ra[1] < rb[2] and rb[1] < ra[2])


_INT_OF_WIDTH = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}


def xor_bits(value: Any, key: int) -> None:
    """XORs the bits of every tensor in `value` in place with `key`; twice restores them.

    Bool tensors and tensors whose elements overlap (expanded views) are left alone; a tensor
    object listed twice is changed once.
    """
    seen: set[int] = set()
    for t in iter_tensors(value):
        if id(t) in seen or not t.numel() or t.dtype == torch.bool:
            continue
        seen.add(id(t))
        parts = torch.view_as_real(t.detach()) if t.is_complex() else t.detach()
        width = parts.element_size()
        ints = parts.view(_INT_OF_WIDTH[width])
        bits = 8 * width
        mask = key % (1 << bits)  # every bit of the element, as a value of the view dtype
        if ints.dtype != torch.uint8 and mask >= 1 << (bits - 1):
            mask -= 1 << bits
        if torch._debug_has_internal_overlap(ints) != 0:  # 0: no element overlaps another
            continue
        ints.bitwise_xor_(mask)
