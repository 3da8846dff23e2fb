# Honest: C++/OpenMP LayerNorm over the trailing normalized_shape dimensions in two passes in
# double (the mean, then the mean of squared deviations), the output computed in double and
# rounded once to float32.
import ctypes

import torch
import torch.nn as nn

from akg_harness.native import load_cpp

CPP_SOURCE = r'''
#include <cmath>
#include <cstdint>

extern "C" void akg_layernorm_f64(float* __restrict out, const float* __restrict x,
                                  const float* __restrict w, const float* __restrict b,
                                  int64_t rows, int64_t n, double eps) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float* src = x + r * n;
    float* dst = out + r * n;
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += (double)src[i];
    const double mean = sum / (double)n;
    double sq = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      const double d = (double)src[i] - mean;
      sq += d * d;
    }
    const double rstd = 1.0 / std::sqrt(sq / (double)n + eps);
    for (int64_t i = 0; i < n; ++i)
      dst[i] = (float)(((double)src[i] - mean) * rstd * (double)w[i] + (double)b[i]);
  }
}
'''

_LIB = None


def _kernel():
    global _LIB
    if _LIB is None:
        lib = load_cpp(CPP_SOURCE)
        lib.akg_layernorm_f64.restype = None
        lib.akg_layernorm_f64.argtypes = [ctypes.c_void_p] * 4 + [
            ctypes.c_int64, ctypes.c_int64, ctypes.c_double]
        _LIB = lib
    return _LIB.akg_layernorm_f64


class ModelNew(nn.Module):
    def __init__(self, normalized_shape: tuple):
        super().__init__()
        self.eps = 1e-5
        self.weight = nn.Parameter(torch.ones(tuple(normalized_shape)))
        self.bias = nn.Parameter(torch.zeros(tuple(normalized_shape)))

    def forward(self, x):
        x = x.contiguous()
        n = self.weight.numel()
        out = torch.empty_like(x)
        w, b = self.weight.contiguous(), self.bias.contiguous()
        _kernel()(out.data_ptr(), x.data_ptr(), w.data_ptr(), b.data_ptr(), x.numel() // n, n,
                  self.eps)
        return out
