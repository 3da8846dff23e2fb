# Honest: C++/OpenMP sum over one dimension (keepdim) as a pairwise (tree) float32 sum: the
# slab of one outer index is copied to scratch and halved in place (stride 1, 2, 4, ...; an odd
# element left over is carried to the next level), so each output is a balanced binary tree of
# float32 additions.
import ctypes

import torch
import torch.nn as nn

from akg_harness.native import load_cpp

CPP_SOURCE = r'''
#include <cstdint>
#include <vector>

extern "C" void akg_sum_tree(float* __restrict out, const float* __restrict x, int64_t outer,
                             int64_t r, int64_t inner) {
#pragma omp parallel
  {
    std::vector<float> buf(r * inner);
#pragma omp for schedule(static)
    for (int64_t o = 0; o < outer; ++o) {
      const float* src = x + o * r * inner;
      for (int64_t e = 0; e < r * inner; ++e) buf[e] = src[e];
      for (int64_t step = 1; step < r; step *= 2)
        for (int64_t q = 0; q + step < r; q += 2 * step) {
          float* lo = buf.data() + q * inner;
          const float* hi = buf.data() + (q + step) * inner;
          for (int64_t i = 0; i < inner; ++i) lo[i] += hi[i];
        }
      float* dst = out + o * inner;
      for (int64_t i = 0; i < inner; ++i) dst[i] = r ? buf[i] : 0.0f;
    }
  }
}
'''

_LIB = None


def _kernel():
    global _LIB
    if _LIB is None:
        lib = load_cpp(CPP_SOURCE)
        lib.akg_sum_tree.restype = None
        lib.akg_sum_tree.argtypes = [ctypes.c_void_p, ctypes.c_void_p] + [ctypes.c_int64] * 3
        _LIB = lib
    return _LIB.akg_sum_tree


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
