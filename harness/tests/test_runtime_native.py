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
