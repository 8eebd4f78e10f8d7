"""``Embedding``: a lookup table of learned vectors."""

from __future__ import annotations

from typing import Any

from ...backends import xp
from ...dtypes import default_dtype
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter

__all__ = ["Embedding"]


class Embedding(Module):
    """y = weight[indices]: row i of a (num_embeddings, embedding_dim) table per index i.

    Args:
        num_embeddings: size of the table. embedding_dim: size of each vector.
        padding_idx: a row that starts at zero and gets no gradient.
        max_norm: rescale each looked-up row whose ``norm_type``-norm exceeds it.
        scale_grad_by_freq: divide each row's gradient by its index's count in the batch.
        sparse: not supported (gradients are dense).
        _weight: an initial table instead of N(0, 1) (PyTorch's default init).

    Shape: integer input (*) → output (*, embedding_dim).

    Example::

        >>> import backprop as bp
        >>> emb = bp.nn.Embedding(10, 3)
        >>> emb(bp.tensor([[1, 2, 4], [4, 3, 9]])).shape
        (2, 3, 3)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False, _weight: Any = None,
                 _freeze: bool = False, dtype: Any = None) -> None:
        super().__init__()
        if num_embeddings <= 0 or embedding_dim < 0:
            raise ValueError(f"Embedding: num_embeddings must be positive and embedding_dim "
                             f"non-negative, got {num_embeddings}, {embedding_dim}")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx must be within num_embeddings "
                                 f"[-{num_embeddings}, {num_embeddings}), got {padding_idx}")
            padding_idx %= num_embeddings
        if sparse:
            raise NotImplementedError("Embedding: sparse gradients are not supported")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx, self.max_norm, self.norm_type = padding_idx, max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            dtype = dtype or default_dtype()
            self.weight = Parameter(xp.empty((num_embeddings, embedding_dim), dtype=dtype),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            array = xp.asarray(getattr(_weight, "data", _weight))
            if array.shape != (num_embeddings, embedding_dim):
                raise ValueError(f"Embedding: _weight of shape {array.shape} does not match "
                                 f"({num_embeddings}, {embedding_dim})")
            self.weight = Parameter(array, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings: Any, freeze: bool = True,
                        padding_idx: int | None = None, max_norm: float | None = None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> Embedding:
        """An Embedding holding ``embeddings`` (2-D); ``freeze`` stops its gradient."""
        if embeddings.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-D, got shape "
                             f"{tuple(embeddings.shape)}")
        rows, dim = embeddings.shape
        return cls(rows, dim, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                   _weight=embeddings, _freeze=freeze)

    def forward(self, input: Any) -> Any:  # noqa: A002
        indices = getattr(input, "data", input)
        if indices.dtype.kind not in "iu":
            raise TypeError(f"Embedding({self.num_embeddings}, {self.embedding_dim}): indices "
                            f"must be integers (int64), got dtype {indices.dtype}")
        if indices.size and (indices.min() < 0 or indices.max() >= self.num_embeddings):
            raise IndexError(f"Embedding({self.num_embeddings}, {self.embedding_dim}): index "
                             f"out of range: indices span [{indices.min()}, {indices.max()}], "
                             f"valid 0..{self.num_embeddings - 1}")
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq, self.sparse)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        return text
