# Honest: C++/OpenMP sum over one dimension (keepdim), a plain sequential float32 loop over
# the reduced dimension per output element (vectorised across the kept inner elements, which
# leaves each element's order sequential). Torch sums the same terms in another order.
import ctypes

import torch
import torch.nn as nn

from akg_harness.native import load_cpp

CPP_SOURCE = r'''
#include <cstdint>

extern "C" void akg_sum_seq(float* __restrict out, const float* __restrict x, int64_t outer,
                            int64_t r, int64_t inner) {
#pragma omp parallel for schedule(static)
  for (int64_t o = 0; o < outer; ++o) {
    float* dst = out + o * inner;
    const float* src = x + o * r * inner;
    for (int64_t i = 0; i < inner; ++i) dst[i] = 0.0f;
    for (int64_t q = 0; q < r; ++q)
      for (int64_t i = 0; i < inner; ++i) dst[i] += src[q * inner + i];
  }
}
'''

_LIB = None


def _kernel():
    global _LIB
    if _LIB is None:
        lib = load_cpp(CPP_SOURCE)
        lib.akg_sum_seq.restype = None
        lib.akg_sum_seq.argtypes = [ctypes.c_void_p, ctypes.c_void_p] + [ctypes.c_int64] * 3
        _LIB = lib
    return _LIB.akg_sum_seq


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
