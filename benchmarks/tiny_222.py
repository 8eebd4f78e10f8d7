"""The 2-2-2 sigmoid network worked by hand in backpropagation tutorials, one sample a step.

Inputs 0.05/0.10, targets 0.01/0.99, hidden weights 0.15/0.20/0.25/0.30, output
weights 0.40/0.45/0.50/0.55, biases 0.35 (hidden) and 0.60 (output) which stay fixed
as in the tutorial (``requires_grad=False`` in both frameworks), loss ½Σ(t − o)²,
SGD lr 0.5 on the eight weights. Each array holds two or four numbers, so a step costs
almost nothing but each framework's fixed cost per op call: this measures
per-op overhead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from common import training_step

NAME = "tiny_222"
DESCRIPTION = ("2-2-2 sigmoid net, fixed biases, 1 sample/step, loss ½Σ(t−o)², SGD lr 0.5 "
               "(per-op overhead)")
UNIT = "steps/s"
SAMPLES_PER_STEP = 1
TARGET = 5.0
LR = 0.5

X = np.array([[0.05, 0.10]], dtype=np.float32)
T = np.array([[0.01, 0.99]], dtype=np.float32)
W1 = np.array([[0.15, 0.20], [0.25, 0.30]], dtype=np.float32)  # (out, in) as nn.Linear
B1 = np.array([0.35, 0.35], dtype=np.float32)
W2 = np.array([[0.40, 0.45], [0.50, 0.55]], dtype=np.float32)
B2 = np.array([0.60, 0.60], dtype=np.float32)


def _half_squared_error(out: Any, t: Any) -> Any:
    return 0.5 * ((t - out) ** 2).sum()


def _set(layer: Any, weight: Any, bias: Any) -> None:
    layer.weight.data[...] = weight
    layer.bias.data[...] = bias


def build_torch(seed: int = 0) -> Any:
    import torch

    model = torch.nn.Sequential(
        torch.nn.Linear(2, 2), torch.nn.Sigmoid(), torch.nn.Linear(2, 2), torch.nn.Sigmoid()
    )
    with torch.no_grad():
        for layer, w, b in ((model[0], W1, B1), (model[2], W2, B2)):
            layer.weight.copy_(torch.from_numpy(w))
            layer.bias.copy_(torch.from_numpy(b))
            layer.bias.requires_grad_(False)
    x, t = torch.from_numpy(X), torch.from_numpy(T)
    opt = torch.optim.SGD([model[0].weight, model[2].weight], lr=LR)
    return training_step(model, _half_squared_error, opt, x, t)


def build_backprop(seed: int = 0) -> Any:
    import backprop as bp
    from backprop import nn, optim

    model = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 2), nn.Sigmoid())
    _set(model[0], W1, B1)
    _set(model[2], W2, B2)
    model[0].bias.requires_grad_(False)
    model[2].bias.requires_grad_(False)
    x, t = bp.from_numpy(X.copy()), bp.from_numpy(T.copy())
    opt = optim.SGD([model[0].weight, model[2].weight], lr=LR)
    return training_step(model, _half_squared_error, opt, x, t)
