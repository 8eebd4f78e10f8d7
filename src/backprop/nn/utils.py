"""Gradient clipping: ``clip_grad_norm_`` and ``clip_grad_value_`` (PyTorch's semantics)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from ..backends import xp
from ..tensor import Tensor


def _grads(parameters: Any) -> list[Any]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad.data for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters: Iterable[Any] | Tensor, max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """Scale all gradients by min(1, max_norm / (‖g‖ + 1e-6)), ‖g‖ the norm of all of them
    together. Returns the total norm before clipping."""
    grads = _grads(parameters)
    if not grads:
        return Tensor(0.0)
    if norm_type == math.inf:
        total = max(float(xp.abs(g).max()) for g in grads)
    else:
        total = float(sum(float((xp.abs(g) ** norm_type).sum()) for g in grads)) ** (1 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
            "non-finite, so it cannot be clipped"
        )
    coefficient = max_norm / (total + 1e-6)
    if coefficient < 1:
        for g in grads:
            g *= coefficient
    return Tensor(xp.asarray(total, dtype=grads[0].dtype))


def clip_grad_value_(parameters: Iterable[Any] | Tensor, clip_value: float) -> None:
    """Clamp every gradient element to [−clip_value, clip_value]."""
    for g in _grads(parameters):
        xp.clip(g, -clip_value, clip_value, out=g)
