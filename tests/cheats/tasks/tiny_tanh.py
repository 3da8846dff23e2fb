"""An operator with tiny outputs (|y| <= 1e-5): an all-zero answer is within fp32's atol."""
import torch


class Model(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x) * 1e-5


def get_inputs():
    return [torch.randn(5, 29)]


def get_init_inputs():
    return []
