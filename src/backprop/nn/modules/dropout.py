"""``Dropout``: inverted dropout while training, the identity in eval mode."""

from __future__ import annotations

from typing import Any

from .. import functional as F
from ..module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    """y = x · m / (1 − p), m ~ Bernoulli(1 − p) per element, while training; y = x in eval.

    Args:
        p: probability of zeroing an element (default 0.5), in [0, 1].
        inplace: accepted for PyTorch compatibility; the output is a new tensor.

    The mask comes from the library's generator, so ``bp.manual_seed`` repeats it.

    Example::

        >>> import backprop as bp
        >>> drop = bp.nn.Dropout(0.5).eval()
        >>> drop(bp.ones(3)).tolist()
        [1.0, 1.0, 1.0]
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input: Any) -> Any:  # noqa: A002
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
