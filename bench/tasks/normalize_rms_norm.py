"""RMSNorm written out: x * rsqrt(mean(x^2) + eps) * weight, the weight an nn.Parameter."""
# H200 eager estimate: ~2.4 ms (pow, mean, add+rsqrt, two muls over 256M fp32: ~8.6 GB at ~3.6 TB/s; measured 2.4 ms)
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, hidden: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(1.0 + 0.1 * torch.randn(hidden))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + self.eps)
        return x * scale * self.weight


tokens = 32768
hidden = 8192


def get_inputs():
    return [torch.randn(tokens, hidden)]


def get_init_inputs():
    return [hidden, 1e-6]
