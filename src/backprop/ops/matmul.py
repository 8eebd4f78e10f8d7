"""Matrix products. For C = A B:  ∂L/∂A = ∂L/∂C · Bᵀ  and  ∂L/∂B = Aᵀ · ∂L/∂C."""

from __future__ import annotations

from typing import Any

from ..autograd.op import Op
from ..backends import xp
from .elementwise import unbroadcast


def _shape_error(op: str, a: Any, b: Any, detail: str) -> RuntimeError:
    return RuntimeError(f"{op}: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be "
                        f"multiplied ({detail})")


class MatMul(Op):
    """a @ b with NumPy's rules: 1-D operands, batch dimensions broadcast."""

    derivative = "∂(AB)/∂A: G·Bᵀ,  ∂(AB)/∂B: Aᵀ·G"
    saves_inputs = "cross"

    def forward(ctx, a: Any, b: Any) -> Any:
        ctx.a, ctx.b = a, b
        if a.ndim == 0 or b.ndim == 0:
            raise _shape_error("matmul", a, b, "both arguments need at least 1 dimension")
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise _shape_error(
                "matmul", a, b,
                f"{a.shape[-1]} columns against {b.shape[-2 if b.ndim > 1 else 0]} rows",
            )
        return xp.asarray(xp.matmul(a, b))

    def backward(ctx, grad: Any) -> Any:
        pa, pb = ctx.parents
        a, b = ctx.a, ctx.b
        if a.ndim == 1 and b.ndim == 1:  # the dot product a·b: grad is a scalar
            return (None if pa is None else grad * b, None if pb is None else grad * a)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if a.ndim == 1:
            grad = xp.expand_dims(grad, -2)
        if b.ndim == 1:
            grad = xp.expand_dims(grad, -1)
        grad_a = grad_b = None
        if pa is not None:
            grad_a = unbroadcast(xp.matmul(grad, xp.swapaxes(b2, -1, -2)), a2.shape)
            grad_a = grad_a.reshape(a.shape)
        if pb is not None:
            grad_b = unbroadcast(xp.matmul(xp.swapaxes(a2, -1, -2), grad), b2.shape)
            grad_b = grad_b.reshape(b.shape)
        return grad_a, grad_b


class Linear(Op):
    """y = x Wᵀ + b, for x of shape (*, in_features) and W of shape (out_features, in_features)."""

    derivative = "∂y/∂x = W,  ∂L/∂W = Gᵀx,  ∂L/∂b = Σ G over the batch"
    saves_inputs = "cross"

    def forward(ctx, x: Any, weight: Any, bias: Any = None) -> Any:
        ctx.x, ctx.weight, ctx.has_bias = x, weight, bias is not None
        try:  # ndarray.dot calls the same BLAS gemm as matmul with less overhead per call
            if x.ndim == 2:
                out = x.dot(weight.T)
            elif x.ndim:
                out = xp.matmul(x, weight.T)
            else:  # a 0-d input would broadcast silently
                raise ValueError
        except ValueError:
            raise RuntimeError(
                f"linear: input of shape {tuple(x.shape)} does not fit weight of shape "
                f"{tuple(weight.shape)}: the input's last dimension must be in_features="
                f"{weight.shape[1]}"
            ) from None
        if bias is not None:
            # one row (a single sample): adding the bias as a row takes NumPy's same-shape
            # loop, half the cost of a broadcast on arrays this small
            out += bias[None] if out.shape[0] == 1 and out.ndim == 2 else bias
        return out

    def backward(ctx, grad: Any) -> Any:
        parents = ctx.parents
        x, weight = ctx.x, ctx.weight
        grad_x = grad_w = grad_b = None
        if parents[0] is not None:
            grad_x = grad.dot(weight) if grad.ndim == 2 else xp.matmul(grad, weight)
        grad_2d = grad.reshape(-1, grad.shape[-1]) if grad.ndim != 2 else grad
        if parents[1] is not None:
            x_2d = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
            grad_w = grad_2d.T.dot(x_2d)
        if ctx.has_bias and parents[2] is not None:
            # Σ over the batch; one row (a single sample) needs no reduction, only a copy
            grad_b = (grad_2d[0].copy() if grad_2d.shape[0] == 1
                      else xp.add.reduce(grad_2d, axis=0))
        return (grad_x, grad_w, grad_b) if ctx.has_bias else (grad_x, grad_w)
