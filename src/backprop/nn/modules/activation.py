"""Activation layers; each calls its ``nn.functional`` form."""

from __future__ import annotations

from typing import Any

from ...ops import elementwise as _ew
from .. import functional as F
from ..module import Module

_sigmoid, _tanh, _relu = _ew.Sigmoid.apply, _ew.Tanh.apply, _ew.ReLU.apply


class Sigmoid(Module):
    """σ(x) = 1 / (1 + e⁻ˣ), element-wise.

    Shape: any; the output has the input's shape.

    Example::

        >>> import backprop as bp
        >>> [round(v, 4) for v in bp.nn.Sigmoid()(bp.tensor([-1.0, 0.0, 2.0])).tolist()]
        [0.2689, 0.5, 0.8808]
    """

    def forward(self, input: Any) -> Any:  # noqa: A002
        return _sigmoid(input)  # F.sigmoid, without its frame


class Tanh(Module):
    """tanh x = (eˣ − e⁻ˣ) / (eˣ + e⁻ˣ), element-wise.

    Shape: any; the output has the input's shape.

    Example::

        >>> import backprop as bp
        >>> [round(v, 4) for v in bp.nn.Tanh()(bp.tensor([-1.0, 0.0, 2.0])).tolist()]
        [-0.7616, 0.0, 0.964]
    """

    def forward(self, input: Any) -> Any:  # noqa: A002
        return _tanh(input)  # F.tanh, without its frame


class ReLU(Module):
    """ReLU(x) = max(x, 0), element-wise (``inplace`` is accepted; the output is new).

    Shape: any; the output has the input's shape.

    Example::

        >>> import backprop as bp
        >>> [round(v, 4) for v in bp.nn.ReLU()(bp.tensor([-1.0, 0.0, 2.0])).tolist()]
        [0.0, 0.0, 2.0]
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Any) -> Any:  # noqa: A002
        return _relu(input)  # F.relu, without its frame


class LeakyReLU(Module):
    """LeakyReLU(x) = x if x > 0 else a·x, a = ``negative_slope`` (default 0.01).

    Shape: any; the output has the input's shape.

    Example::

        >>> import backprop as bp
        >>> [round(v, 4) for v in bp.nn.LeakyReLU(0.1)(bp.tensor([-1.0, 0.0, 2.0])).tolist()]
        [-0.1, 0.0, 2.0]
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input: Any) -> Any:  # noqa: A002
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    """ELU(x) = x if x > 0 else α(eˣ − 1), α = ``alpha`` (default 1).

    Shape: any; the output has the input's shape.

    Example::

        >>> import backprop as bp
        >>> [round(v, 4) for v in bp.nn.ELU()(bp.tensor([-1.0, 0.0, 2.0])).tolist()]
        [-0.6321, 0.0, 2.0]
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input: Any) -> Any:  # noqa: A002
        return F.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class GELU(Module):
    """GELU(x) = x·Φ(x), Φ the standard normal CDF; ``approximate='tanh'`` uses
    0.5x(1 + tanh(√(2/π)(x + 0.044715x³))).

    Shape: any; the output has the input's shape.

    Example::

        >>> import backprop as bp
        >>> [round(v, 4) for v in bp.nn.GELU()(bp.tensor([-1.0, 0.0, 2.0])).tolist()]
        [-0.1587, 0.0, 1.9545]
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input: Any) -> Any:  # noqa: A002
        return F.gelu(input, self.approximate)


class Softmax(Module):
    """softmax(x)ᵢ = e^{xᵢ} / Σⱼ e^{xⱼ} along ``dim`` (None: PyTorch's implicit choice, warned).

    Shape: any; the output has the input's shape and sums to 1 along ``dim``.

    Example::

        >>> import backprop as bp
        >>> [round(v, 4) for v in bp.nn.Softmax(dim=1)(bp.tensor([[1.0, 2.0, 3.0]]))[0].tolist()]
        [0.09, 0.2447, 0.6652]
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Any) -> Any:  # noqa: A002
        return F.softmax(input, self.dim)  # dim None: PyTorch's implicit choice

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log softmax(x)ᵢ = xᵢ − log Σⱼ e^{xⱼ} along ``dim``, computed stably.

    Example::

        >>> import backprop as bp
        >>> x = bp.tensor([[1.0, 2.0, 3.0]])
        >>> [round(v, 4) for v in bp.nn.LogSoftmax(dim=1)(x)[0].tolist()]
        [-2.4076, -1.4076, -0.4076]
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Any) -> Any:  # noqa: A002
        return F.log_softmax(input, self.dim)  # dim None: PyTorch's implicit choice

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
