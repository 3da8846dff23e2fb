# Honest: C++/OpenMP matmul that accumulates every dot product in double (a row of double
# accumulators, i-k-j order) and rounds once to float32 at the end: more accurate than torch's
# float32 BLAS, so it differs from torch's result by torch's own rounding error.
import ctypes

import torch
import torch.nn as nn

from akg_harness.native import load_cpp

CPP_SOURCE = r'''
#include <cstdint>
#include <vector>

extern "C" void akg_matmul_f64acc(float* __restrict c, const float* __restrict a,
                                  const float* __restrict b, int64_t m, int64_t k, int64_t n) {
#pragma omp parallel
  {
    std::vector<double> acc(n);
#pragma omp for schedule(static)
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) acc[j] = 0.0;
      for (int64_t p = 0; p < k; ++p) {
        const double av = a[i * k + p];
        const float* brow = b + p * n;
        for (int64_t j = 0; j < n; ++j) acc[j] += av * (double)brow[j];
      }
      for (int64_t j = 0; j < n; ++j) c[i * n + j] = (float)acc[j];
    }
  }
}
'''

_LIB = None


def _kernel():
    global _LIB
    if _LIB is None:
        lib = load_cpp(CPP_SOURCE)
        lib.akg_matmul_f64acc.restype = None
        lib.akg_matmul_f64acc.argtypes = [ctypes.c_void_p] * 3 + [ctypes.c_int64] * 3
        _LIB = lib
    return _LIB.akg_matmul_f64acc


class ModelNew(nn.Module):
    def forward(self, A, B):
        A, B = A.contiguous(), B.contiguous()
        m, k = A.shape
        n = B.shape[1]
        out = torch.empty((m, n), dtype=A.dtype, device=A.device)
        _kernel()(out.data_ptr(), A.data_ptr(), B.data_ptr(), m, k, n)
        return out
