"""Static integrity rules (docs/INTEGRITY.md), part 2: policy, try/except, concurrency, streams, patching, I/O, native code, state, L2."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from akg_harness import native
from akg_harness.integrity import StaticReport, Violation, check_source
from static_rules_helpers import *  # noqa: F401,F403  (templates and helpers shared by both files)

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
