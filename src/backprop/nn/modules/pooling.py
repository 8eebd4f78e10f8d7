"""Pooling layers: ``MaxPool2d``, ``AvgPool2d``."""

from __future__ import annotations

from typing import Any

from ...ops.pool import window_args
from .. import functional as F
from ..module import Module

__all__ = ["MaxPool2d", "AvgPool2d"]


class MaxPool2d(Module):
    """y = the maximum of each kh×kw window of every input plane.

    Args:
        kernel_size: an int or a pair. stride: defaults to ``kernel_size``.
        padding: implicit −∞ padding on both sides (at most half the kernel).
        dilation: spacing between the window's elements.
        return_indices: also return the flat position of each maximum.
        ceil_mode: round the output size up (the last window may overhang).

    Shape: (N, C, H, W) → (N, C, Ho, Wo), Ho = ⌊(H + 2p − d(k − 1) − 1)/s⌋ + 1.

    Example::

        >>> import backprop as bp
        >>> bp.nn.MaxPool2d(2)(bp.zeros(1, 3, 28, 28)).shape
        (1, 3, 14, 14)
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        window_args(kernel_size, stride, padding, dilation, "MaxPool2d")
        self.kernel_size, self.padding, self.dilation = kernel_size, padding, dilation
        self.stride = stride if stride is not None else kernel_size
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Any) -> Any:  # noqa: A002
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """y = the mean of each kh×kw window of every input plane.

    Args:
        kernel_size: an int or a pair. stride: defaults to ``kernel_size``.
        padding: implicit zero padding on both sides (at most half the kernel).
        ceil_mode: round the output size up (the last window may overhang).
        count_include_pad: count the zero padding in the mean's denominator.
        divisor_override: divide by this number instead of the window's size.

    Example::

        >>> import backprop as bp
        >>> bp.nn.AvgPool2d(2)(bp.ones(1, 1, 4, 4))[0, 0].tolist()
        [[1.0, 1.0], [1.0, 1.0]]
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__()
        window_args(kernel_size, stride, padding, 1, "AvgPool2d")
        if divisor_override is not None and divisor_override <= 0:
            raise ValueError(f"AvgPool2d: divisor_override must be positive, got "
                             f"{divisor_override}")
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = stride if stride is not None else kernel_size
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Any) -> Any:  # noqa: A002
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
