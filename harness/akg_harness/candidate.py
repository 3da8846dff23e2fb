"""The candidate file: loading `ModelNew`, constructing and calling it, and naming failures.

Failures become CandidateError with the verdict the protocol assigns: the sanctioned loader's
CompileError (or Triton's compiler error) and a syntax error in the file are compile_error,
anything else raised is runtime_error, a file without ModelNew is rejected.
"""
from __future__ import annotations

import contextlib
import traceback
from types import ModuleType
from typing import Any, Iterator

import torch

from . import loader, values
from .devices import DevicePlan
from .errors import (COMPILE_ERROR, NO_MODEL_NEW, OUT_OF_MEMORY, REJECTED, RUNTIME_ERROR,
                     CandidateError, RequestError, is_out_of_memory, one_line)
from .native import CompileError


def _is_compile_error(exc: BaseException) -> bool:
    """CompileError from akg_harness.native, from a kernel file that inlines that module (same
    class name), or Triton's CompilationError family; also when raised `from` one of those."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for cls in type(current).__mro__:
            if cls is CompileError or cls.__name__ == "CompileError":
                return True
            if cls.__name__ == "CompilationError" and cls.__module__.startswith("triton."):
                return True
        current = current.__cause__
    return False


def verdict_for(exc: BaseException) -> str:
    if isinstance(exc, loader.SourceSyntaxError):
        return COMPILE_ERROR
    return COMPILE_ERROR if _is_compile_error(exc) else RUNTIME_ERROR


def _release_memory() -> None:
    """After a candidate's out-of-memory error, the allocator's cached blocks go back to the
    device, so what follows in this child (the result, a later check) is not starved."""
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.empty_cache()


@contextlib.contextmanager
def guard(stage: str) -> Iterator[None]:
    """Turns an exception raised by candidate code during `stage` into a CandidateError."""
    try:
        yield
    except CandidateError:
        raise
    except loader.SourceSyntaxError as e:
        raise CandidateError(COMPILE_ERROR, f"{stage}: {one_line(e.cause)}",
                             traceback.format_exc()) from e
    except (Exception, SystemExit) as e:
        if is_out_of_memory(e):
            _release_memory()
            raise CandidateError(RUNTIME_ERROR, f"{stage}: out of memory: {one_line(e)}",
                                 traceback.format_exc(), OUT_OF_MEMORY) from e
        raise CandidateError(verdict_for(e), f"{stage}: {one_line(e)}",
                             traceback.format_exc()) from e


def require_readable(path: str) -> None:
    """A candidate file that is not there is the agent's mistake, not the candidate's."""
    try:
        with open(path, encoding="utf-8"):
            pass
    except OSError as e:
        raise RequestError(f"cannot read candidate {path}: {e.strerror or e}") from e


def read_source(path: str) -> str:
    """The candidate's source text; a file that is not valid Python is a compile_error."""
    with open(path, encoding="utf-8") as f:
        source = f.read()
    try:
        compile(source, path, "exec", dont_inherit=True)
    except SyntaxError as e:
        raise CandidateError(COMPILE_ERROR, f"importing the candidate: {one_line(e)}",
                             traceback.format_exc()) from e
    return source


def load_candidate_module(path: str) -> tuple[type, ModuleType]:
    """Imports the candidate file; returns its ModelNew class and the module."""
    with guard("importing the candidate"):
        module = loader.load_module(path, "candidate")
    model_new = getattr(module, "ModelNew", None)
    if not isinstance(model_new, type):
        raise CandidateError(REJECTED, f"{path} defines no class ModelNew",
                             reason=NO_MODEL_NEW)
    return model_new, module


def load_candidate(path: str) -> type:
    """Imports the candidate file and returns its ModelNew class."""
    return load_candidate_module(path)[0]


def construct(model_new: type, init: list[Any], seed: int, plan: DevicePlan) -> torch.nn.Module:
    """`ModelNew(*init)` right after `torch.manual_seed(seed)`, moved to the device."""
    torch.manual_seed(seed)
    with guard("constructing ModelNew"):
        model = model_new(*values.clone(init))
        if isinstance(model, torch.nn.Module):
            model = model.to(plan.device)
        plan.synchronize()
    return model


def call(model: Any, inputs: list[Any], plan: DevicePlan) -> Any:
    """One forward call, finished on the device so asynchronous errors count against it."""
    with guard("calling ModelNew"):
        with torch.no_grad():
            out = model(*inputs)
        plan.synchronize()
    return out
