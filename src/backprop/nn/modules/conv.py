"""Convolution layers: ``Conv2d``."""

from __future__ import annotations

from typing import Any

from ...backends import xp
from ...dtypes import default_dtype
from ...ops.conv import check_conv_input, conv_padding, pair
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter

__all__ = ["Conv2d"]


class Conv2d(Module):
    """y[n, o] = b[o] + Σ_c W[o, c] ⋆ x[n, c], a 2-D cross-correlation over C input planes.

    Args:
        in_channels, out_channels: channels of the input and of the output.
        kernel_size: an int or a pair (kh, kw).
        stride, padding, dilation: an int or a pair; padding may be 'valid' or 'same'.
        groups: split the channels into this many independent convolutions.
        bias: learn an additive bias per output channel (default True).
        padding_mode: only 'zeros'.

    Shape: input (N, C_in, H, W) → output (N, C_out, Ho, Wo) with
    Ho = ⌊(H + 2·padding − dilation·(kh − 1) − 1) / stride⌋ + 1. ``weight`` is
    (C_out, C_in/groups, kh, kw); weight and bias start as U(−1/√fan_in, 1/√fan_in),
    fan_in = C_in/groups·kh·kw (PyTorch's default).

    Example::

        >>> import backprop as bp
        >>> conv = bp.nn.Conv2d(3, 8, kernel_size=3, stride=2, padding=1)
        >>> conv(bp.zeros(4, 3, 28, 28)).shape
        (4, 8, 14, 14)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", dtype: Any = None) -> None:
        super().__init__()
        if in_channels < 0 or out_channels < 0:
            raise ValueError(f"Conv2d: in_channels and out_channels must be >= 0, got "
                             f"{in_channels}, {out_channels}")
        if groups <= 0:
            raise ValueError(f"Conv2d: groups must be a positive integer, got {groups}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"Conv2d: in_channels ({in_channels}) and out_channels "
                             f"({out_channels}) must both be divisible by groups ({groups})")
        if padding_mode != "zeros":
            raise NotImplementedError(f"Conv2d: padding_mode={padding_mode!r}; only 'zeros' "
                                      "is supported")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = pair(kernel_size, "Conv2d: kernel_size")
        self.stride = pair(stride, "Conv2d: stride")
        self.dilation = pair(dilation, "Conv2d: dilation")
        if min(self.kernel_size + self.stride + self.dilation) <= 0:
            raise ValueError(f"Conv2d: kernel_size, stride and dilation must be positive, got "
                             f"{self.kernel_size}, {self.stride}, {self.dilation}")
        # conv_padding rejects what F.conv2d would: unknown strings, 'same' with a stride,
        # negative padding
        conv_padding(padding, self.kernel_size, self.dilation, self.stride, where="Conv2d")
        self.padding: Any = padding if isinstance(padding, str) else pair(padding, "Conv2d")
        self.padding_mode = padding_mode
        dtype = dtype or default_dtype()
        shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(xp.empty(shape, dtype=dtype))
        if bias:
            self.bias = Parameter(xp.empty((out_channels,), dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.default_layer_init_(self.weight, self.bias)

    def forward(self, input: Any) -> Any:  # noqa: A002
        shape = tuple(input.shape)
        check_conv_input((1, *shape) if len(shape) == 3 else shape, tuple(self.weight.shape),
                         self.groups, where=f"Conv2d({self.extra_repr()})")
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding not in ((0, 0), "valid"):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text
