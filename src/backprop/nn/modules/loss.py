"""Loss layers; each calls its ``nn.functional`` form with its ``reduction``."""

from __future__ import annotations

from typing import Any

from ...ops.loss import check_label_smoothing, check_reduction
from .. import functional as F
from ..module import Module


class _Loss(Module):
    weight: Any  # a buffer (None or a Tensor) in the losses that take one, as in PyTorch
    pos_weight: Any
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}" if self.reduction != "mean" else ""


class MSELoss(_Loss):
    """Mean squared error: ℓ = (x − y)² per element, then reduced.

    Args:
        reduction: 'mean' (default), 'sum' or 'none' (one loss per element).

    Shape: input and target of the same shape; a scalar unless reduction='none'.

    Example::

        >>> import backprop as bp
        >>> x, y = bp.tensor([-1.0, 0.0, 2.0]), bp.tensor([0.0, 1.0, 4.0])
        >>> bp.nn.MSELoss()(x, y).item(), bp.nn.MSELoss(reduction="sum")(x, y).item()
        (2.0, 6.0)
    """

    def forward(self, input: Any, target: Any) -> Any:  # noqa: A002
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error: ℓ = |x − y| per element, then reduced.

    Args:
        reduction: 'mean' (default), 'sum' or 'none' (one loss per element).

    Example::

        >>> import backprop as bp
        >>> bp.nn.L1Loss()(bp.tensor([-1.0, 0.0, 2.0]), bp.tensor([0.0, 1.0, 4.0])).item()
        1.3333333730697632
    """

    def forward(self, input: Any, target: Any) -> Any:  # noqa: A002
        return F.l1_loss(input, target, reduction=self.reduction)


class NLLLoss(_Loss):
    """Negative log-likelihood: ℓₙ = −w_{yₙ}·x[n, yₙ] for log-probabilities x.

    'mean' divides Σₙ ℓₙ by Σₙ w_{yₙ} over the targets that are not ignored.

    Args:
        weight: a weight per class (C,), or None for ones.
        ignore_index: targets with this value contribute nothing (default −100).
        reduction: 'mean' (default), 'sum' or 'none' (one loss per element).

    Shape: input (N, C) or (N, C, d1, …); target (N) or (N, d1, …) of class indices.

    Example::

        >>> import backprop as bp
        >>> logits = bp.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
        >>> round(bp.nn.NLLLoss()(logits.log_softmax(dim=1), bp.tensor([0, 2])).item(), 4)
        0.1755
    """

    def __init__(self, weight: Any = None, ignore_index: int = -100,
                 reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.register_buffer("weight", weight)  # a buffer, as PyTorch's: in state_dict
        self.ignore_index = ignore_index

    def forward(self, input: Any, target: Any) -> Any:  # noqa: A002
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class CrossEntropyLoss(_Loss):
    """Cross-entropy from logits: ℓₙ = −w_{yₙ} log softmax(xₙ)[yₙ], log-softmax and NLL in
    one op (∂ℓₙ/∂xₙ = softmax(xₙ) − onehot(yₙ), before weights).

    Args:
        weight, ignore_index, reduction: as in :class:`NLLLoss`.
        label_smoothing: ε in [0, 1]: the target becomes (1 − ε)·onehot + ε/C.

    Targets are class indices, or class probabilities of the input's shape.

    Example::

        >>> import backprop as bp
        >>> logits = bp.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
        >>> round(bp.nn.CrossEntropyLoss()(logits, bp.tensor([0, 2])).item(), 4)
        0.1755
    """

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(reduction)
        check_label_smoothing(label_smoothing, "CrossEntropyLoss")
        self.register_buffer("weight", weight)  # a buffer, as PyTorch's: in state_dict
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Any, target: Any) -> Any:  # noqa: A002
        return F.cross_entropy(input, target, self.weight, self.ignore_index, self.reduction,
                               self.label_smoothing)


class BCELoss(_Loss):
    """Binary cross-entropy of probabilities: ℓ = −w[y log x + (1 − y) log(1 − x)],
    each log clamped at −100 as in PyTorch.

    Args:
        weight: a weight broadcast over the elements, or None.
        reduction: 'mean' (default), 'sum' or 'none' (one loss per element).

    Example::

        >>> import backprop as bp
        >>> round(bp.nn.BCELoss()(bp.tensor([0.9, 0.2]), bp.tensor([1.0, 0.0])).item(), 4)
        0.1643
    """

    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.register_buffer("weight", weight)

    def forward(self, input: Any, target: Any) -> Any:  # noqa: A002
        return F.binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of σ(x) from logits x, computed stably:
    ℓ = w[(1 − y)x + (1 + (p − 1)y)·log(1 + e⁻ˣ)].

    Args:
        weight: a weight broadcast over the elements, or None.
        reduction: 'mean' (default), 'sum' or 'none' (one loss per element).
        pos_weight: p, a weight of the positive targets per class, or None.

    Example::

        >>> import backprop as bp
        >>> x, y = bp.tensor([2.0, -1.0]), bp.tensor([1.0, 0.0])
        >>> round(bp.nn.BCEWithLogitsLoss()(x, y).item(), 4)
        0.2201
    """

    def __init__(self, weight: Any = None, reduction: str = "mean",
                 pos_weight: Any = None) -> None:
        super().__init__(reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Any, target: Any) -> Any:  # noqa: A002
        return F.binary_cross_entropy_with_logits(input, target, self.weight, self.reduction,
                                                  self.pos_weight)
