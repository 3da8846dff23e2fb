# Honest: C++/OpenMP sum over one dimension (keepdim) accumulated in double and rounded once
# to float32: more accurate than torch's float32 sum.
import ctypes

import torch
import torch.nn as nn

from akg_harness.native import load_cpp

CPP_SOURCE = r'''
#include <cstdint>
#include <vector>

extern "C" void akg_sum_f64(float* __restrict out, const float* __restrict x, int64_t outer,
                            int64_t r, int64_t inner) {
#pragma omp parallel
  {
    std::vector<double> acc(inner);
#pragma omp for schedule(static)
    for (int64_t o = 0; o < outer; ++o) {
      const float* src = x + o * r * inner;
      for (int64_t i = 0; i < inner; ++i) acc[i] = 0.0;
      for (int64_t q = 0; q < r; ++q)
        for (int64_t i = 0; i < inner; ++i) acc[i] += (double)src[q * inner + i];
      for (int64_t i = 0; i < inner; ++i) out[o * inner + i] = (float)acc[i];
    }
  }
}
'''

_LIB = None


def _kernel():
    global _LIB
    if _LIB is None:
        lib = load_cpp(CPP_SOURCE)
        lib.akg_sum_f64.restype = None
        lib.akg_sum_f64.argtypes = [ctypes.c_void_p, ctypes.c_void_p] + [ctypes.c_int64] * 3
        _LIB = lib
    return _LIB.akg_sum_f64


class ModelNew(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        x = x.contiguous()
        d = self.dim % x.dim()
        outer, inner = 1, 1
        for s in x.shape[:d]:
            outer *= s
        for s in x.shape[d + 1:]:
            inner *= s
        shape = list(x.shape)
        shape[d] = 1
        out = torch.empty(shape, dtype=x.dtype, device=x.device)
        _kernel()(out.data_ptr(), x.data_ptr(), outer, x.shape[d], inner)
        return out
