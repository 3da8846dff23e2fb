"""KL divergence with batchmean reduction between two distributions given as logits:
F.kl_div(log_softmax(x), log_softmax(t), reduction="batchmean", log_target=True)."""
# H200 eager estimate: ~1.8 ms (two log_softmax passes over 128M fp32 each (r+w 1 GiB), the pointwise term (r 1 GiB, w 0.5 GiB) and its sum: ~5.4 GB at ~3 TB/s; measured 1.8 ms)
import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, logits: torch.Tensor, target_logits: torch.Tensor) -> torch.Tensor:
        log_q = F.log_softmax(logits, dim=self.dim)
        log_p = F.log_softmax(target_logits, dim=self.dim)
        return F.kl_div(log_q, log_p, reduction="batchmean", log_target=True)


batch_size = 8192
classes = 16384


def get_inputs():
    return [torch.randn(batch_size, classes), torch.randn(batch_size, classes)]


def get_init_inputs():
    return [-1]
