# Honest: C++ softsign; the compiled library is memoised with functools.lru_cache (another
# common lazy-load pattern). Must pass and must not be taken for a result cache.
import ctypes
import functools

import torch
import torch.nn as nn

from akg_harness.native import load_cpp

CPP_SOURCE = r'''
#include <cmath>
#include <cstdint>

extern "C" void akg_softsign(float* __restrict out, const float* __restrict x, int64_t n) {
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    out[i] = v / (1.0f + std::fabs(v));
  }
}
'''


@functools.lru_cache(maxsize=None)
def _kernel():
    lib = load_cpp(CPP_SOURCE)
    lib.akg_softsign.restype = None
    lib.akg_softsign.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
    return lib.akg_softsign


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty(x.shape, dtype=x.dtype, device=x.device)
        _kernel()(out.data_ptr(), x.data_ptr(), x.numel())
        return out
