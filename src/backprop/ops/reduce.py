"""Reductions over ``dim`` (an int, a tuple or None for all) and the softmax family.

The gradient of a reduction spreads the incoming gradient back over the
elements that were reduced: evenly for ``sum`` and ``mean``, to the chosen
element for ``max``/``min``.
"""

from __future__ import annotations

from typing import Any

from ..autograd.op import Op
from ..backends import ARRAY_OUT, xp


def normalize_dims(dim: Any, ndim: int) -> tuple[int, ...]:
    """``dim`` as a sorted tuple of non-negative axes (None: all of them)."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    result = []
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(
                f"dimension out of range (expected to be in [{-max(ndim, 1)}, {max(ndim, 1) - 1}],"
                f" but got {d})"
            )
        result.append(d % max(ndim, 1))
    if len(set(result)) != len(result):
        raise RuntimeError(f"dim {dims} names a dimension more than once")
    return tuple(sorted(result))


def restore_reduced(grad: Any, shape: tuple[int, ...], dims: tuple[int, ...], keepdim: bool) -> Any:
    """Put back the reduced axes as size-1 axes so ``grad`` broadcasts over ``shape``."""
    if not keepdim and len(shape) and len(dims) != len(shape):
        grad = grad.reshape(tuple(1 if i in dims else n for i, n in enumerate(shape)))
    return grad


SMALL = 4096  # elements: a gradient this small is written out rather than broadcast


def spread(grad: Any, shape: tuple[int, ...], dims: tuple[int, ...], keepdim: bool) -> Any:
    """``grad`` repeated over the reduced axes: an array of ``shape``.

    Small results are written out (cheaper than ``broadcast_to``'s Python wrapper, and
    writable, so the next op may reuse them in place); large ones are read-only views.
    """
    grad = restore_reduced(grad, shape, dims, keepdim)
    count = 1
    for n in shape:
        count *= n
    if count <= SMALL:
        return _written_out(grad, shape)
    return xp.broadcast_to(grad, shape)


def _written_out(grad: Any, shape: tuple[int, ...]) -> Any:
    """``grad`` repeated into a new, writable array of ``shape``."""
    out = xp.empty(shape, grad.dtype)
    out[...] = grad
    return out


class Sum(Op):
    """Σ x over ``dim``."""

    derivative = "∂(Σᵢ xᵢ)/∂xⱼ = 1"

    def forward(ctx, x: Any, dim: Any = None, keepdim: bool = False) -> Any:
        ctx.shape, ctx.keepdim = x.shape, keepdim
        if dim is None and not keepdim:  # the common loss.sum(): every axis, none to check
            ctx.dims = None if x.size <= SMALL else tuple(range(x.ndim))
            return xp.add.reduce(x, axis=None, out=ARRAY_OUT)
        ctx.dims = dims = normalize_dims(dim, x.ndim)
        return xp.asarray(x.sum(axis=dims, keepdims=keepdim))

    def backward(ctx, grad: Any) -> Any:
        if ctx.dims is None:  # a scalar spread over the (small) input's shape
            return _written_out(grad, ctx.shape)
        return spread(grad, ctx.shape, ctx.dims, ctx.keepdim)


class Mean(Op):
    """(1/n) Σ x over ``dim``."""

    derivative = "∂(Σᵢ xᵢ / n)/∂xⱼ = 1/n"

    def forward(ctx, x: Any, dim: Any = None, keepdim: bool = False) -> Any:
        ctx.shape, ctx.keepdim = x.shape, keepdim
        ctx.dims = dims = normalize_dims(dim, x.ndim)
        count = 1
        for d in dims:
            count *= x.shape[d] if x.ndim else 1
        ctx.count = count
        return xp.asarray(x.mean(axis=dims, keepdims=keepdim))

    def backward(ctx, grad: Any) -> Any:
        return spread(grad / ctx.count, ctx.shape, ctx.dims, ctx.keepdim)


class MaxAlongDim(Op):
    """The largest (or smallest, ``largest=False``) element along one ``dim``; the
    gradient goes to the element chosen (the first among ties), as PyTorch's ``max(dim)``."""

    derivative = "∂max(x)/∂xⱼ = 1 for the chosen j, else 0"

    def forward(ctx, x: Any, dim: int, keepdim: bool = False, largest: bool = True) -> Any:
        (axis,) = normalize_dims(dim, x.ndim)
        if x.ndim == 0:
            ctx.indices = xp.zeros((), xp.int64)
            ctx.shape, ctx.axis, ctx.keepdim = x.shape, None, keepdim
            return x.copy()
        indices = (x.argmax if largest else x.argmin)(axis=axis, keepdims=True)
        ctx.shape, ctx.axis, ctx.keepdim = x.shape, axis, keepdim
        ctx.indices = indices
        values = xp.take_along_axis(x, indices, axis=axis)
        return values if keepdim else xp.squeeze(values, axis=axis)

    def backward(ctx, grad: Any) -> Any:
        if ctx.axis is None:
            return grad.copy()
        grad_input = xp.zeros(ctx.shape, dtype=grad.dtype)
        if not ctx.keepdim:
            grad = xp.expand_dims(grad, ctx.axis)
        xp.put_along_axis(grad_input, ctx.indices, grad, axis=ctx.axis)
        return grad_input

    def indices_tensor_data(self, keepdim: bool) -> Any:
        if self.axis is None:
            return self.indices
        return self.indices if keepdim else xp.squeeze(self.indices, axis=self.axis)


class Amax(Op):
    """max (or min, ``largest=False``) over ``dim``; ties share the gradient evenly, as
    PyTorch's ``amax`` and ``max()`` with no dim."""

    derivative = "∂max(x)/∂xⱼ = 1/k for each of the k maximal xⱼ, else 0"
    saves_inputs = True

    def forward(ctx, x: Any, dim: Any = None, keepdim: bool = False, largest: bool = True) -> Any:
        dims = normalize_dims(dim, x.ndim)
        if x.size == 0:
            raise RuntimeError("max(): cannot reduce an empty tensor")
        reduce = x.max if largest else x.min
        kept = reduce(axis=dims, keepdims=True)
        ctx.x, ctx.kept, ctx.dims, ctx.keepdim = x, kept, dims, keepdim
        return xp.asarray(kept if keepdim else reduce(axis=dims))

    def backward(ctx, grad: Any) -> Any:
        mask = ctx.x == ctx.kept
        count = mask.sum(axis=ctx.dims, keepdims=True)
        grad = restore_reduced(grad, ctx.x.shape, ctx.dims, ctx.keepdim)
        return (grad / count * mask).astype(ctx.x.dtype, copy=False)


class Softmax(Op):
    """softmax(x)ᵢ = e^{xᵢ} / Σⱼ e^{xⱼ} along ``dim``."""

    derivative = "∂sᵢ/∂xⱼ = sᵢ(δᵢⱼ − sⱼ)"
    saves_output = True

    def forward(ctx, x: Any, dim: int) -> Any:
        ctx.dim = dim
        shifted = x - x.max(axis=dim, keepdims=True)
        out = xp.exp(shifted, out=shifted)
        out /= out.sum(axis=dim, keepdims=True)
        ctx.out = out
        return out

    def backward(ctx, grad: Any) -> Any:
        out = ctx.out
        inner = (grad * out).sum(axis=ctx.dim, keepdims=True)
        return out * (grad - inner)


class LogSoftmax(Op):
    """log softmax(x)ᵢ = xᵢ − log Σⱼ e^{xⱼ} along ``dim``."""

    derivative = "∂ log sᵢ/∂xⱼ = δᵢⱼ − sⱼ"
    saves_output = True

    def forward(ctx, x: Any, dim: int) -> Any:
        ctx.dim = dim
        shifted = x - x.max(axis=dim, keepdims=True)
        out = shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))
        ctx.out = out
        return out

    def backward(ctx, grad: Any) -> Any:
        return grad - xp.exp(ctx.out) * grad.sum(axis=ctx.dim, keepdims=True)


class LogSumExp(Op):
    """log Σ e^{x} over ``dim``."""

    derivative = "∂ logΣe^{x}/∂xⱼ = softmax(x)ⱼ"
    saves_inputs = True

    def forward(ctx, x: Any, dim: Any, keepdim: bool = False) -> Any:
        dims = normalize_dims(dim, x.ndim)
        peak = x.max(axis=dims, keepdims=True)
        peak = xp.where(xp.isfinite(peak), peak, 0)
        with xp.errstate(divide="ignore"):  # a row of −∞ has log Σ e^x = −∞
            kept = xp.log(xp.exp(x - peak).sum(axis=dims, keepdims=True)) + peak
        ctx.x, ctx.kept, ctx.dims, ctx.keepdim = x, kept, dims, keepdim
        return kept if keepdim else xp.squeeze(kept, axis=dims)

    def backward(ctx, grad: Any) -> Any:
        grad = restore_reduced(grad, ctx.x.shape, ctx.dims, ctx.keepdim)
        return grad * xp.exp(ctx.x - ctx.kept)
