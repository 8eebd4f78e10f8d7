"""Ops that move or select elements without arithmetic: the gradient is routed back.

reshape ↔ reshape back, permute ↔ inverse permutation, expand ↔ sum,
indexing ↔ scatter-add, cat/stack ↔ split.
"""

from __future__ import annotations

from typing import Any

from ..autograd.op import Op
from ..backends import xp
from .elementwise import unbroadcast


class Reshape(Op):
    """The same elements in a new shape (``view``, ``flatten``, ``squeeze``, ``unsqueeze``)."""

    derivative = "∂reshape(x)/∂x = I (elements are only relabelled)"

    def forward(ctx, x: Any, shape: tuple[int, ...]) -> Any:
        ctx.shape = x.shape
        try:
            return x.reshape(shape)
        except ValueError:
            raise RuntimeError(
                f"reshape: shape {tuple(shape)} is invalid for a tensor of shape {x.shape} "
                f"({x.size} elements)"
            ) from None

    def backward(ctx, grad: Any) -> Any:
        return grad.reshape(ctx.shape)


class Permute(Op):
    """The axes in the order ``dims`` (``transpose``, ``.T``)."""

    derivative = "∂permute(x)/∂x = the inverse permutation"

    def forward(ctx, x: Any, dims: tuple[int, ...]) -> Any:
        if sorted(d % max(x.ndim, 1) for d in dims) != list(range(x.ndim)):
            raise RuntimeError(f"permute: {tuple(dims)} is not a permutation of {x.ndim} dims")
        ctx.dims = dims
        return x.transpose(dims)

    def backward(ctx, grad: Any) -> Any:
        return grad.transpose(xp.argsort([d % grad.ndim for d in ctx.dims]))


class Expand(Op):
    """A broadcast view of ``x`` with ``shape`` (−1 keeps a size)."""

    derivative = "∂expand(x)/∂x: sum over the copies"

    def forward(ctx, x: Any, shape: tuple[int, ...]) -> Any:
        ctx.shape = x.shape
        lead = len(shape) - x.ndim
        full = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(shape))
        try:
            return xp.broadcast_to(x, full)
        except ValueError:
            raise RuntimeError(
                f"expand: the tensor of shape {x.shape} cannot be expanded to {tuple(shape)}"
            ) from None

    def backward(ctx, grad: Any) -> Any:
        return unbroadcast(grad, ctx.shape)


def _is_basic(index: Any) -> bool:
    """Basic indexing (ints, slices, None, Ellipsis) selects a view; each element at most once."""
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, int | slice) or i is None or i is Ellipsis for i in items)


class GetItem(Op):
    """x[index], basic or integer-array indexing."""

    derivative = "∂x[i]/∂xⱼ = 1 where j is selected (added up for repeats)"

    def forward(ctx, x: Any, index: Any) -> Any:
        ctx.shape, ctx.dtype, ctx.index = x.shape, x.dtype, index
        try:
            out = x[index]
        except IndexError as error:
            raise IndexError(f"index {index!r} on a tensor of shape {x.shape}: {error}") from None
        return out if isinstance(out, xp.ndarray) else xp.asarray(out)

    def backward(ctx, grad: Any) -> Any:
        grad_input = xp.zeros(ctx.shape, dtype=grad.dtype)
        if _is_basic(ctx.index):
            grad_input[ctx.index] = grad
        else:
            xp.add.at(grad_input, ctx.index, grad)
        return grad_input


class SetItem(Op):
    """x with x[index] = v (out of place: ``Tensor.__setitem__`` rebases x onto this node).

    The overwritten elements no longer depend on x; v's gradient is the gradient of the
    elements it was written to, summed over broadcasting.
    """

    derivative = "∂y/∂x = 1 outside index, 0 inside;  ∂y[index]/∂v = 1"

    def forward(ctx, x: Any, value: Any, index: Any) -> Any:
        ctx.index = index
        ctx.value_shape = xp.shape(value)
        out = x.copy()
        out[index] = value
        return out

    def backward(ctx, grad: Any) -> Any:
        p_x, p_value = ctx.parents
        grad_x = grad_value = None
        if p_x is not None:
            grad_x = grad.copy()
            grad_x[ctx.index] = 0
        if p_value is not None:
            grad_value = unbroadcast(xp.asarray(grad[ctx.index]), ctx.value_shape)
        return grad_x, grad_value


class Cat(Op):
    """Tensors joined along an existing ``dim``."""

    derivative = "∂cat(x₁,…)/∂xₖ: the k-th slice of the gradient"

    def forward(ctx, *arrays: Any, dim: int = 0) -> Any:
        try:
            out = xp.concatenate(arrays, axis=dim)
        except ValueError as error:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise RuntimeError(
                f"cat along dim {dim}: shapes {shapes} do not fit: {error}"
            ) from None
        ctx.dim = dim % out.ndim
        ctx.splits = xp.cumsum([a.shape[ctx.dim] for a in arrays])[:-1]
        return out

    def backward(ctx, grad: Any) -> Any:
        return tuple(xp.split(grad, ctx.splits, axis=ctx.dim))


class Stack(Op):
    """Tensors of one shape stacked along a new ``dim``."""

    derivative = "∂stack(x₁,…)/∂xₖ: the k-th slice of the gradient"

    def forward(ctx, *arrays: Any, dim: int = 0) -> Any:
        try:
            out = xp.stack(arrays, axis=dim)
        except ValueError:
            shapes = ", ".join(str(a.shape) for a in arrays)
            raise RuntimeError(f"stack expects tensors of equal shape, got {shapes}") from None
        ctx.dim = dim % out.ndim
        return out

    def backward(ctx, grad: Any) -> Any:
        return tuple(xp.moveaxis(grad, ctx.dim, 0))
