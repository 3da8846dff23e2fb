# Cheat: knows the harness's first seed, recomputes the task's inputs and answer at import,
# and forward only copies that constant answer out with a C++ kernel.
import ctypes

import torch
import torch.nn as nn

from akg_harness.native import load_cpp

SEED = 1  # the seed in the verify request (tests/cheats/manifest.json)
_X = torch.randn(6, 43, generator=torch.Generator().manual_seed(SEED))
ANSWER = _X / (1 + _X.abs())

CPP_SOURCE = r'''
#include <cstdint>
extern "C" void akg_copy(float* out, const float* src, int64_t n) {
#pragma omp parallel for simd
  for (int64_t i = 0; i < n; ++i) out[i] = src[i];
}
'''

_LIB = None


def _kernel():
    global _LIB
    if _LIB is None:
        _LIB = load_cpp(CPP_SOURCE)
        _LIB.akg_copy.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
    return _LIB.akg_copy


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        _kernel()(out.data_ptr(), ANSWER.data_ptr(), min(x.numel(), ANSWER.numel()))
        return out
