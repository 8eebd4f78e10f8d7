"""Character LSTM: Embedding(65,64)-LSTM(64,256,batch_first)-Linear(256,65), Adam, float32.

Sequences of 64 characters, batch 32, cross-entropy over every position. The
work is the LSTM's: the input projections of all 64 steps in one product, then
64 recurrent products h W_hhᵀ (32×256 by 256×1024) forward and 64 δ W_hh
backward, one product each for ∂L/∂W_hh and ∂L/∂W_ih over all steps, and the
cell's point-wise math per step (numba kernels when numba is installed).

Run alone (``python benchmarks/lstm.py [--profile]``) or through ``run.py``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import copy_torch_weights, training_step  # noqa: E402

NAME = "lstm"
DESCRIPTION = ("Embedding(65,64)-LSTM(64,256,batch_first)-Linear(256,65), seq 64, batch 32, "
               "Adam, cross-entropy over all positions, float32")
UNIT = "samples/s"
BATCH, SEQ, VOCAB, EMBED, HIDDEN = 32, 64, 65, 64, 256
SAMPLES_PER_STEP = BATCH
TARGET = 0.5
LR = 1e-3


def _data(seed: int) -> tuple[Any, Any]:
    """A fixed batch of character indices and next-character targets."""
    rng = np.random.default_rng(seed)
    text = rng.integers(0, VOCAB, size=(BATCH, SEQ + 1)).astype(np.int64)
    return text[:, :-1].copy(), text[:, 1:].copy()


def _torch_model(seed: int) -> Any:
    import torch

    torch.manual_seed(seed)

    class CharLSTM(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = torch.nn.Embedding(VOCAB, EMBED)
            self.lstm = torch.nn.LSTM(EMBED, HIDDEN, batch_first=True)
            self.head = torch.nn.Linear(HIDDEN, VOCAB)

        def forward(self, x: Any) -> Any:
            output, _ = self.lstm(self.embedding(x))
            return self.head(output)

    return CharLSTM()


def build_torch(seed: int = 0) -> Any:
    import torch

    model = _torch_model(seed)
    x, y = (torch.from_numpy(a) for a in _data(seed))
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = torch.nn.functional.cross_entropy
    return training_step(model, lambda out, y: loss_fn(out.reshape(-1, VOCAB), y), opt, x,
                         y.reshape(-1))


def build_backprop(seed: int = 0) -> Any:
    import backprop as bp
    import backprop.nn.functional as F
    from backprop import nn, optim

    class CharLSTM(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = nn.Embedding(VOCAB, EMBED)
            self.lstm = nn.LSTM(EMBED, HIDDEN, batch_first=True)
            self.head = nn.Linear(HIDDEN, VOCAB)

        def forward(self, x: Any) -> Any:
            output, _ = self.lstm(self.embedding(x))
            return self.head(output)

    model = CharLSTM()
    copy_torch_weights(model, _torch_model(seed))
    x, y = (bp.from_numpy(a) for a in _data(seed))
    opt = optim.Adam(model.parameters(), lr=LR)
    return training_step(model, lambda out, y: F.cross_entropy(out.reshape(-1, VOCAB), y), opt,
                         x, y.reshape(-1))


def run(rounds: int = 5, seconds: float = 1.5) -> dict[str, Any]:
    """Time both frameworks side by side (PyTorch on 2 threads) and return ``measure``'s dict."""
    import torch
    from common import measure

    torch.set_num_threads(2)
    return measure(build_backprop(), build_torch(), SAMPLES_PER_STEP, rounds=rounds,
                   seconds=seconds)


def _profile(steps: int = 20) -> None:
    """cProfile of backprop's step: where the time goes, by function."""
    import cProfile
    import pstats

    step = build_backprop()
    for _ in range(3):
        step()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        step()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    if "--profile" in sys.argv:
        _profile()
    else:
        result = run(rounds=3, seconds=1.0)
        print(f"backprop {result['backprop']:.0f} samples/s "
              f"({result['backprop_us_per_step']:,.0f} µs/step), PyTorch {result['torch']:.0f} "
              f"samples/s ({result['torch_us_per_step']:,.0f} µs/step), "
              f"ratio {result['ratio']:.2f}")
