"""Runtime proof that a custom kernel ran: launch counters for Triton and native kernels.

Triton: `JITFunction.run` (compiled kernels, also reached through autotuners and heuristics)
and, under TRITON_INTERPRET=1, `InterpretedFunction.run` are wrapped at class level so every
non-warmup launch counts under "triton:<kernel name>". Native: the sanctioned loader's
functions count their calls in `akg_harness.native._AKG_NATIVE_HOOK` (or in the copy of that
dict a final kernel file that inlines native.py carries). `noop()` makes every counted
launch skip its real work, so the harness can see whether the outputs depend on the kernels.
"""
from __future__ import annotations

import contextlib
import sys
from types import ModuleType
from typing import Any, Callable, Iterator

from . import native

# Kernel kinds whose launches the harness can count; other DSLs get no proof.
COUNTED_DSLS = ("triton", "triton_cuda", "triton_ascend", "cpp", "cuda")

_TRITON_CALLS: dict[str, int] = {}
_STATE = {"noop": False}
_MARK = "_akg_counted"


def _kernel_name(fn_obj: Any) -> str:
    inner = getattr(fn_obj, "fn", None)
    return str(getattr(inner, "__name__", None) or getattr(fn_obj, "__name__", "kernel"))


def _wrap_run(original: Callable[..., Any]) -> Callable[..., Any]:
    def run(self: Any, *args: Any, grid: Any = None, warmup: bool = False, **kwargs: Any) -> Any:
        if not warmup:
            key = f"triton:{_kernel_name(self)}"
            _TRITON_CALLS[key] = _TRITON_CALLS.get(key, 0) + 1
            if _STATE["noop"]:
                return None
        return original(self, *args, grid=grid, warmup=warmup, **kwargs)

    setattr(run, _MARK, True)
    run.__wrapped__ = original  # type: ignore[attr-defined]
    return run


def triton_launch_classes() -> list[type]:
    """Triton's launching classes, when triton is already imported (never imports it)."""
    classes: list[type] = []
    jit = sys.modules.get("triton.runtime.jit")
    if jit is not None and hasattr(jit, "JITFunction"):
        classes.append(jit.JITFunction)
    interp = sys.modules.get("triton.runtime.interpreter")
    if interp is not None and hasattr(interp, "InterpretedFunction"):
        classes.append(interp.InterpretedFunction)
    return classes


def install_triton_hooks(import_triton: bool) -> list[type]:
    """Wraps the launch path of every Triton launcher class; idempotent.

    With `import_triton`, imports triton (and its interpreter) first when it is installed.
    Returns the wrapped classes.
    """
    if import_triton:
        with contextlib.suppress(ImportError):
            import triton.runtime.interpreter  # noqa: F401  (pulls in triton.runtime.jit)
    classes = triton_launch_classes()
    for cls in classes:
        original = cls.__dict__.get("run")
        if original is not None and not getattr(original, _MARK, False):
            setattr(cls, "run", _wrap_run(original))
    return classes


def native_hooks(modules: list[ModuleType]) -> list[dict[str, Any]]:
    hooks = [native._AKG_NATIVE_HOOK]
    for module in modules:
        hook = getattr(module, "_AKG_NATIVE_HOOK", None)
        if isinstance(hook, dict) and isinstance(hook.get("calls"), dict) and all(
                hook is not h for h in hooks):
            hooks.append(hook)
    return hooks


class LaunchCounter:
    """Reads the counters; `modules` are candidate modules that may inline native.py."""

    def __init__(self, modules: list[ModuleType] | None = None) -> None:
        self.modules = list(modules or [])
        self.totals: dict[str, int] = {}

    def snapshot(self) -> dict[str, int]:
        counts = dict(_TRITON_CALLS)
        for hook in native_hooks(self.modules):
            for key, value in hook["calls"].items():
                if isinstance(key, str) and isinstance(value, int):
                    counts[key] = counts.get(key, 0) + value
        return counts

    def since(self, before: dict[str, int], record: bool = True) -> dict[str, int]:
        """Launches per kernel since `before`; added to `totals` when `record`."""
        delta = {k: v - before.get(k, 0) for k, v in self.snapshot().items()
                 if v > before.get(k, 0)}
        if record:
            for key, value in delta.items():
                self.totals[key] = self.totals.get(key, 0) + value
        return delta

    def proof(self) -> dict[str, Any]:
        return {"launches": sum(self.totals.values()), "kernels": dict(sorted(self.totals.items()))}


@contextlib.contextmanager
def noop(modules: list[ModuleType]) -> Iterator[None]:
    """Counted launches skip their real work inside the block."""
    hooks = native_hooks(modules)
    _STATE["noop"] = True
    for hook in hooks:
        hook["noop"] = True
    try:
        yield
    finally:
        _STATE["noop"] = False
        for hook in hooks:
            hook["noop"] = False
