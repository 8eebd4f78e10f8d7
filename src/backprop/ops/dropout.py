"""Inverted dropout: zero each element with probability p, scale the survivors by 1/(1 − p).

    y = x · m / (1 − p),   m ~ Bernoulli(1 − p) element-wise,   so E[y] = x

The mask is drawn from the library's generator (``bp.manual_seed`` repeats it);
the backward pass routes the gradient through the same mask and scale.
"""

from __future__ import annotations

from typing import Any

from ..autograd.op import Op
from ..backends import xp
from ..random import rng


class Dropout(Op):
    """y = x · m / (1 − p) with m ~ Bernoulli(1 − p) (``p``: the drop probability)."""

    derivative = "∂y/∂x = m / (1 − p)  (0 where the element was dropped)"

    def forward(ctx, x: Any, p: float = 0.5, generator: Any = None) -> Any:
        if p >= 1.0:
            ctx.keep, ctx.scale = None, 0.0
            return xp.zeros_like(x)
        draw_dtype = x.dtype if x.dtype in (xp.float32, xp.float64) else xp.float64
        keep = rng(generator).random(x.shape, dtype=draw_dtype) >= p
        scale = 1.0 / (1.0 - p)
        ctx.keep, ctx.scale = keep, scale
        out = x * keep
        out *= scale
        return out

    def backward(ctx, grad: Any) -> Any:
        if ctx.keep is None:
            return xp.zeros_like(grad)
        grad_x = grad * ctx.keep
        grad_x *= ctx.scale
        return grad_x
