"""The sanctioned loader for native (C++) kernels.

Candidates in the cpp DSL compile and load their code only through `load_cpp`, so integrity
rules can forbid every other way of reaching native code. The module uses the standard library
alone: the final kernel file in a run folder inlines it and stays self-contained.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import subprocess
import tempfile

CXX_FLAGS = (
    "-O3", "-march=native", "-fopenmp", "-fPIC", "-shared",
    "-fno-math-errno", "-fno-trapping-math",
)
LINK_FLAGS = ("-lmvec", "-lm")
COMPILE_TIMEOUT_S = 120


class CompileError(RuntimeError):
    """The compiler rejected the kernel source; the message holds its output."""


def _cache_dir() -> str:
    path = os.environ.get("AKG_KERNEL_CACHE") or os.path.join(
        tempfile.gettempdir(), "akg_kernel_cache")
    os.makedirs(path, exist_ok=True)
    return path


def load_cpp(source: str, extra_flags: tuple[str, ...] = ()) -> ctypes.CDLL:
    """Compiles C++ source into a shared library (cached by content) and loads it."""
    cxx = os.environ.get("CXX", "g++")
    flags = CXX_FLAGS + tuple(extra_flags)
    key = hashlib.sha256("\0".join((cxx, source) + flags).encode()).hexdigest()[:24]
    folder = _cache_dir()
    lib_path = os.path.join(folder, f"k_{key}.so")
    if not os.path.exists(lib_path):
        src_path = os.path.join(folder, f"k_{key}.cc")
        with open(src_path, "w", encoding="utf-8") as f:
            f.write(source)
        tmp_path = f"{lib_path}.{os.getpid()}.tmp"
        cmd = [cxx, *flags, src_path, "-o", tmp_path, *LINK_FLAGS]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True,
                                  timeout=COMPILE_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as e:
            raise CompileError(f"compiler timed out after {COMPILE_TIMEOUT_S} s") from e
        except OSError as e:
            raise CompileError(f"cannot run the compiler '{cxx}': {e}") from e
        if proc.returncode != 0:
            raise CompileError(proc.stderr.strip() or f"compiler exited {proc.returncode}")
        os.replace(tmp_path, lib_path)
    return ctypes.CDLL(lib_path)
