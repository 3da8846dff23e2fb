"""nn.LayerNorm over the last dimension, with its weight and bias as parameters."""
# H200 eager estimate: ~1.6 ms (one kernel, reads+writes 512M fp32 = 4 GiB: ~4.3 GB at ~2.7 TB/s; measured 1.6 ms)
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, hidden: int, eps: float):
        super().__init__()
        self.norm = nn.LayerNorm(hidden, eps=eps)
        with torch.no_grad():  # parameters away from the 1/0 default, so they matter
            self.norm.weight.copy_(1.0 + 0.1 * torch.randn(hidden))
            self.norm.bias.copy_(0.1 * torch.randn(hidden))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x)


tokens = 65536
hidden = 8192


def get_inputs():
    return [torch.randn(tokens, hidden)]


def get_init_inputs():
    return [hidden, 1e-5]
