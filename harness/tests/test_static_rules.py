"""Static integrity rules (docs/INTEGRITY.md), part 1: honest kernels pass; launches and framework ops."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from akg_harness import native
from akg_harness.integrity import StaticReport, Violation, check_source
from static_rules_helpers import *  # noqa: F401,F403  (templates and helpers shared by both files)

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
