"""Batch and layer normalisation, each one op with a fused backward.

Both standardise x over a set of axes A (|A| = M elements per statistic) and
apply a per-feature affine map:

    μ = (1/M) Σ_A x,   σ² = (1/M) Σ_A (x − μ)²,   x̂ = (x − μ) / √(σ² + ε),   y = γ x̂ + β

Writing g = ∂L/∂y, the chain rule through μ and σ² collapses to one line:

    ∂L/∂x = (γ / √(σ² + ε)) · (g − mean_A(g) − x̂ · mean_A(g x̂))
    ∂L/∂γ = Σ g x̂,   ∂L/∂β = Σ g   (summed over every axis γ is broadcast along)

Batch norm takes A = every axis but the channel axis 1; in eval mode it uses
running estimates instead of μ and σ², which are then constants (∂L/∂x = γ g /
√(σ²_run + ε)). Layer norm takes A = the trailing ``normalized_shape`` axes.
"""

from __future__ import annotations

from typing import Any

from ..autograd.op import Op
from ..backends import xp
from .conv import warm_heap


def _affine_grads(ctx: Any, grad: Any, x_hat: Any, axes: tuple[int, ...],
                  param_shape: tuple[int, ...]) -> tuple[Any, Any]:
    """∂L/∂γ = Σ g x̂ and ∂L/∂β = Σ g over ``axes``, if the op was given γ and β."""
    parents = ctx.parents
    grad_weight = grad_bias = None
    if len(parents) > 1 and parents[1] is not None:
        grad_weight = xp.sum(grad * x_hat, axis=axes).reshape(param_shape)
    if len(parents) > 2 and parents[2] is not None:
        grad_bias = xp.sum(grad, axis=axes).reshape(param_shape)
    return grad_weight, grad_bias


def _per_channel_dot(a: Any, b: Any) -> Any:
    """Σ over every axis but 1 of a·b, without an array for the product."""
    letters = "abcdefghijklmnopqrstuvwxyz"[:a.ndim]
    return xp.einsum(f"{letters},{letters}->{letters[1]}", a, b)


class BatchNorm(Op):
    """y = γ (x − μ_B) / √(σ²_B + ε) + β per channel (axis 1), over the batch and spatial axes.

    Params: ``running_mean``, ``running_var`` (arrays updated in place when training:
    r ← (1 − m) r + m · stat, with the unbiased batch variance), ``training``, ``momentum``,
    ``eps``. Positional: x, then optionally γ and β (shape (C,)).

    Forward keeps x − μ and 1/σ (x̂ is never stored: y = (x − μ)·(γ/σ) + β in two passes);
    backward computes Σg and Σg·(x − μ) per channel, then ∂L/∂x in four passes.
    """

    derivative = ("∂L/∂x = γ/√(σ²+ε) · (g − mean(g) − x̂·mean(g x̂)),  ∂L/∂γ = Σ g x̂,  "
                  "∂L/∂β = Σ g")

    def forward(ctx, x: Any, weight: Any = None, bias: Any = None, running_mean: Any = None,
                running_var: Any = None, training: bool = False, momentum: float = 0.1,
                eps: float = 1e-5) -> Any:
        warm_heap()  # activation-sized temporaries: reuse the heap (see conv.warm_heap)
        if x.ndim < 2:
            raise RuntimeError(f"batch_norm: expected an input of at least 2 dimensions (N, C, *), "
                               f"got shape {x.shape}")
        channels = x.shape[1]
        for name, array in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                            ("running_var", running_var)):
            if array is not None and array.shape != (channels,):
                raise RuntimeError(f"batch_norm: {name} of shape {array.shape} does not match "
                                   f"the {channels} channels of the input of shape {x.shape}")
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, channels) + (1,) * (x.ndim - 2)
        count = x.size // max(channels, 1)
        if training:
            if count <= 1:
                raise ValueError(f"batch_norm: expected more than 1 value per channel when "
                                 f"training, got input of shape {x.shape}")
            mean = x.mean(axis=axes)
            centred = x - mean.reshape(shape)
            var = _per_channel_dot(centred, centred) / count
            if running_mean is not None:
                running_mean *= 1 - momentum
                running_mean += momentum * mean
            if running_var is not None:
                running_var *= 1 - momentum
                running_var += (momentum * count / (count - 1)) * var
        else:
            if running_mean is None or running_var is None:
                raise RuntimeError("batch_norm: running_mean and running_var are needed when "
                                   "training=False")
            mean, var = running_mean.astype(x.dtype), running_var.astype(x.dtype)
            centred = None  # x − μ is x shifted by a constant: backward uses x itself
        inv_std = (1.0 / xp.sqrt(var + eps)).astype(x.dtype)
        scale = inv_std if weight is None else weight * inv_std
        if centred is not None:
            out = centred * scale.reshape(shape)
            if bias is not None:
                out += bias.reshape(shape)
        else:  # y = x·(γ/σ) + (β − μγ/σ)
            out = x * scale.reshape(shape)
            out += ((0 if bias is None else bias) - mean * scale).reshape(shape)
        ctx.x, ctx.centred, ctx.mean, ctx.inv_std = x, centred, mean, inv_std
        ctx.scale, ctx.count = scale, count
        return out

    def backward(ctx, grad: Any) -> Any:
        parents = ctx.parents
        x, centred, inv_std, scale = ctx.x, ctx.centred, ctx.inv_std, ctx.scale
        axes = (0,) + tuple(range(2, grad.ndim))
        shape = (1, grad.shape[1]) + (1,) * (grad.ndim - 2)
        need_weight = len(parents) > 1 and parents[1] is not None
        need_bias = len(parents) > 2 and parents[2] is not None
        training = centred is not None
        sum_g = grad.sum(axis=axes) if (need_bias or training) else None
        sum_g_centred = None  # Σ g·(x − μ) per channel
        if need_weight or training:
            if training:
                sum_g_centred = _per_channel_dot(grad, centred)
            else:
                sum_g = grad.sum(axis=axes) if sum_g is None else sum_g
                sum_g_centred = _per_channel_dot(grad, x) - ctx.mean * sum_g
        grad_weight = sum_g_centred * inv_std if need_weight else None
        grad_bias = sum_g if need_bias else None
        grad_x = None
        if parents[0] is not None:
            # γ/σ · (g − Σg/M − (x − μ)·Σg(x − μ)/(M σ²)) in training; γ/σ · g in eval
            grad_x = grad * scale.reshape(shape)
            if training:
                count = ctx.count
                correction = centred * (-(scale * inv_std * inv_std * sum_g_centred / count)
                                        ).reshape(shape)
                grad_x += correction
                del correction
                grad_x -= (scale * sum_g / count).reshape(shape)
        return (grad_x, grad_weight, grad_bias)[:len(parents)]


class LayerNorm(Op):
    """y = γ (x − μ) / √(σ² + ε) + β with μ, σ² over the last ``n_dims`` axes of each sample.

    Params: ``n_dims`` (len(normalized_shape)), ``eps``. Positional: x, then optionally γ
    and β (shape normalized_shape).
    """

    derivative = ("∂L/∂x = 1/√(σ²+ε) · (ĝ − mean(ĝ) − x̂·mean(ĝ x̂)) with ĝ = γ g,  "
                  "∂L/∂γ = Σ g x̂,  ∂L/∂β = Σ g")

    def forward(ctx, x: Any, weight: Any = None, bias: Any = None, n_dims: int = 1,
                eps: float = 1e-5) -> Any:
        axes = tuple(range(x.ndim - n_dims, x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        x_hat = x - mean
        var = xp.mean(xp.square(x_hat), axis=axes, keepdims=True)
        inv_std = 1.0 / xp.sqrt(var + eps)
        x_hat *= inv_std
        ctx.x_hat, ctx.inv_std, ctx.weight, ctx.axes = x_hat, inv_std, weight, axes
        out = x_hat * weight if weight is not None else x_hat.copy()
        if bias is not None:
            out += bias
        return out

    def backward(ctx, grad: Any) -> Any:
        x_hat, inv_std, weight, axes = ctx.x_hat, ctx.inv_std, ctx.weight, ctx.axes
        lead = tuple(range(grad.ndim - len(axes)))
        param_shape = grad.shape[len(lead):]
        grad_weight, grad_bias = _affine_grads(ctx, grad, x_hat, lead, param_shape)
        grad_x = None
        if ctx.parents[0] is not None:
            grad_hat = grad * weight if weight is not None else grad
            grad_x = x_hat * xp.mean(grad_hat * x_hat, axis=axes, keepdims=True)
            xp.subtract(grad_hat, grad_x, out=grad_x)
            grad_x -= xp.mean(grad_hat, axis=axes, keepdims=True)
            grad_x *= inv_std
        return (grad_x, grad_weight, grad_bias)[:len(ctx.parents)]
