# Cheat: the C++ kernel rewrites the input in place through a flat view and forward returns a
# reshaped view of it: a different tensor object that shares the input's storage.
import ctypes

import torch.nn as nn

from akg_harness.native import load_cpp

CPP_SOURCE = r'''
#include <cstdint>
extern "C" void akg_relu_inplace(float* x, int64_t n) {
#pragma omp parallel for simd
  for (int64_t i = 0; i < n; ++i) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
}
'''

_LIB = None


def _kernel():
    global _LIB
    if _LIB is None:
        _LIB = load_cpp(CPP_SOURCE)
        _LIB.akg_relu_inplace.argtypes = [ctypes.c_void_p, ctypes.c_int64]
    return _LIB.akg_relu_inplace


class ModelNew(nn.Module):
    def forward(self, x):
        flat = x.view(-1)
        _kernel()(flat.data_ptr(), flat.numel())
        return flat.view(x.shape)
