"""The sanctioned loaders for native kernels: `load_cpp` (C++) and `load_cuda` (CUDA C).

Candidates compile and load their native code only through these, so integrity rules can
forbid every other way of reaching native code. Both return a `KernelLibrary`: a thin proxy
around the `ctypes.CDLL` whose functions count their calls in `_AKG_NATIVE_HOOK["calls"]`
(the harness reads it as runtime proof that a kernel ran) and otherwise behave like ctypes
functions (`.argtypes`, `.restype`, `.errcheck`, calling). The module uses the standard
library alone: the final kernel file in a run folder inlines it and stays self-contained;
there the hook is a plain dict nobody reads, so it costs a dict update per call.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import subprocess
import tempfile
from typing import Any

CXX_FLAGS = (
    "-O3", "-march=native", "-fopenmp", "-fPIC", "-shared",
    "-fno-math-errno", "-fno-trapping-math",
)
LINK_FLAGS = ("-lmvec", "-lm")
NVCC_FLAGS = ("-O3", "-shared", "-Xcompiler", "-fPIC")
NVCC_FALLBACK_ARCH = "-arch=sm_90"
COMPILE_TIMEOUT_S = 120
# What of nvcc's output a CompileError keeps: its first errors, each with the source line and
# caret nvcc prints under it (warnings and remarks only when there is no error), the folder
# names gone.
NVCC_ERRORS_KEPT = 8
NVCC_MESSAGE_CHARS = 4000

# Calls per "native:<function>", "noop": the harness's switch that skips the real call (to
# see whether the outputs depend on the kernels at all), and "record" (optional): the
# harness's crash-context recorder (akg_harness.crash_context), told of each call.
_AKG_NATIVE_HOOK: dict[str, Any] = {"calls": {}, "noop": False}


class CompileError(RuntimeError):
    """The compiler rejected the kernel source; the message holds its output."""


class KernelFunction:
    """One exported function: counts each call, then calls the ctypes function."""

    __slots__ = ("_fn", "_key")

    def __init__(self, fn: Any, name: str) -> None:
        self._fn = fn
        self._key = f"native:{name}"

    argtypes = property(lambda self: self._fn.argtypes,
                        lambda self, v: setattr(self._fn, "argtypes", v))
    restype = property(lambda self: self._fn.restype,
                       lambda self, v: setattr(self._fn, "restype", v))
    errcheck = property(lambda self: self._fn.errcheck,
                        lambda self, v: setattr(self._fn, "errcheck", v))

    def __call__(self, *args: Any) -> Any:
        calls = _AKG_NATIVE_HOOK["calls"]
        calls[self._key] = calls.get(self._key, 0) + 1
        if _AKG_NATIVE_HOOK["noop"]:
            return None if self._fn.restype is None else 0
        record = _AKG_NATIVE_HOOK.get("record")
        if record is None:
            return self._fn(*args)
        record.enter(self._key, self._fn)
        try:
            return self._fn(*args)
        finally:
            record.leave()

    def __repr__(self) -> str:
        return f"<KernelFunction {self._key}>"


class KernelLibrary:
    """A loaded library; attribute or item access gives the same KernelFunction each time."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        self._lib = lib
        self._functions: dict[str, KernelFunction] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            return getattr(self._lib, name)
        return self[name]

    def __getitem__(self, name: str) -> KernelFunction:
        fn = self._functions.get(name)
        if fn is None:
            fn = self._functions[name] = KernelFunction(getattr(self._lib, name), name)
        return fn


def _cache_dir() -> str:
    path = os.environ.get("AKG_KERNEL_CACHE") or os.path.join(
        tempfile.gettempdir(), "akg_kernel_cache")
    os.makedirs(path, exist_ok=True)
    return path


def _run_compiler(cmd: list[str]) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(cmd, capture_output=True, text=True,
                              timeout=COMPILE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as e:
        raise CompileError(f"compiler timed out after {COMPILE_TIMEOUT_S} s") from e
    except OSError as e:
        raise CompileError(f"cannot run the compiler '{cmd[0]}': {e}") from e


def nvcc_digest(output: str, src_path: str = "") -> str:
    """nvcc's output cut to what a reader needs to fix the source: the file named kernel.cu
    (line numbers are CUDA_SOURCE's), the first NVCC_ERRORS_KEPT errors with their source
    lines, a count of the rest, and nvcc's summary line."""
    text = output.replace(src_path, "kernel.cu") if src_path else output
    blocks = [b.strip("\n") for b in text.split("\n\n") if b.strip()]
    errors = [b for b in blocks if "error" in b.splitlines()[0].lower()]
    summary = [b for b in blocks if "errors detected" in b or "error detected" in b]
    kept = [b for b in errors if b not in summary][:NVCC_ERRORS_KEPT]
    if not kept:
        digest = text.strip()
    else:
        digest = "\n\n".join(kept)
        rest = len([b for b in errors if b not in summary]) - len(kept)
        if rest > 0:
            digest += f"\n\n... and {rest} more error{'s' if rest > 1 else ''}"
        if summary:
            digest += "\n" + summary[-1].splitlines()[-1]
    if len(digest) > NVCC_MESSAGE_CHARS:
        digest = digest[:NVCC_MESSAGE_CHARS - 4] + " ..."
    return digest


def _build(compiler: str, source: str, suffix: str, flags: tuple[str, ...],
           commands: list[list[str]], digest: Any = None) -> str:
    """Compiles into the cache (keyed by compiler, source and flags) and returns the .so path.

    `commands` are argument lists after the compiler, each with "{src}" and "{out}"
    placeholders; the next one is tried when the previous one's output mentions "native"
    (an -arch=native the toolchain or machine cannot serve).
    """
    key = hashlib.sha256("\0".join((compiler, source) + flags).encode()).hexdigest()[:24]
    folder = _cache_dir()
    lib_path = os.path.join(folder, f"k_{key}.so")
    if os.path.exists(lib_path):
        return lib_path
    src_path = os.path.join(folder, f"k_{key}{suffix}")
    # Written aside and renamed: a concurrent build of the same key must never see (and
    # compile) a half-written source file.
    with open(f"{src_path}.{os.getpid()}.tmp", "w", encoding="utf-8") as f:
        f.write(source)
    os.replace(f"{src_path}.{os.getpid()}.tmp", src_path)
    tmp_path = f"{lib_path}.{os.getpid()}.tmp"
    proc = None
    for args in commands:
        cmd = [compiler] + [a.format(src=src_path, out=tmp_path) for a in args]
        proc = _run_compiler(cmd)
        if proc.returncode == 0 and "native" not in proc.stderr:
            break
    assert proc is not None
    if proc.returncode != 0:
        message = proc.stderr.strip() or f"compiler exited {proc.returncode}"
        raise CompileError(digest(message, src_path) if digest else message)
    os.replace(tmp_path, lib_path)
    return lib_path


def load_cpp(source: str, extra_flags: tuple[str, ...] = ()) -> KernelLibrary:
    """Compiles C++ source into a shared library (cached by content) and loads it."""
    cxx = os.environ.get("CXX", "g++")
    flags = CXX_FLAGS + tuple(extra_flags)
    path = _build(cxx, source, ".cc", flags, [[*flags, "{src}", "-o", "{out}", *LINK_FLAGS]])
    return KernelLibrary(ctypes.CDLL(path))


def load_cuda(source: str, extra_flags: tuple[str, ...] = ()) -> KernelLibrary:
    """Compiles CUDA C source with nvcc for AKG_CUDA_ARCH (the agent sets it from --arch), else
    for this machine's GPU (sm_90 when nvcc cannot tell)
    into a shared library (cached by content) and loads it. Export host launchers with
    `extern "C"`."""
    nvcc = os.environ.get("NVCC", "nvcc")
    flags = NVCC_FLAGS + tuple(extra_flags)
    target = os.environ.get("AKG_CUDA_ARCH", "")
    if target:  # the agent's target (e.g. sm_90): the same build with or without a GPU visible
        flags += (f"-arch={target}",)
        commands = [[*flags, "{src}", "-o", "{out}"]]
    else:
        commands = [[*flags, arch, "{src}", "-o", "{out}"]
                    for arch in ("-arch=native", NVCC_FALLBACK_ARCH)]
    path = _build(nvcc, source, ".cu", flags, commands, nvcc_digest)
    return KernelLibrary(ctypes.CDLL(path))
