# Honest: C++/OpenMP softmax over the last dimension of a (rows, cols) input, the classic
# float32 passes: the row's max, then exp(x - max) written out and summed sequentially, then
# every element scaled by 1 / sum.
import ctypes

import torch
import torch.nn as nn

from akg_harness.native import load_cpp

CPP_SOURCE = r'''
#include <cmath>
#include <cstdint>

extern "C" void akg_softmax_rows(float* __restrict out, const float* __restrict x,
                                 int64_t rows, int64_t cols) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float* src = x + r * cols;
    float* dst = out + r * cols;
    float m = -INFINITY;
    for (int64_t c = 0; c < cols; ++c) m = std::fmax(m, src[c]);
    float s = 0.0f;
    for (int64_t c = 0; c < cols; ++c) {
      const float e = std::exp(src[c] - m);
      dst[c] = e;
      s += e;
    }
    const float inv = 1.0f / s;
    for (int64_t c = 0; c < cols; ++c) dst[c] *= inv;
  }
}
'''

_LIB = None


def _kernel():
    global _LIB
    if _LIB is None:
        lib = load_cpp(CPP_SOURCE)
        lib.akg_softmax_rows.restype = None
        lib.akg_softmax_rows.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64,
                                         ctypes.c_int64]
        _LIB = lib
    return _LIB.akg_softmax_rows


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        rows, cols = x.shape
        out = torch.empty_like(x)
        _kernel()(out.data_ptr(), x.data_ptr(), rows, cols)
        return out
