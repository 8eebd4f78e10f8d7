"""Backpropagation through time (BPTT) by hand: a one-unit tanh RNN over a few steps.

    forward   z_t = w_x·x_t + w_h·h_(t−1) + b,   h_t = tanh z_t,   h_0 = 0
    loss      E = ½(h_T − target)²   (at the last step only)
    backward  ∂E/∂h_T = h_T − target
              δ_t = ∂E/∂z_t = ∂E/∂h_t · (1 − h_t²)
              ∂E/∂h_(t−1) = δ_t · w_h            (the error flowing back through time)
    weights   ∂E/∂w_x = Σ_t δ_t·x_t,  ∂E/∂w_h = Σ_t δ_t·h_(t−1),  ∂E/∂b = Σ_t δ_t

The same three weights act at every step, so each gradient is a sum over the
steps. Explicit loops over Python floats; :mod:`.verify` checks them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class RNNProblem:
    inputs: list[float]
    w_x: float
    w_h: float
    b: float
    target: float
    lr: float = 0.5
    steps: int = 1
    title: str = ""


@dataclass
class RNNPass:
    """``z[t]``, ``h[t]`` for t = 1..T (``h[0]`` = 0, ``z[0]`` unused), ``fprime[t]`` = 1 − h_t²,
    ``dE_dh[t]``, ``delta[t]``, the per-step shares ``share_x[t]`` = δ_t·x_t,
    ``share_h[t]`` = δ_t·h_(t−1), and the summed gradients."""

    z: list[float] = field(default_factory=list)
    h: list[float] = field(default_factory=list)
    loss: float = 0.0
    fprime: list[float] = field(default_factory=list)
    dE_dh: list[float] = field(default_factory=list)
    delta: list[float] = field(default_factory=list)
    share_x: list[float] = field(default_factory=list)
    share_h: list[float] = field(default_factory=list)
    grad_wx: float = 0.0
    grad_wh: float = 0.0
    grad_b: float = 0.0


@dataclass
class RNNDerivation:
    problem: RNNProblem
    first: RNNPass
    dhT_dh1: float
    new: dict[str, float]
    errors: list[float]
    final_h: float
    kind: str = "rnn"

    @property
    def grads(self) -> dict[str, float]:
        return {"w_x": self.first.grad_wx, "w_h": self.first.grad_wh, "b": self.first.grad_b}


def run_rnn(inputs: list[float], w_x: float, w_h: float, b: float, target: float,
            backward: bool = True) -> RNNPass:
    """Forward through the T steps (and backward through time)."""
    p = RNNPass(z=[0.0], h=[0.0])
    for x in inputs:
        z = w_x * x + w_h * p.h[-1] + b
        p.z.append(z)
        p.h.append(math.tanh(z))
    steps = len(inputs)
    diff = p.h[steps] - target
    p.loss = 0.5 * diff * diff
    if not backward:
        return p
    p.fprime = [0.0] + [1.0 - h * h for h in p.h[1:]]
    p.dE_dh = [0.0] * (steps + 1)
    p.delta = [0.0] * (steps + 1)
    p.dE_dh[steps] = diff
    for t in range(steps, 0, -1):
        p.delta[t] = p.dE_dh[t] * p.fprime[t]
        p.dE_dh[t - 1] = p.delta[t] * w_h
    p.share_x = [0.0] + [p.delta[t] * inputs[t - 1] for t in range(1, steps + 1)]
    p.share_h = [0.0] + [p.delta[t] * p.h[t - 1] for t in range(1, steps + 1)]
    for t in range(steps, 0, -1):  # summed from the last step back, as backward visits them
        p.grad_wx += p.share_x[t]
        p.grad_wh += p.share_h[t]
        p.grad_b += p.delta[t]
    return p


def derive_rnn(problem: RNNProblem) -> RNNDerivation:
    """The unrolled forward pass, BPTT, one update, and ``steps`` steps of training."""
    weights = {"w_x": problem.w_x, "w_h": problem.w_h, "b": problem.b}

    def run(w: dict[str, float], backward: bool = True) -> RNNPass:
        return run_rnn(problem.inputs, w["w_x"], w["w_h"], w["b"], problem.target, backward)

    def step(w: dict[str, float], p: RNNPass) -> dict[str, float]:
        grads = {"w_x": p.grad_wx, "w_h": p.grad_wh, "b": p.grad_b}
        return {k: w[k] - problem.lr * grads[k] for k in w}

    first = run(weights)
    T = len(problem.inputs)
    # ∂h_T/∂h_1: one factor w_h·(1 − h_t²) per step crossed.
    chain = 1.0
    for t in range(T, 1, -1):
        chain *= problem.w_h * first.fprime[t]
    new = step(weights, first)
    errors, w, p = [first.loss], new, first
    for s in range(1, problem.steps + 1):
        p = run(w, backward=s < problem.steps)
        errors.append(p.loss)
        if s < problem.steps:
            w = step(w, p)
    return RNNDerivation(problem, first, chain, new, errors, p.h[-1])
