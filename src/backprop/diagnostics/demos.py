"""The two classic demonstrations of unhealthy gradients, and their fixes.

* :func:`vanishing_demo`: a deep sigmoid MLP on the 8×8 digits (scikit-learn's,
  no download). With PyTorch's default initialisation the error signal shrinks by
  σ'(z) ≤ 1/4 (and the weights) at every layer on its way back, so the first
  layer's gradient is orders of magnitude smaller than the last one's and it
  barely learns. Fixed by ReLU with He initialisation, by BatchNorm, or by
  residual connections: the same monitor then finds nothing.
* :func:`exploding_demo`: a recurrent net unrolled over many time steps whose
  recurrent weight has spectral radius ρ > 1. Backpropagation through time
  multiplies the gradient by Wᵀ once per step, so ‖∂L/∂h_t‖ grows like ρ^(T−t)
  and SGD takes giant steps until the loss is NaN. Fixed by
  ``nn.utils.clip_grad_norm_``: the same net and learning rate train stably.

Each returns one :class:`DemoRun` per variant (no printing: the CLI renders them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .. import nn
from ..autograd.grad_mode import no_grad
from ..backends import xp
from ..random import manual_seed
from ..tensor import Tensor
from .monitor import Finding, GradientMonitor


@dataclass
class DemoRun:
    """One trained variant: its monitor, what it found, and how training went."""

    name: str  # "sigmoid", "relu_he", "batchnorm", "residual", "rnn", "rnn_clipped"
    model: nn.Module
    monitor: GradientMonitor
    losses: list[float]
    accuracy: float = math.nan  # on the held-out digits (vanishing demo)
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def findings(self) -> list[Finding]:
        return self.monitor.findings()

    def flagged(self, kind: str) -> bool:
        return any(f.kind == kind for f in self.findings)


# --- models -----------------------------------------------------------------------------
class ResidualBlock(nn.Module):
    """h ← h + W σ(h) + b (a pre-activation residual block): the identity path carries
    ∂L/∂h back unchanged, past every sigmoid, so the gradient cannot vanish with depth."""

    def __init__(self, width: int, activation: type[nn.Module] = nn.Sigmoid) -> None:
        super().__init__()
        self.activation = activation()
        self.linear = nn.Linear(width, width)

    def forward(self, h: Tensor) -> Tensor:
        return h + self.linear(self.activation(h))


def deep_mlp(variant: str, depth: int = 10, width: int = 32, in_features: int = 64,
             classes: int = 10) -> nn.Module:
    """``depth`` Linear layers for the vanishing demo.

    variant: ``"sigmoid"`` (default init), ``"relu_he"`` (ReLU, He-normal weights, zero
    biases), ``"batchnorm"`` (Linear → BatchNorm1d → sigmoid) or ``"residual"`` (sigmoid
    blocks h + σ(Wh + b) between an input and an output layer).
    """
    if depth < 3:
        raise ValueError(f"deep_mlp: depth must be at least 3, got {depth}")
    if variant == "residual":
        blocks = [ResidualBlock(width) for _ in range(depth - 2)]
        return nn.Sequential(nn.Linear(in_features, width), *blocks, nn.Sigmoid(),
                             nn.Linear(width, classes))
    layers: list[nn.Module] = []
    features = in_features
    for _ in range(depth - 1):
        linear = nn.Linear(features, width)
        layers.append(linear)
        if variant == "sigmoid":
            layers.append(nn.Sigmoid())
        elif variant == "relu_he":
            nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
            nn.init.zeros_(linear.bias)
            layers.append(nn.ReLU())
        elif variant == "batchnorm":
            layers += [nn.BatchNorm1d(width), nn.Sigmoid()]
        else:
            raise ValueError(f"deep_mlp: unknown variant {variant!r} (sigmoid, relu_he, "
                             "batchnorm, residual)")
        features = width
    layers.append(nn.Linear(features, classes))
    return nn.Sequential(*layers)


class UnrolledRNN(nn.Module):
    """h_t = f(W h_(t−1) + U x_t), h_0 = 0, and a linear readout of h_T; unrolled with
    primitive ops so that every time step is visible to the monitor.

    Args:
        nonlinearity: ``"linear"`` (f = identity: the textbook case, ∂h_T/∂h_t = W^(T−t))
            or ``"tanh"``.
        spectral_radius: W starts as this times a random orthogonal matrix, so its
            eigenvalues all have modulus ``spectral_radius``.
    """

    def __init__(self, input_size: int, hidden_size: int, spectral_radius: float,
                 nonlinearity: str = "linear") -> None:
        super().__init__()
        if nonlinearity not in ("linear", "tanh"):
            raise ValueError(f"UnrolledRNN: nonlinearity must be 'linear' or 'tanh', "
                             f"got {nonlinearity!r}")
        self.input = nn.Linear(input_size, hidden_size, bias=False)
        self.recurrent = nn.Linear(hidden_size, hidden_size, bias=False)
        self.activation = nn.Tanh() if nonlinearity == "tanh" else nn.Identity()
        self.readout = nn.Linear(hidden_size, 1)
        gaussian = Tensor._make(xp.zeros((hidden_size, hidden_size))).normal_()
        q, r = xp.linalg.qr(gaussian.data)
        q = q * xp.sign(xp.diag(r))  # a uniformly random orthogonal matrix (Haar)
        with no_grad():
            self.recurrent.weight.copy_(spectral_radius * q)
        self.hidden_size = hidden_size

    def forward(self, x: Tensor) -> Tensor:  # x: (time, batch, features)
        h = Tensor._make(xp.zeros((x.shape[1], self.hidden_size), dtype=x.dtype))
        for t in range(x.shape[0]):
            h = self.activation(self.input(x[t]) + self.recurrent(h))
        return self.readout(h)


# --- training helpers -------------------------------------------------------------------
class _SGD:
    """Plain SGD with momentum, written out (PyTorch's update: b ← μb + g, θ ← θ − lr·b),
    so the demonstrations depend on nothing but the engine and ``nn``."""

    def __init__(self, parameters: list[Any], lr: float, momentum: float = 0.0) -> None:
        self.parameters, self.lr, self.momentum = parameters, lr, momentum
        self.buffers: list[Any] = [None] * len(parameters)

    def zero_grad(self) -> None:
        for parameter in self.parameters:
            parameter.grad = None

    def step(self) -> None:
        for index, parameter in enumerate(self.parameters):
            if parameter.grad is None:
                continue
            update = parameter.grad.data
            if self.momentum:
                previous = self.buffers[index]
                update = update.copy() if previous is None else self.momentum * previous + update
                self.buffers[index] = update
            parameter.data -= self.lr * update


def _optimizer(parameters: list[Any], lr: float, momentum: float = 0.0) -> _SGD:
    return _SGD(parameters, lr, momentum)


def _digits() -> tuple[Any, Any, Any, Any]:
    from ..data.datasets import Digits

    train, test = Digits(train=True), Digits(train=False)
    return train.tensors[0], train.tensors[1], test.tensors[0], test.tensors[1]


def _accuracy(model: nn.Module, x: Tensor, y: Tensor) -> float:
    model.eval()
    with no_grad():
        predicted = model(x).data.argmax(axis=1)
    model.train()
    return float((predicted == y.data).mean())


def vanishing_demo(steps: int = 200, depth: int = 10, width: int = 32, lr: float = 0.05,
                   momentum: float = 0.9, batch_size: int = 64, seed: int = 0,
                   variants: tuple[str, ...] | None = None,
                   **monitor_options: Any) -> list[DemoRun]:
    """Train each variant of :func:`deep_mlp` on the digits with the same data, seed and
    SGD settings, a :class:`GradientMonitor` attached; return one :class:`DemoRun` each.

    ``variants`` defaults to sigmoid, relu_he, batchnorm (when ``nn.BatchNorm1d`` exists)
    and residual.
    """
    if steps < 1:
        raise ValueError(f"vanishing_demo: steps must be at least 1, got {steps}")
    if variants is None:
        variants = ("sigmoid", "relu_he") + (
            ("batchnorm",) if hasattr(nn, "BatchNorm1d") else ()) + ("residual",)
    x_train, y_train, x_test, y_test = _digits()
    loss_fn = nn.CrossEntropyLoss()
    runs = []
    for variant in variants:
        manual_seed(seed)
        model = deep_mlp(variant, depth=depth, width=width)
        optimizer = _optimizer(list(model.parameters()), lr, momentum)
        order = xp.random.default_rng(seed)
        monitor = GradientMonitor(model, **monitor_options)
        losses = []
        permutation = order.permutation(len(y_train.data))
        position = 0
        for _ in range(steps):
            if position + batch_size > len(permutation):
                permutation, position = order.permutation(len(y_train.data)), 0
            batch = permutation[position:position + batch_size]
            position += batch_size
            optimizer.zero_grad()
            loss = loss_fn(model(x_train[batch]), y_train[batch])
            loss.backward()
            optimizer.step()
            monitor.step()
            losses.append(float(loss.item()))
        monitor.remove()
        runs.append(DemoRun(variant, model, monitor, losses, _accuracy(model, x_test, y_test),
                            {"depth": depth, "width": width, "lr": lr, "momentum": momentum,
                             "batch_size": batch_size}))
    return runs


def exploding_demo(steps: int = 60, time_steps: int = 30, hidden_size: int = 16,
                   spectral_radius: float = 1.2, nonlinearity: str = "linear",
                   lr: float = 0.1, max_norm: float = 1.0, batch_size: int = 32,
                   seed: int = 0, **monitor_options: Any) -> list[DemoRun]:
    """Train :class:`UnrolledRNN` to recall the first input of a sequence after
    ``time_steps`` steps, twice with the same seed and data: plain SGD (``"rnn"``) and
    SGD with ``clip_grad_norm_(max_norm)`` between ``backward`` and ``step``
    (``"rnn_clipped"``). A step whose loss is not finite ends that run (the weights are
    then NaN: there is nothing left to train). ``settings["raw_grad_norms"]`` holds the
    total gradient norm of each step before clipping (the monitor sees it after).

    With W = ρ·Q (Q orthogonal) and f the identity, ∂L/∂h_t = (Wᵀ)^(T−t) ∂L/∂h_T, so
    ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖ = ρ^(T−1) exactly: 1.2²⁹ ≈ 198 with the defaults."""
    if steps < 1:
        raise ValueError(f"exploding_demo: steps must be at least 1, got {steps}")
    runs = []
    for clip in (False, True):
        manual_seed(seed)
        data = xp.random.default_rng(seed)
        model = UnrolledRNN(1, hidden_size, spectral_radius, nonlinearity)
        optimizer = _optimizer(list(model.parameters()), lr)
        monitor = GradientMonitor(model, track=[model.recurrent], **monitor_options)
        losses: list[float] = []
        raw_norms: list[float] = []
        for _ in range(steps):
            sequence = data.standard_normal((time_steps, batch_size, 1)).astype(xp.float32)
            x = Tensor._make(sequence)
            target = Tensor._make(sequence[0].copy())  # recall the first input
            optimizer.zero_grad()
            with xp.errstate(over="ignore", invalid="ignore"):
                loss = ((model(x) - target) ** 2).mean()
                loss.backward()
                if clip:
                    raw_norms.append(float(nn.utils.clip_grad_norm_(model.parameters(),
                                                                    max_norm).item()))
                optimizer.step()
            monitor.step()
            if not clip:
                raw_norms.append(monitor.total_grad_norm[-1])
            losses.append(float(loss.item()))
            if not math.isfinite(losses[-1]):
                break
        monitor.remove()
        runs.append(DemoRun("rnn_clipped" if clip else "rnn", model, monitor, losses,
                            settings={"time_steps": time_steps, "hidden_size": hidden_size,
                                      "spectral_radius": spectral_radius,
                                      "nonlinearity": nonlinearity, "lr": lr,
                                      "max_norm": max_norm if clip else None,
                                      "raw_grad_norms": raw_norms}))
    return runs
