# Honest: C++/OpenMP cumulative sum along one dimension as a two-level float32 scan: each
# block of 128 elements is scanned locally, the block totals are scanned, and each element
# adds its block's offset (the work-efficient GPU layout, run on the CPU).
import ctypes

import torch
import torch.nn as nn

from akg_harness.native import load_cpp

CPP_SOURCE = r'''
#include <cstdint>
#include <vector>

extern "C" void akg_cumsum_blocked(float* __restrict out, const float* __restrict x,
                                   int64_t outer, int64_t len, int64_t inner) {
  const int64_t B = 128;
  const int64_t nblocks = (len + B - 1) / B;
#pragma omp parallel
  {
    std::vector<float> offset(nblocks);
#pragma omp for schedule(static)
    for (int64_t line = 0; line < outer * inner; ++line) {
      const int64_t o = line / inner, i = line % inner;
      const float* src = x + o * len * inner + i;
      float* dst = out + o * len * inner + i;
      for (int64_t blk = 0; blk < nblocks; ++blk) {  // local scans
        const int64_t q0 = blk * B, q1 = q0 + B < len ? q0 + B : len;
        float s = 0.0f;
        for (int64_t q = q0; q < q1; ++q) {
          s += src[q * inner];
          dst[q * inner] = s;
        }
        offset[blk] = s;
      }
      float run = 0.0f;  // exclusive scan of the block totals
      for (int64_t blk = 0; blk < nblocks; ++blk) {
        const float total = offset[blk];
        offset[blk] = run;
        run += total;
      }
      for (int64_t blk = 1; blk < nblocks; ++blk) {
        const int64_t q0 = blk * B, q1 = q0 + B < len ? q0 + B : len;
        for (int64_t q = q0; q < q1; ++q) dst[q * inner] += offset[blk];
      }
    }
  }
}
'''

_LIB = None


def _kernel():
    global _LIB
    if _LIB is None:
        lib = load_cpp(CPP_SOURCE)
        lib.akg_cumsum_blocked.restype = None
        lib.akg_cumsum_blocked.argtypes = [ctypes.c_void_p, ctypes.c_void_p] + [
            ctypes.c_int64] * 3
        _LIB = lib
    return _LIB.akg_cumsum_blocked


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
