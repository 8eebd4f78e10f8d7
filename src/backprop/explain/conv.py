"""Backpropagation through a convolution, by hand: one channel, stride 1, no padding.

With an H×W image X, a kh×kw kernel K and output Y of size (H−kh+1)×(W−kw+1):

    forward      y_ij = Σ_mn x_(i+m)(j+n) · k_mn          Y = X ⋆ K (cross-correlation)
    loss         E = ½ Σ_ij (y_ij − t_ij)²,                δ_ij = ∂E/∂y_ij = y_ij − t_ij
    kernel       ∂E/∂k_mn = Σ_ij δ_ij · x_(i+m)(j+n)       ∂E/∂K = X ⋆ δ
    input        ∂E/∂x_pq = Σ_mn δ_(p−m)(q−n) · k_mn       ∂E/∂X = pad(δ) ⋆ rot180(K)

(indices from 0 here; terms whose δ index falls outside Y are zero). Every sum
is an explicit loop over Python floats; :mod:`.verify` checks it against the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

Grid = list[list[float]]


@dataclass
class ConvProblem:
    image: np.ndarray
    kernel: np.ndarray
    target: np.ndarray
    lr: float = 0.03
    steps: int = 1
    title: str = ""


@dataclass
class ConvDerivation:
    """The numbers: ``output`` Y, ``delta`` = Y − T, ``loss``, ``grad_kernel`` ∂E/∂K,
    ``grad_image`` ∂E/∂X, ``new_kernel`` after one step, ``errors[s]`` after s steps
    and ``final_kernel`` after the last."""

    problem: ConvProblem
    output: Grid
    delta: Grid
    loss: float
    grad_kernel: Grid
    grad_image: Grid
    new_kernel: Grid
    errors: list[float] = field(default_factory=list)
    final_kernel: Grid = field(default_factory=list)
    kind: str = "conv"


def correlate(x: Grid, k: Grid) -> Grid:
    """Valid cross-correlation ``(x ⋆ k)_ij = Σ_mn x_(i+m)(j+n) · k_mn`` by loops."""
    rows, cols = len(x) - len(k) + 1, len(x[0]) - len(k[0]) + 1
    out = []
    for i in range(rows):
        line = []
        for j in range(cols):
            total = 0.0
            for m in range(len(k)):
                for n in range(len(k[0])):
                    total += x[i + m][j + n] * k[m][n]
            line.append(total)
        out.append(line)
    return out


def input_gradient(delta: Grid, k: Grid) -> Grid:
    """∂E/∂x_pq = Σ_mn δ_(p−m)(q−n) · k_mn (the full convolution of δ with K) by loops."""
    rows, cols = len(delta) + len(k) - 1, len(delta[0]) + len(k[0]) - 1
    out = []
    for p in range(rows):
        line = []
        for q in range(cols):
            total = 0.0
            for m in range(len(k)):
                for n in range(len(k[0])):
                    i, j = p - m, q - n
                    if 0 <= i < len(delta) and 0 <= j < len(delta[0]):
                        total += delta[i][j] * k[m][n]
            line.append(total)
        out.append(line)
    return out


def _loss(y: Grid, t: Grid) -> tuple[Grid, float]:
    delta = [[a - b for a, b in zip(ry, rt)] for ry, rt in zip(y, t)]
    total = 0.0
    for r in delta:
        for d in r:
            total += 0.5 * d * d
    return delta, total


def derive_conv(problem: ConvProblem) -> ConvDerivation:
    """The forward pass, loss, both gradients and ``steps`` updates of the kernel."""
    x = [[float(v) for v in r] for r in problem.image]
    k = [[float(v) for v in r] for r in problem.kernel]
    t = [[float(v) for v in r] for r in problem.target]
    y = correlate(x, k)
    delta, loss = _loss(y, t)
    grad_k = correlate(x, delta)
    grad_x = input_gradient(delta, k)

    def step(kernel: Grid, grad: Grid) -> Grid:
        return [[w - problem.lr * g for w, g in zip(rk, rg)] for rk, rg in zip(kernel, grad)]

    new_k = step(k, grad_k)
    errors, kernel = [loss], new_k
    for s in range(1, problem.steps + 1):
        d, e = _loss(correlate(x, kernel), t)
        errors.append(e)
        if s < problem.steps:
            kernel = step(kernel, correlate(x, d))
    return ConvDerivation(problem, y, delta, loss, grad_k, grad_x, new_k, errors, kernel)
