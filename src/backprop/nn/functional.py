"""The functional form of every layer: ``F.linear``, ``F.relu``, ``F.cross_entropy``, ...

Modules hold parameters and call these; the math lives in ``backprop.ops``.
"""

from __future__ import annotations

import warnings
from typing import Any

from ..ops import elementwise as ew
from ..ops import loss as ls
from ..ops import matmul as mm
from ..ops import reduce as rd
from ..tensor import Tensor


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _data(x: Any) -> Any:
    return None if x is None else (x.data if isinstance(x, Tensor) else x)


# --- dense ----------------------------------------------------------------------------
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """y = x Wᵀ + b; x (*, in), W (out, in), b (out,).

    Example::

        >>> import backprop as bp
        >>> import backprop.nn.functional as F
        >>> F.linear(bp.ones(2, 3), bp.ones(4, 3), bp.full((4,), 0.5)).tolist()[0]
        [3.5, 3.5, 3.5, 3.5]
    """
    if bias is None:
        return mm.Linear.apply(input, weight)
    return mm.Linear.apply(input, weight, bias)


# --- activations ----------------------------------------------------------------------
def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """σ(x) = 1 / (1 + e⁻ˣ)."""
    return ew.Sigmoid.apply(input)


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    """tanh x."""
    return ew.Tanh.apply(input)


def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """max(x, 0)."""
    return ew.ReLU.apply(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:  # noqa: A002
    """x if x > 0 else negative_slope·x."""
    return ew.LeakyReLU.apply(input, negative_slope=negative_slope)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """x if x > 0 else α(eˣ − 1)."""
    return ew.ELU.apply(input, alpha=alpha)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    """x·Φ(x) (``approximate='tanh'``: the tanh approximation)."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return ew.GELU.apply(input, approximate=approximate)


def _implicit_dim(name: str, ndim: int) -> int:
    """PyTorch's legacy choice when no ``dim`` is given: 0 for 0-, 1- and 3-D input, else 1."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None) -> Tensor:  # noqa: A002
    """e^{xᵢ} / Σⱼ e^{xⱼ} along ``dim``."""
    if dim is None:
        dim = _implicit_dim("softmax", input.ndim)
    return rd.Softmax.apply(input, dim=dim)


def log_softmax(input: Tensor, dim: int | None = None) -> Tensor:  # noqa: A002
    """xᵢ − log Σⱼ e^{xⱼ} along ``dim``."""
    if dim is None:
        dim = _implicit_dim("log_softmax", input.ndim)
    return rd.LogSoftmax.apply(input, dim=dim)


# --- losses ---------------------------------------------------------------------------
def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """(x − y)², reduced."""
    ls.check_reduction(reduction, "mse_loss")
    target = _t(target)
    ls.check_same_shape("mse_loss", input, target)
    return ls.MSELoss.apply(input, target, reduction=reduction)


def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:  # noqa: A002
    """|x − y|, reduced."""
    ls.check_reduction(reduction, "l1_loss")
    target = _t(target)
    ls.check_same_shape("l1_loss", input, target)
    return ls.L1Loss.apply(input, target, reduction=reduction)


def nll_loss(input: Tensor, target: Any, weight: Any = None, ignore_index: int = -100,  # noqa: A002
             reduction: str = "mean") -> Tensor:
    """−w_y · x[y] for log-probabilities x and class indices y."""
    ls.check_reduction(reduction, "nll_loss")
    return ls.NLLLoss.apply(input, _data(_t(target)), weight=_data(weight),
                            ignore_index=ignore_index, reduction=reduction)


def cross_entropy(input: Tensor, target: Any, weight: Any = None, ignore_index: int = -100,  # noqa: A002
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """−log softmax(x)[y] for logits x and class indices (or class probabilities) y.

    Example::

        >>> import backprop as bp
        >>> import backprop.nn.functional as F
        >>> logits = bp.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]], requires_grad=True)
        >>> loss = F.cross_entropy(logits, bp.tensor([0, 2]), reduction="sum")
        >>> loss.backward()
        >>> [round(g, 4) for g in logits.grad[0].tolist()]  # softmax(x₀) − onehot(0)
        [-0.2144, 0.1753, 0.0391]
    """
    ls.check_reduction(reduction, "cross_entropy")
    ls.check_label_smoothing(label_smoothing, "cross_entropy")
    target = _t(target)
    soft = target.data.dtype.kind == "f" and target.requires_grad  # class probabilities learn
    return ls.CrossEntropyLoss.apply(input, target if soft else target.data, weight=_data(weight),
                                     ignore_index=ignore_index, reduction=reduction,
                                     label_smoothing=label_smoothing)


def binary_cross_entropy(input: Tensor, target: Any, weight: Any = None,  # noqa: A002
                         reduction: str = "mean") -> Tensor:
    """−[y log x + (1 − y) log(1 − x)] for probabilities x."""
    ls.check_reduction(reduction, "binary_cross_entropy")
    return ls.BCELoss.apply(input, _t(target), weight=_data(weight), reduction=reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Any, weight: Any = None,  # noqa: A002
                                     reduction: str = "mean", pos_weight: Any = None) -> Tensor:
    """BCE of σ(x), computed stably from the logits x."""
    ls.check_reduction(reduction, "binary_cross_entropy_with_logits")
    return ls.BCEWithLogitsLoss.apply(input, _t(target), weight=_data(weight),
                                      pos_weight=_data(pos_weight), reduction=reduction)


# --- images and sequences (issue 3): defined beside their ops, re-exported here -------
from ._functional_images import *  # noqa: E402,F401,F403
from ._functional_sequences import *  # noqa: E402,F401,F403
