# Honest: C++/OpenMP LayerNorm over the trailing normalized_shape dimensions: one Welford pass
# per row in float32 (running mean and M2), biased variance, then (x - mean) * rstd * weight +
# bias. normalized_shape comes from the init inputs, the row count from the input.
import ctypes

import torch
import torch.nn as nn

from akg_harness.native import load_cpp

CPP_SOURCE = r'''
#include <cmath>
#include <cstdint>

extern "C" void akg_layernorm_welford(float* __restrict out, const float* __restrict x,
                                      const float* __restrict w, const float* __restrict b,
                                      int64_t rows, int64_t n, float eps) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float* src = x + r * n;
    float* dst = out + r * n;
    float mean = 0.0f, m2 = 0.0f;
    for (int64_t i = 0; i < n; ++i) {
      const float v = src[i];
      const float delta = v - mean;
      mean += delta / (float)(i + 1);
      m2 += delta * (v - mean);
    }
    const float rstd = 1.0f / std::sqrt(m2 / (float)n + eps);
    for (int64_t i = 0; i < n; ++i) dst[i] = (src[i] - mean) * rstd * w[i] + b[i];
  }
}
'''

_LIB = None


def _kernel():
    global _LIB
    if _LIB is None:
        lib = load_cpp(CPP_SOURCE)
        lib.akg_layernorm_welford.restype = None
        lib.akg_layernorm_welford.argtypes = [ctypes.c_void_p] * 4 + [
            ctypes.c_int64, ctypes.c_int64, ctypes.c_float]
        _LIB = lib
    return _LIB.akg_layernorm_welford


class ModelNew(nn.Module):
    def __init__(self, normalized_shape: tuple):
        super().__init__()
        self.normalized_shape = tuple(normalized_shape)
        self.eps = 1e-5
        self.weight = nn.Parameter(torch.ones(self.normalized_shape))
        self.bias = nn.Parameter(torch.zeros(self.normalized_shape))

    def forward(self, x):
        x = x.contiguous()
        n = self.weight.numel()
        out = torch.empty_like(x)
        w, b = self.weight.contiguous(), self.bias.contiguous()
        _kernel()(out.data_ptr(), x.data_ptr(), w.data_ptr(), b.data_ptr(), x.numel() // n, n,
                  self.eps)
        return out
