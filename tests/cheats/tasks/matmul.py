"""A plain matrix product, sizes that are no multiple of a 16-wide tile."""
import torch


class Model(torch.nn.Module):
    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.matmul(a, b)


def get_inputs():
    return [torch.randn(20, 24), torch.randn(24, 18)]


def get_init_inputs():
    return []
