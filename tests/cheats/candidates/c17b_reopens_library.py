# Cheat: compiles through the sanctioned loader, then opens the same shared object a second
# time with ctypes and calls that handle (out of sight of anything that wraps the loader).
import ctypes

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

_HANDLE = None


def _kernel():
    global _HANDLE
    if _HANDLE is None:
        built = load_cpp(CPP_SOURCE)
        _HANDLE = ctypes.CDLL(built._name, mode=ctypes.RTLD_GLOBAL)
        _HANDLE.akg_relu.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
    return _HANDLE.akg_relu


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        _kernel()(out.data_ptr(), x.data_ptr(), x.numel())
        return out
