"""KernelBench level 1 problem 95 (cross-entropy loss), smaller: 2048 rows of 100 classes
(torch.rand logits), integer targets, mean reduction (a 0-dim output)."""
import torch
import torch.nn as nn


class Model(nn.Module):
    """A model that computes Cross Entropy Loss for multi-class classification tasks."""

    def __init__(self):
        super(Model, self).__init__()

    def forward(self, predictions, targets):
        return torch.nn.functional.cross_entropy(predictions, targets)


batch_size = 2048
num_classes = 100
input_shape = (num_classes,)
dim = 1


def get_inputs():
    return [torch.rand(batch_size, *input_shape), torch.randint(0, num_classes, (batch_size,))]


def get_init_inputs():
    return []
