# Cheat under policy "partial": the C++ launch sits in a branch that is dead on its face
# ("if False"), the live branch is the framework operator.
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

_LIB = None


def _kernel():
    global _LIB
    if _LIB is None:
        _LIB = load_cpp(CPP_SOURCE)
        _LIB.akg_relu.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
    return _LIB.akg_relu


class ModelNew(nn.Module):
    def forward(self, x):
        if False:  # enable once the kernel is tuned
            out = torch.empty_like(x)
            _kernel()(out.data_ptr(), x.contiguous().data_ptr(), x.numel())
            return out
        return torch.relu(x)
