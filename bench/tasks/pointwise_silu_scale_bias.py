"""SiLU times a per-feature scale plus a per-feature bias, both broadcast over the rows."""
# H200 eager estimate: ~1.0 ms (3 eager kernels over 128M fp32, each ~1 GiB of traffic: ~3.2 GB at ~3.2 TB/s; measured 1.03 ms)
import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor, scale: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        return F.silu(x) * scale + bias


batch_size = 16384
features = 8192


def get_inputs():
    return [torch.randn(batch_size, features), torch.randn(features), torch.randn(features)]


def get_init_inputs():
    return []
