# Honest: C++/OpenMP ReLU, compiled once and kept in a module global (the builtin model's
# lazy-load pattern). Must pass, and the library global must not count as forward state.
import ctypes

import torch
import torch.nn as nn

from akg_harness.native import load_cpp

CPP_SOURCE = r'''
#include <cstdint>

extern "C" void akg_relu(float* __restrict out, const float* __restrict x, int64_t n) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    out[i] = v > 0.0f ? v : 0.0f;
  }
}
'''

_LIB = None


def _kernel():
    global _LIB
    if _LIB is None:
        lib = load_cpp(CPP_SOURCE)
        lib.akg_relu.restype = None
        lib.akg_relu.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
        _LIB = lib
    return _LIB.akg_relu


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        if x.dtype != torch.float32 or x.device.type != "cpu":
            raise TypeError(f"this kernel takes float32 CPU tensors, not {x.dtype} on {x.device}")
        x = x.contiguous()
        out = torch.empty_like(x)
        if out.numel():
            _kernel()(out.data_ptr(), x.data_ptr(), x.numel())
        return out
