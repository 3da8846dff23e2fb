# Honest: C++ gelu(x) * 2 + bias with the bias broadcast through zero strides; the compiled
# libraries live in a module-level dict keyed by kernel name (lazy load). Must pass.
import ctypes

import torch
import torch.nn as nn

from akg_harness.native import load_cpp

SOURCES = {
    "gelu2_bias": r'''
#include <cmath>
#include <cstdint>

// out[i0, i1, i2] = gelu(x[i0, i1, i2]) * 2 + b[i0 * sb0 + i1 * sb1 + i2 * sb2]
extern "C" void akg_gelu2_bias(float* __restrict out, const float* __restrict x,
                               const float* __restrict b, const int64_t* size,
                               const int64_t* bstride) {
  const int64_t d0 = size[0], d1 = size[1], d2 = size[2];
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t i0 = 0; i0 < d0; ++i0) {
    for (int64_t i1 = 0; i1 < d1; ++i1) {
      const int64_t row = (i0 * d1 + i1) * d2;
      const float* brow = b + i0 * bstride[0] + i1 * bstride[1];
      for (int64_t i2 = 0; i2 < d2; ++i2) {
        const float v = x[row + i2];
        const float g = v * 0.5f * (1.0f + std::erf(v * 0.70710678118654752f));
        out[row + i2] = g * 2.0f + brow[i2 * bstride[2]];
      }
    }
  }
}
''',
}

_LIBS = {}


def _kernel(name):
    lib = _LIBS.get(name)
    if lib is None:
        lib = load_cpp(SOURCES[name], extra_flags=("-ffp-contract=off",))
        fn = getattr(lib, "akg_" + name)
        fn.restype = None
        fn.argtypes = [ctypes.c_void_p] * 5
        _LIBS[name] = lib
    return getattr(lib, "akg_" + name)


class ModelNew(nn.Module):
    def forward(self, x, bias):
        shape = torch.broadcast_shapes(x.shape, bias.shape)
        if len(shape) != 3:
            raise ValueError(f"this kernel handles rank-3 outputs, not {list(shape)}")
        xv = x.expand(shape).contiguous()
        bv = bias.expand(shape)
        out = torch.empty(shape, dtype=torch.float32, device=x.device)
        sizes = (ctypes.c_int64 * 3)(*shape)
        strides = (ctypes.c_int64 * 3)(*bv.stride())
        _kernel("gelu2_bias")(out.data_ptr(), xv.data_ptr(), bv.data_ptr(), sizes, strides)
        return out
