"""The built-in examples: ``mazur``, ``nobias``, ``conv`` and ``rnn``.

* ``mazur``: the classic 2-2-2 sigmoid network of Matt Mazur's "A Step by Step
  Backpropagation Example" (and of many Chinese retellings): inputs 0.05, 0.10,
  targets 0.01, 0.99, w1…w8 = 0.15 … 0.55, biases b1 = 0.35 (hidden) and
  b2 = 0.60 (outputs), each shared by its layer and kept fixed; E = ½Σ(target − out)²,
  η = 0.5.
* ``nobias``: the bias-free 2-2-2 sigmoid network worked in matrix form in the
  tutorials on vanishing gradients: x = (0.05, 0.15), y = (0.1, 0.9),
  W1 = [[0.13, 0.15], [0.12, 0.20]], W2 = [[0.40, 0.25], [0.30, 0.20]] applied as
  z = W·a (so W1·x = (0.029, 0.036), the tutorial's forward numbers), η = 0.5. The
  tutorial names the entries column by column (W1 = [[ω1, ω3], [ω2, ω4]]), and so
  do we.
* ``conv``: a 2×2 kernel on a 4×4 image, single channel, stride 1, no padding,
  E = ½Σ(y − t)² against a 3×3 target (made by the kernel [[1, −1], [0, 1]], so
  training can drive the error to zero), η = 0.03.
* ``rnn``: one tanh unit over three time steps, loss at the last step, η = 0.5.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .conv import ConvProblem
from .network import DenseProblem, make_problem
from .rnn import RNNProblem


def mazur(**options: Any) -> DenseProblem:
    layers = [
        {"weight": [[0.15, 0.20], [0.25, 0.30]], "bias": [0.35, 0.35], "activation": "sigmoid",
         "train_bias": False, "bias_names": ["b1", "b1"]},
        {"weight": [[0.40, 0.45], [0.50, 0.55]], "bias": [0.60, 0.60], "activation": "sigmoid",
         "train_bias": False, "bias_names": ["b2", "b2"]},
    ]
    inputs = options.pop("inputs", None)
    targets = options.pop("targets", None)
    return make_problem(layers, [0.05, 0.10] if inputs is None else inputs,
                        [0.01, 0.99] if targets is None else targets,
                        **{"lr": 0.5, "loss": "mse_half", **options},
                        input_names=["i1", "i2"], builtin="mazur", where="mazur")


def nobias(**options: Any) -> DenseProblem:
    layers = [
        {"weight": [[0.13, 0.15], [0.12, 0.20]], "activation": "sigmoid",
         "weight_names": [["w1", "w3"], ["w2", "w4"]]},
        {"weight": [[0.40, 0.25], [0.30, 0.20]], "activation": "sigmoid",
         "weight_names": [["w5", "w7"], ["w6", "w8"]]},
    ]
    inputs = options.pop("inputs", None)
    targets = options.pop("targets", None)
    return make_problem(layers, [0.05, 0.15] if inputs is None else inputs,
                        [0.1, 0.9] if targets is None else targets,
                        **{"lr": 0.5, "loss": "mse_half", **options},
                        input_names=["x1", "x2"], builtin="nobias", where="nobias")


def conv(lr: float | None = None, steps: int = 1) -> ConvProblem:
    image = np.array([[1, 2, 0, 1], [0, 1, 3, 1], [2, 1, 0, 2], [1, 0, 1, 3]], dtype=np.float64)
    kernel = np.array([[0.5, -0.5], [0.25, 0.5]])
    target = np.array([[0, 5, 0], [0, -2, 4], [1, 2, 1]], dtype=np.float64)
    return ConvProblem(image, kernel, target, 0.03 if lr is None else float(lr), int(steps))


def rnn(lr: float | None = None, steps: int = 1) -> RNNProblem:
    return RNNProblem([0.5, -1.0, 1.0], w_x=0.6, w_h=0.9, b=0.1, target=0.8,
                      lr=0.5 if lr is None else float(lr), steps=int(steps))


BUILTINS: dict[str, Callable[..., Any]] = {"mazur": mazur, "nobias": nobias, "conv": conv,
                                           "rnn": rnn}
