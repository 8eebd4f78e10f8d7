"""Embedding lookup: row i of the weight for each index i; its gradient is a scatter-add.

    y[..., :] = W[idx[...], :]        ∂L/∂W[r] = Σ_{positions with idx = r} ∂L/∂y[position]

An index that repeats adds up its gradients; the ``padding_idx`` row gets none.
"""

from __future__ import annotations

from typing import Any

from ..autograd.op import Op
from ..backends import xp


def check_indices(indices: Any, num_embeddings: int, where: str = "embedding") -> None:
    """Integer indices in [−num, num) (PyTorch's range; negatives wrap like NumPy's)."""
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{where}: indices must be integers (int64), got dtype {indices.dtype}")
    if indices.size and (indices.min() < 0 or indices.max() >= num_embeddings):
        bad = indices.min() if indices.min() < 0 else indices.max()
        raise IndexError(f"{where}: index {int(bad)} is out of range for {num_embeddings} "
                         f"embeddings (valid: 0 to {num_embeddings - 1}); indices shape "
                         f"{indices.shape}")


class Embedding(Op):
    """y = W[indices] for integer ``indices`` of any shape and W (num_embeddings, dim).

    Params: ``padding_idx`` (a row that gets no gradient), ``scale_grad_by_freq`` (divide
    each row's gradient by how often its index occurs in the batch).
    """

    derivative = "∂L/∂W[r] = Σ_{k: idx[k] = r} ∂L/∂y[k]  (scatter-add; 0 for padding_idx)"

    def forward(ctx, indices: Any, weight: Any, padding_idx: int | None = None,
                scale_grad_by_freq: bool = False) -> Any:
        if weight.ndim != 2:
            raise RuntimeError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), "
                               f"got shape {weight.shape}")
        check_indices(indices, weight.shape[0])
        ctx.indices, ctx.weight_shape, ctx.padding_idx = indices, weight.shape, padding_idx
        ctx.scale_grad_by_freq = scale_grad_by_freq
        return weight[indices]

    def backward(ctx, grad: Any) -> Any:
        num, dim = ctx.weight_shape
        flat_indices = ctx.indices.reshape(-1)
        rows = grad.reshape(-1, dim)
        if ctx.scale_grad_by_freq:
            counts = xp.bincount(flat_indices, minlength=num)
            rows = rows / counts[flat_indices].reshape(-1, 1)
        grad_weight = xp.zeros(ctx.weight_shape, dtype=grad.dtype)
        xp.add.at(grad_weight, flat_indices, rows)
        if ctx.padding_idx is not None:
            grad_weight[ctx.padding_idx] = 0
        return None, grad_weight
