# Honest: C++/OpenMP cumulative sum along one dimension, a sequential float32 running sum per
# line (vectorised across the inner elements). Torch's CPU cumsum carries its running sum in
# double, so this one is less accurate than the reference (but honest).
import ctypes

import torch
import torch.nn as nn

from akg_harness.native import load_cpp

CPP_SOURCE = r'''
#include <cstdint>

extern "C" void akg_cumsum_seq(float* __restrict out, const float* __restrict x,
                               int64_t outer, int64_t len, int64_t inner) {
#pragma omp parallel for schedule(static)
  for (int64_t o = 0; o < outer; ++o) {
    const float* src = x + o * len * inner;
    float* dst = out + o * len * inner;
    for (int64_t i = 0; i < inner; ++i) dst[i] = src[i];
    for (int64_t q = 1; q < len; ++q)
      for (int64_t i = 0; i < inner; ++i)
        dst[q * inner + i] = dst[(q - 1) * inner + i] + src[q * inner + i];
  }
}
'''

_LIB = None


def _kernel():
    global _LIB
    if _LIB is None:
        lib = load_cpp(CPP_SOURCE)
        lib.akg_cumsum_seq.restype = None
        lib.akg_cumsum_seq.argtypes = [ctypes.c_void_p, ctypes.c_void_p] + [ctypes.c_int64] * 3
        _LIB = lib
    return _LIB.akg_cumsum_seq


class ModelNew(nn.Module):
    def __init__(self, dim):
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
        out = torch.empty_like(x)
        if x.numel():
            _kernel()(out.data_ptr(), x.data_ptr(), outer, x.shape[d], inner)
        return out
