# Honest: C++/OpenMP online (one-pass) softmax over the last dimension: a running max and a
# running sum rescaled by exp(old_max - new_max) whenever the max grows, in float32; then one
# pass writes exp(x - max) / sum.
import ctypes

import torch
import torch.nn as nn

from akg_harness.native import load_cpp

CPP_SOURCE = r'''
#include <cmath>
#include <cstdint>

extern "C" void akg_softmax_online(float* __restrict out, const float* __restrict x,
                                   int64_t rows, int64_t cols) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float* src = x + r * cols;
    float* dst = out + r * cols;
    float m = -INFINITY, d = 0.0f;
    for (int64_t c = 0; c < cols; ++c) {
      const float v = src[c];
      if (v > m) {
        d = d * std::exp(m - v) + 1.0f;
        m = v;
      } else {
        d += std::exp(v - m);
      }
    }
    for (int64_t c = 0; c < cols; ++c) dst[c] = std::exp(src[c] - m) / d;
  }
}
'''

_LIB = None


def _kernel():
    global _LIB
    if _LIB is None:
        lib = load_cpp(CPP_SOURCE)
        lib.akg_softmax_online.restype = None
        lib.akg_softmax_online.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64,
                                           ctypes.c_int64]
        _LIB = lib
    return _LIB.akg_softmax_online


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        rows, cols = x.shape
        out = torch.empty_like(x)
        _kernel()(out.data_ptr(), x.data_ptr(), rows, cols)
        return out
