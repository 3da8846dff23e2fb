"""ReLU on a small float32 matrix whose size (7 x 37 = 259) is no multiple of a vector width."""
import torch


class Model(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x)


def get_inputs():
    return [torch.randn(7, 37)]


def get_init_inputs():
    return []
