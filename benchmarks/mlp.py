"""MLP 784-512-512-10 with ReLU, cross-entropy, SGD momentum 0.9, batch 128, float32.

The workload of issue 2: mostly three matrix products forward and six backward
(OpenBLAS against PyTorch's MKL-DNN/OpenBLAS), plus the optimizer's passes over
~670k parameters.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from common import copy_torch_weights, training_step

NAME = "mlp"
DESCRIPTION = "MLP 784-512-512-10 ReLU, cross-entropy, SGD momentum 0.9, batch 128, float32"
UNIT = "samples/s"
BATCH = 128
SAMPLES_PER_STEP = BATCH
TARGET = 0.8
SIZES = (784, 512, 512, 10)
LR, MOMENTUM = 0.01, 0.9


def _data(seed: int) -> tuple[Any, Any]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], size=BATCH).astype(np.int64)
    return x, y


def _torch_model(seed: int) -> Any:
    import torch

    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Linear(SIZES[0], SIZES[1]), torch.nn.ReLU(),
        torch.nn.Linear(SIZES[1], SIZES[2]), torch.nn.ReLU(),
        torch.nn.Linear(SIZES[2], SIZES[3]),
    )


def build_torch(seed: int = 0) -> Any:
    import torch

    model = _torch_model(seed)
    x, y = (torch.from_numpy(a) for a in _data(seed))
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    return training_step(model, torch.nn.CrossEntropyLoss(), opt, x, y)


def build_backprop(seed: int = 0) -> Any:
    import backprop as bp
    from backprop import nn, optim

    model = nn.Sequential(
        nn.Linear(SIZES[0], SIZES[1]), nn.ReLU(),
        nn.Linear(SIZES[1], SIZES[2]), nn.ReLU(),
        nn.Linear(SIZES[2], SIZES[3]),
    )
    copy_torch_weights(model, _torch_model(seed))
    x, y = (bp.from_numpy(a) for a in _data(seed))
    opt = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    return training_step(model, nn.CrossEntropyLoss(), opt, x, y)
