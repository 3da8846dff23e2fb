"""The sanctioned native loaders: the counting proxy, load_cuda, and the no-op switch."""
import ctypes
import shutil

import pytest

from akg_harness import native, runtime_proof

ADD = 'extern "C" int add(int a, int b) { return a + b; }\n'


def test_load_cpp_returns_a_counting_proxy_that_behaves_like_ctypes():
    lib = native.load_cpp(ADD)
    fn = lib.add
    fn.argtypes = (ctypes.c_int, ctypes.c_int)
    fn.restype = ctypes.c_int
    assert lib["add"] is fn and lib.add.argtypes == (ctypes.c_int, ctypes.c_int)
    counter = runtime_proof.LaunchCounter()
    before = counter.snapshot()
    assert lib.add(2, 3) == 5 and fn(4, 5) == 9
    assert counter.since(before) == {"native:add": 2}
    assert lib._name.endswith(".so")  # private attributes reach the CDLL
    with pytest.raises(AttributeError):
        lib.no_such_function  # noqa: B018


def test_noop_mode_skips_native_calls_but_counts_them():
    lib = native.load_cpp(ADD)
    lib.add.restype = ctypes.c_int
    counter = runtime_proof.LaunchCounter()
    before = counter.snapshot()
    with runtime_proof.noop([]):
        assert lib.add(2, 3) == 0
    assert lib.add(2, 3) == 5
    assert counter.since(before) == {"native:add": 2}


def test_an_inlined_copy_of_the_hook_in_a_candidate_module_is_read():
    class Module:  # stands for a final kernel file that inlines native.py
        _AKG_NATIVE_HOOK = {"calls": {"native:k": 3}, "noop": False}

    counter = runtime_proof.LaunchCounter([Module])  # type: ignore[list-item]
    before = counter.snapshot()
    Module._AKG_NATIVE_HOOK["calls"]["native:k"] += 2
    assert counter.since(before) == {"native:k": 2}


def test_load_cpp_compile_failure_is_a_compile_error():
    with pytest.raises(native.CompileError, match="error"):
        native.load_cpp('extern "C" int broken( { }')


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="needs nvcc")
def test_load_cuda_compiles_with_nvcc_and_reports_errors():
    source = ('__global__ void k(float* x) { x[threadIdx.x] += 1.0f; }\n'
              'extern "C" int launch(float* x) { k<<<1, 32>>>(x); return 0; }\n')
    lib = native.load_cuda(source)
    assert isinstance(lib, native.KernelLibrary) and lib.launch.restype is ctypes.c_int
    with pytest.raises(native.CompileError, match="error"):
        native.load_cuda("__global__ void k( {")


NVCC_OUTPUT = """/tmp/cache/k_abc.cu(4): warning #177-D: variable "unused" was declared but never referenced
    int unused = 3;
        ^

Remark: The warnings can be suppressed with "-diag-suppress <warning-number>"

""" + "".join(f"""/tmp/cache/k_abc.cu({n}): error: identifier "y{n}" is undefined
    x[0] = y{n} + 1;
           ^

""" for n in range(5, 17)) + """12 errors detected in the compilation of "/tmp/cache/k_abc.cu".
"""


def test_nvcc_digest_keeps_the_first_errors_with_their_source_lines():
    digest = native.nvcc_digest(NVCC_OUTPUT, "/tmp/cache/k_abc.cu")
    assert digest.startswith('kernel.cu(5): error: identifier "y5" is undefined\n    x[0] = y5 + 1;')
    assert "warning" not in digest and "/tmp/cache" not in digest
    assert digest.count(": error:") == native.NVCC_ERRORS_KEPT
    assert "... and 4 more errors" in digest
    assert digest.endswith('12 errors detected in the compilation of "kernel.cu".')


def test_nvcc_digest_without_errors_keeps_the_output():
    assert native.nvcc_digest("nvcc fatal   : Unsupported gpu architecture 'sm_1'") == \
        "nvcc fatal   : Unsupported gpu architecture 'sm_1'"


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="needs nvcc")
def test_load_cuda_compile_error_names_the_line_not_the_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("AKG_KERNEL_CACHE", str(tmp_path))
    monkeypatch.setenv("AKG_CUDA_ARCH", "sm_90")
    with pytest.raises(native.CompileError) as e:
        native.load_cuda("__global__ void k(float* x) {\n  x[0] = missing + 1.0f;\n}\n")
    message = str(e.value)
    assert 'kernel.cu(2): error: identifier "missing" is undefined' in message
    assert str(tmp_path) not in message
