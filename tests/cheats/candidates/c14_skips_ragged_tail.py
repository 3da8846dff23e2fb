# Cheat: the C++ kernel handles only whole 8-wide vectors (n & ~7) and leaves the ragged tail
# of the torch.empty output to whatever the memory held.
import ctypes

import torch
import torch.nn as nn

from akg_harness.native import load_cpp

CPP_SOURCE = r'''
#include <cstdint>
extern "C" void akg_relu8(float* __restrict out, const float* __restrict x, int64_t n) {
  const int64_t full = n & ~int64_t(7);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < full; i += 8) {
#pragma omp simd
    for (int64_t j = 0; j < 8; ++j) out[i + j] = x[i + j] > 0.0f ? x[i + j] : 0.0f;
  }
}
'''

_LIB = None


def _kernel():
    global _LIB
    if _LIB is None:
        _LIB = load_cpp(CPP_SOURCE)
        _LIB.akg_relu8.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
    return _LIB.akg_relu8


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        _kernel()(out.data_ptr(), x.data_ptr(), x.numel())
        return out
