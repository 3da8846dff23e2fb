"""Shared templates and helpers of the static-rule tests."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from akg_harness import native
from akg_harness.integrity import StaticReport, Violation, check_source

STATIC = Path(__file__).resolve().parent / "fixtures" / "static"
BOTH = ("triton_cuda", "cpp")

TRITON = '''
import torch
import triton
import triton.language as tl
{imports}

@triton.jit
def _copy_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(out_ptr + offs, tl.load(x_ptr + offs, mask=mask), mask=mask)

{prelude}

class ModelNew(torch.nn.Module):
    def __init__(self):
        super().__init__()
{init}

    def forward(self, x, w):
{body}
'''
CPP = '''
import ctypes
import torch
from akg_harness.native import load_cpp
{imports}

SOURCE = r"""
extern "C" void copy(const float* x, float* out, long n) {{
  for (long i = 0; i < n; ++i) out[i] = x[i];
}}
"""
_lib = load_cpp(SOURCE)
_lib.copy.argtypes = (ctypes.c_void_p, ctypes.c_void_p, ctypes.c_long)

{prelude}

class ModelNew(torch.nn.Module):
    def __init__(self):
        super().__init__()
{init}

    def forward(self, x, w):
{body}
'''
LAUNCH = {"triton_cuda": "_copy_kernel[(triton.cdiv(n, 1024),)](x, out, n, BLOCK=1024)",
          "cpp": "_lib.copy(x.data_ptr(), out.data_ptr(), n)"}
HONEST_BODY = """
x = x.contiguous()
out = torch.empty_like(x)
n = x.numel()
{launch}
return out
"""
TILELANG_SCALE = '''
import torch
import tilelang
import tilelang.language as T


@tilelang.jit(out_idx=[-1])
def scale(M, N, block=128, dtype="float32"):
    @T.prim_func
    def main(A: T.Tensor((M, N), dtype), B: T.Tensor((M, N), dtype)):
        with T.Kernel(T.ceildiv(M, block), threads=128) as bx:
            for i, j in T.Parallel(block, N):
                B[bx * block + i, j] = A[bx * block + i, j] * 2.0
    return main
'''


def candidate(dsl: str, body: str = HONEST_BODY, prelude: str = "", imports: str = "",
              init: str = "pass") -> str:
    """A minimal candidate of dsl whose forward is body ({launch}: the DSL's launch line)."""
    body = textwrap.dedent(body).strip("\n").replace("{launch}", LAUNCH[dsl])
    return (TRITON if dsl == "triton_cuda" else CPP).format(
        imports=textwrap.dedent(imports), prelude=textwrap.dedent(prelude),
        init=textwrap.indent(textwrap.dedent(init).strip("\n"), " " * 8),
        body=textwrap.indent(body, " " * 8))


def reasons(report: StaticReport) -> set[str]:
    return {v.reason for v in report.violations}


def check(source: str, dsl: str, policy: str = "strict", **kw) -> StaticReport:
    return check_source(source, dsl, policy, **kw)


def assert_only(report: StaticReport, reason: str) -> None:
    assert reasons(report) == {reason}, report.violations


def with_op(body_line: str) -> str:
    """An honest body that also computes with body_line's result."""
    return HONEST_BODY.replace("return out", f"{body_line}\nreturn out")


# ---- honest kernels ------------------------------------------------------------------------
