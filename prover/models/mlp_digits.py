"""A small MLP classifier for scikit-learn's 8x8 handwritten digits (64 inputs, 10 classes)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass(frozen=True)
class MLPConfig:
    hidden_sizes: tuple[int, ...] = (64,)  # width of each hidden layer, input to output
    n_inputs: int = 64  # 8x8 pixels, scaled to [0, 1]
    n_classes: int = 10  # digits 0-9


class MLPDigits(nn.Module):
    def __init__(self, config: MLPConfig):
        super().__init__()
        self.config = config
        widths = (config.n_inputs, *config.hidden_sizes, config.n_classes)
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))

    def forward(self, x: torch.Tensor, targets: torch.Tensor | None = None):
        # x: (B, 64) float, targets: (B,) int64
        for layer in self.layers[:-1]:
            x = F.relu(layer(x))  # (B, hidden)
        logits = self.layers[-1](x)  # (B, 10)
        loss = None if targets is None else F.cross_entropy(logits, targets)
        return logits, loss
