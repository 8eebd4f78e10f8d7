"""The chain rule walked by hand, one neuron at a time, for a small dense network.

Nothing here uses the autograd engine or array maths: every number is a Python
float from an explicit loop over neurons, as a student computes it on paper.
For layer l with weights W⁽ˡ⁾ (out × in), bias b⁽ˡ⁾ and activation f:

    forward    net_j = Σ_k w_jk · out_k + b_j,      out_j = f(net_j)
    output     ∂E/∂out_j from the loss,              δ_j = ∂E/∂out_j · f′(net_j)
    hidden     ∂E/∂out_k = Σ_j δ_j · w_jk  (every neuron j that out_k feeds)
    gradients  ∂E/∂w_jk = δ_j · out_k,                 ∂E/∂b_j = δ_j
    update     w⁺ = w − η · ∂E/∂w

(δ_j = ∂E/∂net_j is "how much neuron j is responsible for the error"). The
results are checked against the engine by :mod:`backprop.explain.verify`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .network import DenseProblem

BCE_EPS = 1e-12


def _log(x: float) -> float:
    """ln x clamped at −100 (binary cross-entropy's convention)."""
    return max(math.log(x), -100.0) if x > 0 else -100.0


def activate(name: str, z: float) -> float:
    """f(z) for one neuron."""
    if name == "sigmoid":
        return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))
    if name == "tanh":
        return math.tanh(z)
    if name == "relu":
        return z if z > 0 else 0.0
    return z


def activate_prime(name: str, z: float, a: float) -> float:
    """f′(z), from the output a = f(z) where the tutorials do: σ′ = a(1 − a), tanh′ = 1 − a²."""
    if name == "sigmoid":
        return a * (1.0 - a)
    if name == "tanh":
        return 1.0 - a * a
    if name == "relu":
        return 1.0 if z > 0 else 0.0
    return 1.0


@dataclass
class Pass:
    """One forward and backward pass at the current parameters (index l = layer, 0-based).

    ``z[l][j]`` net input, ``a[l][j]`` output (``a_in`` the inputs), ``fprime`` f′(net),
    ``terms`` the loss per output and ``loss`` their sum, ``probs`` the softmax for
    cross-entropy, ``dE_da[l][j]`` = ∂E/∂out, ``paths[l][j][k]`` = δ⁽ˡ⁺¹⁾_j · w⁽ˡ⁺¹⁾_jk
    (the share of ∂E/∂out_k that flows through neuron j of the next layer),
    ``delta`` = ∂E/∂net, ``grad_W``/``grad_b`` = ∂E/∂W, ∂E/∂b per position.
    """

    a_in: list[float]
    z: list[list[float]] = field(default_factory=list)
    a: list[list[float]] = field(default_factory=list)
    fprime: list[list[float]] = field(default_factory=list)
    terms: list[float] = field(default_factory=list)
    loss: float = 0.0
    probs: list[float] = field(default_factory=list)
    dE_da: list[list[float]] = field(default_factory=list)
    paths: list[list[list[float]]] = field(default_factory=list)
    delta: list[list[float]] = field(default_factory=list)
    grad_W: list[list[list[float]]] = field(default_factory=list)
    grad_b: list[list[float]] = field(default_factory=list)


@dataclass
class DenseDerivation:
    """The numbers of the explanation: the first pass, the update, and the training run.

    ``grads`` maps each trainable parameter's name to ∂E/∂(it) (summed over
    positions when a parameter is shared); ``updated`` to its value after one
    step. ``errors[s]`` is the total error after ``s`` steps (``errors[0]``
    before any); ``final_outputs`` the outputs after the last step.
    """

    problem: DenseProblem
    first: Pass
    weights: list[list[list[float]]]
    biases: list[list[float] | None]
    grads: dict[str, float]
    updated: dict[str, float]
    new_weights: list[list[list[float]]]
    new_biases: list[list[float] | None]
    errors: list[float]
    final_outputs: list[float]
    kind: str = "dense"

    @property
    def grad_W(self) -> list[np.ndarray]:
        """∂E/∂W⁽ˡ⁾ of the first pass, one (out, in) array per layer."""
        return [np.array(g) for g in self.first.grad_W]

    @property
    def grad_b(self) -> list[np.ndarray]:
        """∂E/∂b⁽ˡ⁾ (per neuron) of the first pass, one array per layer."""
        return [np.array(g) for g in self.first.grad_b]


def _loss(problem: DenseProblem, out: list[float], p: Pass) -> list[float]:
    """Fill the loss terms and return ∂E/∂out for the output layer."""
    y = [float(v) for v in problem.targets]
    n = len(out)
    if problem.loss == "mse_half":
        p.terms = [0.5 * (t - o) * (t - o) for o, t in zip(out, y)]
        grad = [o - t for o, t in zip(out, y)]
    elif problem.loss == "mse":
        p.terms = [(o - t) * (o - t) / n for o, t in zip(out, y)]
        grad = [2.0 * (o - t) / n for o, t in zip(out, y)]
    elif problem.loss == "bce":  # logs clamped at −100, o(1 − o) at 1e-12, as in PyTorch
        p.terms = [-(t * _log(o) + (1.0 - t) * _log(1.0 - o)) / n for o, t in zip(out, y)]
        grad = [(o - t) / max(o * (1.0 - o), BCE_EPS) / n for o, t in zip(out, y)]
    else:  # cross_entropy: softmax over the outputs, E = −Σ t_k ln p_k
        top = max(out)
        exps = [math.exp(o - top) for o in out]
        total = sum(exps)
        p.probs = [e / total for e in exps]
        log_total = math.log(total)
        p.terms = [-t * (o - top - log_total) for o, t in zip(out, y)]
        mass = sum(y)
        grad = [pk * mass - t for pk, t in zip(p.probs, y)]
    p.loss = 0.0
    for term in p.terms:
        p.loss += term
    return grad


def run_pass(problem: DenseProblem, weights: list[list[list[float]]],
             biases: list[list[float] | None], backward: bool = True) -> Pass:
    """Forward (and backward) through the network at the given parameters, neuron by neuron."""
    layers = problem.layers
    p = Pass([float(v) for v in problem.inputs])
    out = p.a_in
    for index, layer in enumerate(layers):
        z_layer, a_layer = [], []
        for j in range(layer.n_out):
            net = 0.0
            for k in range(layer.n_in):
                net += weights[index][j][k] * out[k]
            bias = biases[index]
            if bias is not None:
                net += bias[j]
            z_layer.append(net)
            a_layer.append(activate(layer.activation, net))
        p.z.append(z_layer)
        p.a.append(a_layer)
        p.fprime.append([activate_prime(layer.activation, z, a)
                         for z, a in zip(z_layer, a_layer)])
        out = a_layer
    grad_out = _loss(problem, out, p)
    if not backward:
        return p
    n = len(layers)
    p.dE_da = [[] for _ in range(n)]
    p.delta = [[] for _ in range(n)]
    p.paths = [[] for _ in range(n)]
    p.grad_W = [[] for _ in range(n)]
    p.grad_b = [[] for _ in range(n)]
    p.dE_da[-1] = grad_out
    for index in range(n - 1, -1, -1):
        layer = layers[index]
        p.delta[index] = [g * f for g, f in zip(p.dE_da[index], p.fprime[index])]
        below = p.a[index - 1] if index else p.a_in
        p.grad_W[index] = [[d * below[k] for k in range(layer.n_in)] for d in p.delta[index]]
        p.grad_b[index] = list(p.delta[index])
        if index:
            # ∂E/∂out_k of the layer below: one path through each neuron j of this layer.
            paths = [[p.delta[index][j] * weights[index][j][k] for k in range(layer.n_in)]
                     for j in range(layer.n_out)]
            p.paths[index - 1] = paths
            sums = []
            for k in range(layer.n_in):
                total = 0.0
                for j in range(layer.n_out):
                    total += paths[j][k]
                sums.append(total)
            p.dE_da[index - 1] = sums
    return p


Table = dict[str, list[tuple[str, int, int, int]]]


def _named_grads(table: Table, p: Pass) -> dict[str, float]:
    grads: dict[str, float] = {}
    for name, positions in table.items():
        total = 0.0
        for kind, index, j, k in positions:
            total += p.grad_W[index][j][k] if kind == "W" else p.grad_b[index][j]
        grads[name] = total
    return grads


def _step(problem: DenseProblem, table: Table, weights: list[list[list[float]]],
          biases: list[list[float] | None], grads: dict[str, float]) -> tuple[
              list[list[list[float]]], list[list[float] | None], dict[str, float]]:
    """w⁺ = w − η·∂E/∂w for every trainable parameter (shared ones once)."""
    new_w = [[list(r) for r in w] for w in weights]
    new_b = [None if b is None else list(b) for b in biases]
    updated: dict[str, float] = {}
    for name, positions in table.items():
        kind, index, j, k = positions[0]
        old = weights[index][j][k] if kind == "W" else biases[index][j]  # type: ignore[index]
        updated[name] = old - problem.lr * grads[name]
        for kind, index, j, k in positions:
            if kind == "W":
                new_w[index][j][k] = updated[name]
            else:
                new_b[index][j] = updated[name]  # type: ignore[index]
    return new_w, new_b, updated


def _finite(loss: float, step: int) -> None:
    if not math.isfinite(loss):
        raise ValueError(
            f"explain: the error is {loss} after {step} steps: training diverged; "
            "use a smaller learning rate or fewer steps"
        )


def derive(problem: DenseProblem) -> DenseDerivation:
    """Walk the chain rule for ``problem``: the first pass in full, then ``steps`` updates."""
    weights = [[[float(v) for v in r] for r in layer.weight] for layer in problem.layers]
    biases = [None if layer.bias is None else [float(v) for v in layer.bias]
              for layer in problem.layers]
    table = problem.parameters()
    first = run_pass(problem, weights, biases)
    grads = _named_grads(table, first)
    new_w, new_b, updated = _step(problem, table, weights, biases, grads)
    errors = [first.loss]
    _finite(first.loss, 0)
    w, b, p = new_w, new_b, first
    for step in range(1, problem.steps + 1):
        p = run_pass(problem, w, b, backward=step < problem.steps)
        errors.append(p.loss)
        _finite(p.loss, step)
        if step < problem.steps:
            w, b, _ = _step(problem, table, w, b, _named_grads(table, p))
    return DenseDerivation(problem, first, weights, biases, grads, updated, new_w, new_b,
                           errors, list(p.a[-1]))
