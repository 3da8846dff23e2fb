"""Static integrity rules (docs/INTEGRITY.md): every reason code caught, honest kernels pass."""
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
@pytest.mark.parametrize("name", sorted(p.name for p in STATIC.glob("*.py")))
def test_generated_kernels_pass_under_strict(name: str) -> None:
    dsl = "cpp" if name.startswith("cpp_") else "triton_cuda"
    report = check((STATIC / name).read_text(), dsl)
    assert report.ok, report.violations
    assert report.kernels and report.launches and report.framework_ops == []


@pytest.mark.parametrize("dsl", BOTH)
def test_minimal_honest_candidate_passes_and_lists_its_launch(dsl: str) -> None:
    report = check(candidate(dsl), dsl)
    assert report.ok, report.violations
    expected = {"triton_cuda": "_copy_kernel[(triton.cdiv(n, 1024),)]", "cpp": "_lib.copy"}
    assert report.launches == [expected[dsl]]


def test_generated_cpp_kernel_names_its_library_and_launch() -> None:
    report = check((STATIC / "cpp_gelu_scale_add_attempt.py").read_text(), "cpp")
    assert report.kernels == ["lib"]
    assert report.launches == ["lib.akg_fused_elementwise"]


def test_shape_and_int_arithmetic_is_not_computation() -> None:
    body = """
    n = x.numel()
    rows, cols = x.shape[0] * 2, x.size(1) // 4 + 1
    grid = (triton.cdiv(n, 1024) * 1, -rows)
    out = torch.empty((rows - 1, cols), dtype=x.dtype, device=x.device)
    out = out.view(-1)[: n] if n > 0 and x.dim() == 2 else out
    {launch}
    return out
    """
    assert check(candidate("triton_cuda", body), "triton_cuda").ok


def test_honest_lazy_library_on_self_passes() -> None:
    body = """
    if self._lib is None:
        self._lib = load_cpp(SOURCE)
    out = torch.empty_like(x)
    self._lib.copy(x.data_ptr(), out.data_ptr(), x.numel())
    return out
    """
    report = check(candidate("cpp", body, init="self._lib = None"), "cpp")
    assert report.ok, report.violations
    assert report.launches == ["self._lib.copy"]


def test_honest_autograd_function_and_helper_class_launch_is_reachable() -> None:
    prelude = """
    class _Op(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = torch.empty_like(x)
            n = x.numel()
            _copy_kernel[(triton.cdiv(n, 1024),)](x, out, n, BLOCK=1024)
            return out
    """
    report = check(candidate("triton_cuda", "return _Op.apply(x)", prelude), "triton_cuda")
    assert report.ok, report.violations


def test_honest_tilelang_kernel_passes() -> None:
    source = TILELANG_SCALE + """

class ModelNew(torch.nn.Module):
    def forward(self, x):
        kernel = scale(x.shape[0], x.shape[1])
        return kernel(x.contiguous())
"""
    report = check(source, "tilelang_cuda")
    assert report.ok, report.violations
    assert report.kernels == ["scale", "main"] and report.launches == ["scale"]


def test_honest_cuda_kernel_through_load_cuda_passes() -> None:
    source = '''
import ctypes
import torch
from akg_harness.native import load_cuda

SOURCE = r"""
__global__ void relu_kernel(const float* x, float* y, long n) {
  long i = blockIdx.x * (long)blockDim.x + threadIdx.x;
  if (i < n) y[i] = x[i] > 0.f ? x[i] : 0.f;
}
extern "C" void relu(const float* x, float* y, long n) {
  relu_kernel<<<(n + 255) / 256, 256>>>(x, y, n);
}
"""
_LIB = None


def _relu():
    global _LIB
    if _LIB is None:
        _LIB = load_cuda(SOURCE)
        _LIB.relu.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
    return _LIB["relu"]


class ModelNew(torch.nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        _relu()(x.data_ptr(), out.data_ptr(), x.numel())
        return out
'''
    report = check(source, "cuda")
    assert report.ok, report.violations
    assert report.kernels == ["_LIB"] and report.launches == ["_LIB.relu"]
    assert reasons(check(source, "cpp")) == {"no_kernel"}


# ---- no_kernel / kernel_not_launched ------------------------------------------------------------
@pytest.mark.parametrize("dsl", BOTH)
def test_candidate_without_a_kernel_is_no_kernel(dsl: str) -> None:
    source = """
import torch

class ModelNew(torch.nn.Module):
    def forward(self, x, w):
        out = torch.empty_like(x)
        return out
"""
    assert_only(check(source, dsl), "no_kernel")


@pytest.mark.parametrize("dsl", BOTH)
def test_kernel_defined_but_never_launched_is_caught(dsl: str) -> None:
    report = check(candidate(dsl, "out = torch.empty_like(x)\nreturn out"), dsl)
    assert_only(report, "kernel_not_launched")
    assert report.launches == []


@pytest.mark.parametrize("dsl", BOTH)
def test_launch_only_on_a_dead_branch_is_not_a_launch(dsl: str) -> None:
    body = """
    out = torch.empty_like(x)
    n = x.numel()
    if USE_KERNEL and n > 0:
        {launch}
    return out
    """
    report = check(candidate(dsl, body, prelude="USE_KERNEL = False"), dsl)
    assert_only(report, "kernel_not_launched")
    report = check(candidate(dsl, body.replace("USE_KERNEL and ", "False or ")), dsl)
    assert report.ok, report.violations


@pytest.mark.parametrize("dsl", BOTH)
def test_launch_in_a_helper_forward_never_calls_is_not_reachable(dsl: str) -> None:
    prelude = f"""
    def _unused(x, out, n):
        {LAUNCH[dsl]}
    """
    report = check(candidate(dsl, "out = torch.empty_like(x)\nreturn out", prelude), dsl)
    assert_only(report, "kernel_not_launched")


# ---- forbidden_framework_op --------------------------------------------------------------------
@pytest.mark.parametrize("dsl", BOTH)
@pytest.mark.parametrize("line, op", [
    ("out = torch.matmul(x, w)", "torch.matmul"),
    ("out = x @ w", "operator @"),
    ("out = out + w", "operator +"),
    ("out += 1.0", "operator +="),
    ("out = -x", "operator -"),
    ("out = (x > 0).float()", "operator >"),
    ("out = x.sum(dim=0)", "Tensor.sum"),
    ("out = x.__matmul__(w)", "operator @"),
    ("out = torch.Tensor.add(x, w)", "Tensor.add"),
    ("out = x.to(torch.float16)", "Tensor.to(dtype)"),
    ("out = sum([x, w])", "builtins.sum"),
    ("out = functools.reduce(torch.add, [x, w])", "torch.add"),
    ("out = x[w > 0]", "Tensor.__getitem__"),
    ("out[:] = w", "Tensor.__setitem__"),
    ("out = x.clone()", "Tensor.clone"),
])
def test_framework_computation_in_forward_is_forbidden(dsl: str, line: str, op: str) -> None:
    report = check(candidate(dsl, with_op(line), imports="import functools"), dsl)
    assert_only(report, "forbidden_framework_op")
    assert op in report.framework_ops


@pytest.mark.parametrize("dsl", BOTH)
@pytest.mark.parametrize("imports, line, op", [
    ("import torch.nn.functional as Fn", "out = Fn.relu(x)", "F.relu"),
    ("from torch.nn import functional as F", "out = F.gelu(x)", "F.gelu"),
    ("from torch import matmul as mm", "out = mm(x, w)", "torch.matmul"),
    ("import torch as th", "out = th.tanh(x)", "torch.tanh"),
    ("", "out = getattr(torch, 'matmul')(x, w)", "torch.matmul"),
    ("", "out = getattr(x, 'exp')()", "Tensor.exp"),
    ("from torch.nn.functional import *", "out = softmax(x, dim=-1)", "F.softmax"),
])
def test_aliases_of_framework_operators_are_caught(dsl: str, imports: str, line: str,
                                                   op: str) -> None:
    report = check(candidate(dsl, with_op(line), imports=imports), dsl)
    assert_only(report, "forbidden_framework_op")
    assert op in report.framework_ops


@pytest.mark.parametrize("dsl", BOTH)
def test_module_level_alias_and_table_of_operators_are_caught(dsl: str) -> None:
    prelude = """
    _mm = torch.matmul
    _OPS = {"act": torch.relu}
    """
    report = check(candidate(dsl, with_op("out = _OPS['act'](_mm(x, w))"), prelude), dsl)
    assert {"torch.matmul", "torch.relu"} <= set(report.framework_ops)
    assert reasons(report) == {"forbidden_framework_op"}


@pytest.mark.parametrize("line, op", [
    ("out = x.__class__.__add__(x, w)", "operator +"),
    ("out = type(x).__mul__(x, w)", "operator *"),
    ("out = {'f': torch.add}['f'](x, w)", "torch.add"),
    ("out = functools.partial(torch.matmul, x)(w)", "torch.matmul"),
    ("out = list(map(torch.exp, [x, w]))[0]", "torch.exp"),
    ("out = operator.mul(x, 2)", "operator *"),
    ("out = torch.ops.aten.mm(x, w)", "torch.ops.aten.mm"),
    ("out = torch.from_numpy(np.tanh(x.numpy()))", "numpy.tanh"),
])
def test_indirect_calls_of_framework_operators_are_caught(line: str, op: str) -> None:
    source = candidate("triton_cuda", with_op(line),
                       imports="import functools, operator\nimport numpy as np")
    report = check(source, "triton_cuda")
    assert_only(report, "forbidden_framework_op")
    assert op in report.framework_ops


def test_operators_in_defaults_and_class_attributes_are_caught() -> None:
    source = candidate("triton_cuda", with_op("out = op(self.act(x), w)")).replace(
        "    def forward(self, x, w):", "    act = staticmethod(torch.relu)\n\n"
        "    def forward(self, x, w, op=torch.matmul):")
    assert check(source, "triton_cuda").framework_ops == ["torch.matmul", "torch.relu"]


def test_plain_values_reduced_with_operator_or_numpy_are_not_computation() -> None:
    line = "k = functools.reduce(operator.mul, x.shape, 1) + int(np.prod(x.shape))"
    source = candidate("triton_cuda", with_op(line),
                       imports="import functools, operator\nimport numpy as np")
    assert check(source, "triton_cuda").ok


@pytest.mark.parametrize("dsl", BOTH)
def test_computation_hidden_in_helpers_lambdas_and_methods_is_caught(dsl: str) -> None:
    prelude = """
    def _add(a, b):
        return a + b

    _scale = lambda t: t * 2.0

    def _apply(fn, t):
        return fn(t)
    """
    body = with_op("out = _add(out, w)\nout = _apply(_scale, out)\nout = self._finish(out)")
    source = candidate(dsl, body, prelude).replace(
        "    def forward(self, x, w):",
        "    def _finish(self, y):\n        return y.exp()\n\n    def forward(self, x, w):")
    report = check(source, dsl)
    assert {"operator +", "operator *", "Tensor.exp"} <= set(report.framework_ops)
    assert reasons(report) == {"forbidden_framework_op"}


@pytest.mark.parametrize("dsl", BOTH)
def test_nn_modules_called_in_forward_are_framework_ops(dsl: str) -> None:
    source = candidate(dsl, with_op("out = self.linear(out)\nout = self.act(out)"),
                       init="self.linear = torch.nn.Linear(8, 8)\nself.act = torch.nn.GELU()")
    report = check(source, dsl)
    assert report.framework_ops == ["nn.GELU", "nn.Linear"]
    assert reasons(report) == {"forbidden_framework_op"}


def test_inheriting_a_framework_module_is_a_framework_op() -> None:
    source = candidate("triton_cuda").replace("class ModelNew(torch.nn.Module):",
                                              "class ModelNew(torch.nn.Linear):")
    source = source.replace("        return out", "        return super().forward(out)")
    report = check(source, "triton_cuda")
    assert_only(report, "forbidden_framework_op")
    assert report.framework_ops == ["nn.Linear"]


def test_forward_hooks_and_a_call_override_are_reached() -> None:
    prelude = """
    def _hook(module, inputs, output):
        return output * 2
    """
    hooked = candidate("triton_cuda", prelude=prelude, init="self.register_forward_hook(_hook)")
    assert check(hooked, "triton_cuda").framework_ops == ["operator *"]
    overridden = candidate("triton_cuda").replace(
        "    def forward(self, x, w):",
        "    def __call__(self, x, w):\n        return torch.matmul(x, w)\n\n"
        "    def forward(self, x, w):")
    assert check(overridden, "triton_cuda").framework_ops == ["torch.matmul"]


def test_reading_an_nn_modules_weights_is_glue() -> None:
    body = HONEST_BODY.replace("out = torch.empty_like(x)",
                               "wt = self.linear.weight.t().contiguous()\n"
                               "out = torch.empty_like(x)")
    source = candidate("triton_cuda", body, init="self.linear = torch.nn.Linear(8, 8)")
    assert check(source, "triton_cuda").ok


def test_torch_compile_decorator_is_a_framework_op() -> None:
    source = candidate("triton_cuda").replace("    def forward(self, x, w):",
                                              "    @torch.compile\n    def forward(self, x, w):")
    assert "torch.compile" in check(source, "triton_cuda").framework_ops


def test_cublas_in_native_source_is_a_framework_op() -> None:
    source = candidate("cpp").replace(
        "for (long i = 0; i < n; ++i) out[i] = x[i];",
        "cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, 0, x, n, x, n, 0, out, n);")
    report = check(source, "cpp")
    assert_only(report, "forbidden_framework_op")
    assert report.framework_ops == ["cublasSgemm (native)"]


def test_extra_glue_allows_a_configured_operator() -> None:
    source = candidate("cpp", with_op("out = out + torch.ones_like(out)"))
    assert set(check(source, "cpp").framework_ops) == {"torch.ones_like", "operator +"}
    report = check(source, "cpp", extra_glue=["torch.ones_like", "operator +"])
    assert report.ok and report.framework_ops == []


# ---- partial policy --------------------------------------------------------------------------
@pytest.mark.parametrize("dsl", BOTH)
def test_partial_policy_reports_remaining_framework_ops_without_rejecting(dsl: str) -> None:
    body = HONEST_BODY.replace("x = x.contiguous()", "x = F.conv2d(x, w).contiguous()")
    source = candidate(dsl, body, imports="import torch.nn.functional as F")
    report = check(source, dsl, "partial")
    assert report.ok, report.violations
    assert report.framework_ops == ["F.conv2d"]
    assert_only(check(source, dsl, "strict"), "forbidden_framework_op")


@pytest.mark.parametrize("dsl", BOTH)
def test_partial_policy_still_needs_a_launch(dsl: str) -> None:
    source = candidate(dsl, "return torch.relu(x)")
    report = check(source, dsl, "partial")
    assert_only(report, "kernel_not_launched")
    assert report.framework_ops == ["torch.relu"]


# ---- try_except --------------------------------------------------------------------------------
@pytest.mark.parametrize("dsl", BOTH)
def test_try_except_fallback_is_rejected(dsl: str) -> None:
    body = """
    out = torch.empty_like(x)
    n = x.numel()
    try:
        {launch}
    except Exception:
        pass
    return out
    """
    assert_only(check(candidate(dsl, body), dsl), "try_except")


def test_exception_swallowing_context_manager_is_try_except() -> None:
    prelude = """
    class _Quiet:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return True
    """
    body = HONEST_BODY.replace("{launch}", "with _Quiet():\n    {launch}")
    report = check(candidate("triton_cuda", body, prelude), "triton_cuda")
    assert_only(report, "try_except")


# ---- concurrency -------------------------------------------------------------------------------
@pytest.mark.parametrize("dsl", BOTH)
@pytest.mark.parametrize("imports, line", [
    ("import threading", "threading.Thread(target=lambda: None).start()"),
    ("from concurrent.futures import ThreadPoolExecutor", "ThreadPoolExecutor(2)"),
    ("import multiprocessing as mp", "mp.Process(target=print).start()"),
    ("import os", "os.fork()"),
    ("from subprocess import *", "Popen(['true'])"),
])
def test_threads_and_processes_are_concurrency(dsl: str, imports: str, line: str) -> None:
    assert_only(check(candidate(dsl, with_op(line), imports=imports), dsl), "concurrency")


def test_background_thread_in_native_source_is_concurrency() -> None:
    source = candidate("cpp").replace("for (long i = 0; i < n; ++i) out[i] = x[i];",
                                      "std::thread([=] { out[0] = x[0]; }).detach();")
    assert_only(check(source, "cpp"), "concurrency")


# ---- extra_stream ------------------------------------------------------------------------------
@pytest.mark.parametrize("dsl", BOTH)
def test_side_streams_are_rejected(dsl: str) -> None:
    body = HONEST_BODY.replace("{launch}", "with torch.cuda.stream(self.side):\n    {launch}")
    report = check(candidate(dsl, body, init="self.side = torch.cuda.Stream()"), dsl)
    assert_only(report, "extra_stream")


def test_stream_created_in_native_source_is_rejected() -> None:
    source = candidate("cpp").replace("for (long i = 0; i < n; ++i) out[i] = x[i];",
                                      "cudaStream_t s; cudaStreamCreate(&s);")
    assert_only(check(source, "cpp"), "extra_stream")


# ---- monkey_patch ------------------------------------------------------------------------------
@pytest.mark.parametrize("dsl", BOTH)
@pytest.mark.parametrize("imports, prelude", [
    ("", "torch.cuda.Event.elapsed_time = lambda self, end: 0.001"),
    ("import time as _t", "setattr(_t, 'perf_counter', lambda: 0.0)"),
    ("from torch.cuda import Event", "Event.synchronize = lambda self: None"),
    ("", "torch.backends.cuda.matmul.allow_tf32 = True"),
    ("", "torch.set_float32_matmul_precision('medium')"),
    ("import akg_harness.compare", ""),
    ("", "torch.allclose = lambda *a, **k: True"),
])
def test_patching_framework_timing_or_harness_is_monkey_patch(dsl: str, imports: str,
                                                              prelude: str) -> None:
    assert_only(check(candidate(dsl, imports=imports, prelude=prelude), dsl), "monkey_patch")


def test_faking_launch_counters_or_loader_internals_is_monkey_patch() -> None:
    fake = candidate("cpp", with_op("_AKG_NATIVE_HOOK['calls']['native:copy'] = 1"),
                     prelude="_AKG_NATIVE_HOOK = {'calls': {}}")
    assert "monkey_patch" in reasons(check(fake, "cpp"))
    raw = candidate("cpp", HONEST_BODY.replace(
        "{launch}", "_lib._lib.copy(x.data_ptr(), out.data_ptr(), n)"))
    assert "monkey_patch" in reasons(check(raw, "cpp"))


def test_tensor_subclass_overriding_dispatch_is_monkey_patch() -> None:
    prelude = """
    class _Lazy(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            return func(*args, **(kwargs or {}))
    """
    assert "monkey_patch" in reasons(check(candidate("triton_cuda", prelude=prelude),
                                           "triton_cuda"))


def test_tensor_subclass_built_at_run_time_is_monkey_patch_under_partial() -> None:
    prelude = """
    _BASE = type(torch.zeros(()))
    _LAZY = type("Staged", (_BASE,), {})
    """
    body = HONEST_BODY.replace("return out", "return out.as_subclass(_LAZY)")
    report = check(candidate("triton_cuda", body, prelude), "triton_cuda", "partial")
    assert_only(report, "monkey_patch")


def test_patching_through_the_module_type_is_caught() -> None:
    computed = candidate("cpp", imports="import time",
                         prelude='_W = getattr(type(time), "__set" + "attr__")')
    assert reasons(check(computed, "cpp")) == {"forbidden_io"}
    direct = candidate("cpp", imports="import time",
                       prelude='type(time).__setattr__(time, "perf_counter", lambda: 0.0)')
    assert reasons(check(direct, "cpp")) == {"monkey_patch"}


# ---- forbidden_io ------------------------------------------------------------------------------
@pytest.mark.parametrize("dsl", BOTH)
@pytest.mark.parametrize("imports, line", [
    ("", "open('/tmp/answer.bin', 'rb').read()"),
    ("import os", "os.environ.get('AKG_SEED')"),
    ("", "eval('1 + 1')"),
    ("", "exec('pass')"),
    ("", "__import__('math')"),
    ("import importlib", "importlib.import_module('math')"),
    ("import pickle", "pickle.dumps(0)"),
    ("import sys", "sys.modules['torch']"),
    ("import inspect", "inspect.stack()"),
    ("", "getattr(torch, 'mat' + 'mul')"),
    ("", "torch.__dict__['matmul']"),
])
def test_io_environment_and_dynamic_code_are_forbidden_io(dsl: str, imports: str,
                                                          line: str) -> None:
    report = check(candidate(dsl, with_op(line), imports=imports), dsl)
    assert_only(report, "forbidden_io")


def test_a_parameter_named_like_a_builtin_is_not_the_builtin() -> None:
    source = candidate("triton_cuda").replace("def forward(self, x, w):",
                                              "def forward(self, input, w):\n        x = input")
    assert check(source, "triton_cuda").ok


# ---- unsanctioned_native -----------------------------------------------------------------------
@pytest.mark.parametrize("dsl", BOTH)
@pytest.mark.parametrize("imports, prelude", [
    ("", "_raw = ctypes.CDLL('libm.so.6')"),
    ("from ctypes import cdll", "_raw = cdll.LoadLibrary('libm.so.6')"),
    ("from torch.utils.cpp_extension import load_inline", "_ext = load_inline('x', '')"),
    ("import cupy", "_k = cupy.RawKernel('', 'k')"),
    ("import ctypes", "_raw = getattr(ctypes, 'CDLL')('libm.so.6')"),
])
def test_native_code_around_the_loader_is_unsanctioned(dsl: str, imports: str,
                                                      prelude: str) -> None:
    if "ctypes" not in candidate(dsl) and "ctypes." in prelude:
        imports += "\nimport ctypes"
    report = check(candidate(dsl, imports=imports, prelude=prelude), dsl)
    assert_only(report, "unsanctioned_native")


# ---- stateful_forward --------------------------------------------------------------------------
@pytest.mark.parametrize("dsl", BOTH)
def test_module_level_result_cache_is_stateful(dsl: str) -> None:
    body = HONEST_BODY.replace("return out", "_CACHE[x.data_ptr()] = out\nreturn out")
    body = "if x.data_ptr() in _CACHE:\n    return _CACHE[x.data_ptr()]\n" + body
    report = check(candidate(dsl, body, prelude="_CACHE = {}"), dsl)
    assert_only(report, "stateful_forward")


@pytest.mark.parametrize("dsl", BOTH)
@pytest.mark.parametrize("body_line", [
    "self.last = out",
    "self.cache[x.shape] = out",
    "self.calls += 1",
    "self.outputs.append(out)",
])
def test_forward_writing_self_is_stateful(dsl: str, body_line: str) -> None:
    report = check(candidate(dsl, with_op(body_line),
                             init="self.cache, self.outputs, self.calls = {}, [], 0"), dsl)
    assert_only(report, "stateful_forward")


@pytest.mark.parametrize("prelude, line", [
    ("def _keep(k, v, _memo={}):\n    _memo[k.data_ptr()] = v", "_keep(x, out)"),
    ("def _make():\n    store = []\n    def keep(v):\n        store.append(v)\n    return keep\n"
     "_keep = _make()", "_keep(out)"),
    ("def _make():\n    n = 0\n    def count():\n        nonlocal n\n        n += 1\n"
     "    return count\n_count = _make()", "_count()"),
    ("def _keep():\n    pass", "_keep.last = out"),
    ("class _Store:\n    items = {}", "_Store.items[x.shape] = out"),
    ("", "self.__dict__['last'] = out"),
    ("", "object.__setattr__(self, 'last', out)"),
    ("", "self.register_buffer('last', out)"),
])
def test_state_kept_in_closures_defaults_and_classes_is_stateful(prelude: str,
                                                                 line: str) -> None:
    report = check(candidate("triton_cuda", with_op(line), prelude), "triton_cuda")
    assert_only(report, "stateful_forward")


@pytest.mark.parametrize("dsl", BOTH)
def test_cache_in_forwards_mutable_default_is_stateful(dsl: str) -> None:
    source = candidate(dsl, with_op("out = _plans.setdefault(tuple(x.shape), out)")).replace(
        "def forward(self, x, w):", "def forward(self, x, w, _plans={}):")
    assert_only(check(source, dsl), "stateful_forward")


def test_cache_hung_on_a_functions_dict_is_stateful() -> None:
    prelude = f"""
    def _run(x, out, n):
        {LAUNCH["triton_cuda"]}
        memo = _run.__dict__.setdefault("memo", {{}})
        return memo.setdefault(tuple(x.shape), out)
    """
    body = "out = torch.empty_like(x)\nreturn _run(x, out, x.numel())"
    assert_only(check(candidate("triton_cuda", body, prelude), "triton_cuda"),
                "stateful_forward")


@pytest.mark.parametrize("dsl", BOTH)
def test_answer_computed_at_import_is_stateful(dsl: str) -> None:
    prelude = """
    torch.manual_seed(1)
    _ANSWER = torch.relu(torch.randn(7, 37))
    """
    body = HONEST_BODY.replace("x = x.contiguous()", "x = _ANSWER")
    assert_only(check(candidate(dsl, body, prelude), dsl), "stateful_forward")


def test_an_object_built_during_the_call_may_set_its_own_attributes() -> None:
    prelude = """
    class _Plan:
        def __init__(self, n, block=1024):
            self.n = n
            self.grid = (triton.cdiv(n, block),)

        def widen(self):
            self.block = 1024
            return self
    """
    body = HONEST_BODY.replace("{launch}", "plan = _Plan(n).widen()\n"
                               "_copy_kernel[plan.grid](x, out, plan.n, BLOCK=plan.block)")
    report = check(candidate("triton_cuda", body, prelude), "triton_cuda")
    assert report.ok, report.violations
    kept = candidate("triton_cuda", body.replace("plan = _Plan(n).widen()",
                                                 "plan = _PLAN.widen()"),
                     textwrap.dedent(prelude) + "\n_PLAN = _Plan(1 << 20)\n")
    assert_only(check(kept, "triton_cuda"), "stateful_forward")


def test_caches_of_compiled_kernels_are_not_state() -> None:
    source = TILELANG_SCALE + """
_KERNELS = {}


def _kernel_for(shape):
    if shape not in _KERNELS:
        _KERNELS[shape] = scale(*shape)
    return _KERNELS[shape]


class ModelNew(torch.nn.Module):
    def forward(self, x):
        return _kernel_for(tuple(x.shape))(x)
"""
    report = check(source, "tilelang_cuda")
    assert report.ok, report.violations
    assert report.launches == ["scale"]


@pytest.mark.parametrize("dsl", BOTH)
def test_global_write_and_cached_helper_are_stateful(dsl: str) -> None:
    prelude = f"""
    _LAST = None

    @functools.lru_cache(maxsize=None)
    def _run(shape, x, out, n):
        {LAUNCH[dsl]}
        return out
    """
    body = """
    global _LAST
    out = torch.empty_like(x)
    _LAST = _run(tuple(x.shape), x, out, x.numel())
    return _LAST
    """
    report = check(candidate(dsl, body, prelude, imports="import functools"), dsl)
    assert_only(report, "stateful_forward")
    assert len(report.violations) == 2


# ---- l2_persistence ----------------------------------------------------------------------------
def test_persisting_l2_window_in_native_source_is_rejected() -> None:
    source = candidate("cpp").replace(
        "for (long i = 0; i < n; ++i) out[i] = x[i];",
        "cudaStreamAttrValue a; a.accessPolicyWindow.num_bytes = n; "
        "for (long i = 0; i < n; ++i) out[i] = x[i];")
    assert_only(check(source, "cpp"), "l2_persistence")


def test_persisting_l2_limit_from_python_is_rejected() -> None:
    prelude = ("rt = cupy.cuda.runtime\n"
               "rt.deviceSetLimit(rt.cudaLimitPersistingL2CacheSize, 1)")
    report = check(candidate("triton_cuda", prelude=prelude, imports="import cupy"),
                   "triton_cuda")
    assert_only(report, "l2_persistence")


# ---- the inlined loader ------------------------------------------------------------------------
def _inline_native(code: str) -> str:
    """What the agent's standalone writer does (src/store/standalone.cc)."""
    loader = "".join(line for line in Path(native.__file__).read_text().splitlines(True)
                     if not line.startswith("from __future__ import"))
    return code.replace("from akg_harness.native import load_cpp\n",
                        "# ---- akg_harness.native, inlined so that this file is self-contained"
                        " ----\n" + loader + "# ---- end of akg_harness.native ----\n")


def test_inlined_current_native_module_is_the_sanctioned_loader() -> None:
    code = (STATIC / "cpp_chain_shared_fast.py").read_text()
    standalone = _inline_native(code)
    assert standalone != code
    report = check(standalone, "cpp")
    assert report.ok, report.violations
    assert report.launches == ["lib.akg_fused_elementwise"]


def test_loader_code_outside_the_markers_is_rejected() -> None:
    standalone = (STATIC / "cpp_gelu_scale_add_standalone.py").read_text()
    unmarked = "\n".join(line for line in standalone.splitlines()
                         if not line.startswith("# ---- "))
    report = check(unmarked, "cpp")
    assert {"try_except", "concurrency", "forbidden_io", "unsanctioned_native"} <= \
        reasons(report)
    assert report.kernels == []  # its own load_cpp is not the sanctioned one


def test_calling_the_inlined_loaders_internals_is_monkey_patch() -> None:
    standalone = (STATIC / "cpp_gelu_scale_add_standalone.py").read_text()
    reaching = standalone.replace("        return _launch([x, bias])",
                                  "        _cache_dir()\n        return _launch([x, bias])")
    assert_only(check(reaching, "cpp"), "monkey_patch")


def test_code_smuggled_between_the_markers_is_not_exempt() -> None:
    standalone = (STATIC / "cpp_gelu_scale_add_standalone.py").read_text()
    smuggled = standalone.replace(
        "# ---- end of akg_harness.native ----",
        "import threading\nthreading.Thread(target=print).start()\n"
        "torch.matmul = None\n# ---- end of akg_harness.native ----")
    report = check(smuggled, "cpp")
    assert {"unsanctioned_native", "concurrency", "monkey_patch"} <= reasons(report)
    assert any("not the harness's loader" in v.message for v in report.violations)


def test_an_edited_inlined_loader_is_not_the_sanctioned_loader() -> None:
    standalone = (STATIC / "cpp_gelu_scale_add_standalone.py").read_text()
    edited = standalone.replace('"-O3", "-march=native"', '"-O2", "-march=native"')
    assert edited != standalone
    assert "unsanctioned_native" in reasons(check(edited, "cpp"))


def test_markers_around_the_whole_file_exempt_nothing() -> None:
    body = """
    out = torch.empty_like(x)
    n = x.numel()
    try:
        {launch}
    except Exception:
        out = torch.relu(x)
    return out
    """
    wrapped = ("# ---- akg_harness.native, inlined so that this file is self-contained ----\n"
               + candidate("cpp", body) + "\n# ---- end of akg_harness.native ----\n")
    assert {"unsanctioned_native", "try_except", "forbidden_framework_op"} <= \
        reasons(check(wrapped, "cpp"))


# ---- API ---------------------------------------------------------------------------------------
def test_violations_carry_reason_message_and_line() -> None:
    report = check(candidate("cpp", with_op("out = torch.matmul(x, w)")), "cpp")
    (v,) = report.violations
    assert isinstance(v, Violation) and v.reason == "forbidden_framework_op"
    assert "torch.matmul" in v.message and isinstance(v.line, int) and v.line > 0
    assert not report.ok


def test_violations_are_listed_mechanism_first() -> None:
    prelude = f"""
    def _work(x, out, n):
        {LAUNCH["cpp"]}
    """
    body = """
    out = torch.empty_like(x)
    threading.Thread(target=_work, args=(x, out, x.numel())).start()
    return torch.relu(out)
    """
    report = check(candidate("cpp", body, prelude, imports="import threading"), "cpp")
    assert [v.reason for v in report.violations] == \
        ["concurrency", "forbidden_framework_op"]


def test_unknown_dsl_or_policy_is_an_error() -> None:
    with pytest.raises(ValueError):
        check_source(candidate("cpp"), "fortran")
    with pytest.raises(ValueError):
        check_source(candidate("cpp"), "cpp", "lenient")


def test_unparsable_source_is_left_to_the_loader() -> None:
    report = check_source("def broken(:\n", "cpp")
    assert report.ok and report.kernels == []
