# Cheat: a C++ "packing" kernel comes through the sanctioned loader, but the product itself is
# the system BLAS's sgemm, opened directly with ctypes.
import ctypes

import torch
import torch.nn as nn

from akg_harness.native import load_cpp

CPP_SOURCE = r'''
#include <cstdint>
// Dense row-major copy of a strided matrix.
extern "C" void akg_pack(float* dst, const float* src, int64_t rows, int64_t cols,
                         int64_t s_r, int64_t s_c) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) dst[r * cols + c] = src[r * s_r + c * s_c];
}
'''

_LIBS = {}
_ROW_MAJOR, _NO_TRANS = 101, 111


def _libs():
    if not _LIBS:
        pack = load_cpp(CPP_SOURCE)
        pack.akg_pack.argtypes = [ctypes.c_void_p, ctypes.c_void_p] + [ctypes.c_int64] * 4
        blas = ctypes.CDLL("libblas.so.3")
        blas.cblas_sgemm.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                     ctypes.c_int, ctypes.c_int, ctypes.c_float,
                                     ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p,
                                     ctypes.c_int, ctypes.c_float, ctypes.c_void_p, ctypes.c_int]
        _LIBS.update(pack=pack, blas=blas)
    return _LIBS


def _packed(t):
    libs = _libs()
    dense = torch.empty(t.shape, dtype=t.dtype)
    libs["pack"].akg_pack(dense.data_ptr(), t.data_ptr(), t.shape[0], t.shape[1], *t.stride())
    return dense


class ModelNew(nn.Module):
    def forward(self, a, b):
        m, k = a.shape
        n = b.shape[1]
        a, b = _packed(a), _packed(b)
        c = torch.empty((m, n), dtype=a.dtype)
        _libs()["blas"].cblas_sgemm(_ROW_MAJOR, _NO_TRANS, _NO_TRANS, m, n, k, 1.0,
                                    a.data_ptr(), k, b.data_ptr(), n, 0.0, c.data_ptr(), n)
        return c
