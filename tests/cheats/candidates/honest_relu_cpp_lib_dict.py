# Honest: C++ ReLU whose compiled library is kept in a module-level dict and reached by
# subscript (lazy load on first use). Must pass: neither stateful nor "not launched".
import ctypes

import torch
import torch.nn as nn

from akg_harness.native import load_cpp

CPP_SOURCE = r'''
#include <cstdint>
extern "C" void akg_relu(float* __restrict out, const float* __restrict x, int64_t n) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] > 0.0f ? x[i] : 0.0f;
}
'''

_LIBS = {}


def _libs():
    if "relu" not in _LIBS:
        lib = load_cpp(CPP_SOURCE)
        lib.akg_relu.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
        lib.akg_relu.restype = None
        _LIBS["relu"] = lib
    return _LIBS


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        _libs()["relu"].akg_relu(out.data_ptr(), x.data_ptr(), x.numel())
        return out
