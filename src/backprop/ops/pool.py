"""2-D max and average pooling, vectorised over pixels (a loop over the kh·kw kernel offsets).

Window (i, j) of a (padded) input covers rows i·s + p·d and columns j·s + q·d for
the kernel offsets (p, q). Taking one offset at a time, the offset's pixels of
every window form one strided slice of the input, so both pools are kh·kw
whole-array passes; no Python loop runs over pixels.

    max:  y = max_{p,q} x[i·s + p·d, j·s + q·d]     ∂y/∂x = 1 at the first maximum, else 0
    avg:  y = (1/|w|) Σ_{p,q} x[i·s + p·d, j·s + q·d]   ∂y/∂x = 1/|w| for every pixel of w
"""

from __future__ import annotations

import math
from typing import Any

from ..autograd.op import Op
from ..backends import xp
from .conv import pair


def window_args(kernel_size: Any, stride: Any, padding: Any, dilation: Any,
                where: str) -> tuple[tuple[int, int], ...]:
    """(kernel, stride, padding, dilation) as pairs, checked with PyTorch's rules.

    ``stride`` None (or []) means the kernel size. Raises a ValueError naming ``where`` for
    a kernel, stride or dilation that is not positive, or a padding outside
    [0, half the effective kernel d·(k − 1) + 1].
    """
    kernel = pair(kernel_size, f"{where}: kernel_size")
    strides = kernel if stride is None or stride == [] else pair(stride, f"{where}: stride")
    pads = pair(padding, f"{where}: padding")
    dilations = pair(dilation, f"{where}: dilation")
    for k, s, p, d in zip(kernel, strides, pads, dilations):
        if k <= 0 or s <= 0 or d <= 0:
            raise ValueError(f"{where}: kernel_size, stride and dilation must be positive, got "
                             f"kernel_size={kernel}, stride={strides}, dilation={dilations}")
        if p < 0 or 2 * p > d * (k - 1) + 1:
            raise ValueError(f"{where}: padding should be at most half of the effective kernel "
                             f"size, got padding={pads} for kernel_size={kernel}")
    return kernel, strides, pads, dilations


def pool_geometry(shape: tuple[int, ...], kernel: tuple[int, int], stride: tuple[int, int],
                  padding: tuple[int, int], dilation: tuple[int, int], ceil_mode: bool,
                  where: str) -> tuple[tuple[int, int], tuple[int, int, int, int]]:
    """Output size (Ho, Wo) and padding (top, bottom, left, right) with PyTorch's rules.

    With ``ceil_mode`` the last window may hang over the bottom/right edge (extra padding
    that never counts), but it must start inside the input or the left padding.
    """
    if len(shape) != 4:
        raise RuntimeError(f"{where}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got "
                           f"shape {tuple(shape)}")
    window_args(kernel, stride, padding, dilation, where)
    sizes, pads = [], []
    for size, k, s, p, d in zip(shape[2:], kernel, stride, padding, dilation):
        span = size + 2 * p - d * (k - 1) - 1
        out = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (out - 1) * s >= size + p:
            out -= 1
        if out <= 0:
            raise RuntimeError(f"{where}: the window {kernel} (dilation {dilation}) does not fit "
                               f"in the input of shape {tuple(shape)} with padding {padding}")
        sizes.append(out)
        pads += [p, max(p, (out - 1) * s + d * (k - 1) + 1 - size - p)]
    return (sizes[0], sizes[1]), (pads[0], pads[1], pads[2], pads[3])


def padded_input(x: Any, pads: tuple[int, int, int, int], value: float) -> Any:
    """x (N, C, H, W) padded with ``value``, in x's memory order (x itself when no padding)."""
    top, bottom, left, right = pads
    if not any(pads):
        return x
    n, c, h, w = x.shape
    # full_like keeps x's axis order in memory: a conv output stays (C, H, W, N)-ordered
    buffer = xp.full_like(x, value, shape=(n, c, h + top + bottom, w + left + right))
    buffer[:, :, top:top + h, left:left + w] = x
    return buffer


def zeros_like_layout(x: Any) -> Any:
    """Zeros of x's shape and dtype with x's axis order in memory (x: an array or a _Layout)."""
    order = sorted(range(len(x.shape)), key=lambda axis: -x.strides[axis])
    zeros = xp.zeros([x.shape[axis] for axis in order], dtype=x.dtype)
    return zeros.transpose(xp.argsort(order))


def _copy_in_layout_of(like: Any, x: Any) -> Any:
    copy = xp.empty_like(like)
    copy[...] = x
    return copy


def window_slices(kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int],
                  out_hw: tuple[int, int]) -> list[tuple[slice, ...]]:
    """For each kernel offset (p, q), row-major: the slice of the padded input it reads."""
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
    return [(slice(None), slice(None),
             slice(p * dh, p * dh + sh * (ho - 1) + 1, sh),
             slice(q * dw, q * dw + sw * (wo - 1) + 1, sw))
            for p in range(kh) for q in range(kw)]


def _overlapping(kernel: tuple[int, int], stride: tuple[int, int],
                 dilation: tuple[int, int]) -> bool:
    return any(d * (k - 1) + 1 > s for k, s, d in zip(kernel, stride, dilation))


def max_pool_forward(x: Any, kernel: tuple[int, int], stride: tuple[int, int],
                     padding: tuple[int, int], dilation: tuple[int, int],
                     ceil_mode: bool) -> tuple[Any, Any, Any]:
    """(maxima, −∞-padded input, geometry): kh·kw − 1 element-wise maxima (NaN wins)."""
    out_hw, pads = pool_geometry(x.shape, kernel, stride, padding, dilation, ceil_mode,
                                 "max_pool2d")
    padded = padded_input(x, pads, -math.inf)
    slices = window_slices(kernel, stride, dilation, out_hw)
    if len(slices) == 1:
        best = padded[slices[0]].copy(order="K")
    else:
        best = xp.maximum(padded[slices[0]], padded[slices[1]])
        for window in slices[2:]:
            xp.maximum(best, padded[window], out=best)
    return best, padded, (x.shape, pads, slices)


def first_maxima(padded: Any, out: Any, slices: list[Any]) -> Any:
    """For each kernel offset k, where offset k holds its window's first maximum (bool masks).

    Ties go to the first offset in row-major order; a window whose maximum is NaN goes to
    its last NaN (PyTorch's rule: ``val > max || isnan(val)`` replaces).
    """
    nan_windows = None
    if out.dtype.kind == "f" and xp.isnan(out.sum()):  # one cheap pass when there is no NaN
        nan_windows = xp.isnan(out)
    taken: Any = None
    masks: list[Any] = [None] * len(slices)
    last = len(slices) - 1
    for k, window in enumerate(slices):
        if k == last and k > 0 and nan_windows is None:
            masks[k] = ~taken  # every window holds its maximum somewhere
            break
        hit = padded[window] == out
        if taken is None:
            taken = xp.copy(hit)  # order 'K': the same memory order as hit
        else:
            xp.greater(hit, taken, out=hit)  # hit and not yet taken
            taken |= hit
        masks[k] = hit
    if nan_windows is not None:
        taken = ~nan_windows
        for k in reversed(range(len(slices))):
            hit = xp.isnan(padded[slices[k]])
            xp.greater(hit, taken, out=hit)
            taken |= hit
            masks[k] |= hit
    return masks


class MaxPool2d(Op):
    """y = max over each kh×kw window (stride s, dilation d, −∞ padding).

    Params: ``kernel``, ``stride``, ``padding``, ``dilation`` (pairs), ``ceil_mode``.
    Backward finds each window's first maximum again (x == y at offset k, not taken by an
    earlier offset) instead of keeping an index array.
    """

    derivative = "∂y/∂x = 1 at the window's (first) maximum, 0 elsewhere"

    def forward(ctx, x: Any, kernel: tuple[int, int] = (2, 2), stride: tuple[int, int] = (2, 2),
                padding: tuple[int, int] = (0, 0), dilation: tuple[int, int] = (1, 1),
                ceil_mode: bool = False) -> Any:
        out, padded, geometry = max_pool_forward(x, kernel, stride, padding, dilation, ceil_mode)
        ctx.padded, ctx.out, ctx.geometry = padded, out, geometry
        ctx.overlap = _overlapping(kernel, stride, dilation)
        return out

    def backward(ctx, grad: Any) -> Any:
        x_shape, pads, slices = ctx.geometry
        padded = ctx.padded
        out = ctx.out
        masks = first_maxima(padded, out, slices)
        grad_padded = zeros_like_layout(padded)
        if grad.strides != out.strides:  # one copy into y's layout: the strided passes match
            grad = _copy_in_layout_of(out, grad)
        for window, mask in zip(slices, masks):
            if ctx.overlap:
                grad_padded[window] += grad * mask
            else:
                xp.multiply(grad, mask, out=grad_padded[window])
        top, _, left, _ = pads
        return grad_padded[:, :, top:top + x_shape[2], left:left + x_shape[3]]


def max_pool_indices(padded: Any, out: Any, geometry: Any, kernel: tuple[int, int],
                     stride: tuple[int, int], dilation: tuple[int, int]) -> Any:
    """PyTorch's ``return_indices``: the flat position h·W + w of each maximum in its plane."""
    x_shape, pads, slices = geometry
    masks = first_maxima(padded, out, slices)
    index = xp.zeros(out.shape, dtype=xp.int64)
    for k, mask in enumerate(masks):
        index[mask] = k
    ho, wo = index.shape[2:]
    p, q = xp.divmod(index, kernel[1])
    rows = xp.arange(ho).reshape(ho, 1) * stride[0] - pads[0] + p * dilation[0]
    cols = xp.arange(wo) * stride[1] - pads[2] + q * dilation[1]
    return rows * x_shape[3] + cols


def avg_pool_divisor(x_shape: tuple[int, ...], kernel: tuple[int, int], stride: tuple[int, int],
                     padding: tuple[int, int], pads: tuple[int, int, int, int],
                     slices: list[Any], count_include_pad: bool, dtype: Any) -> Any:
    """How many pixels each window averages: a number, or an (Ho, Wo) array at the borders.

    With ``count_include_pad`` the zero padding counts, the ceil-mode overhang never does.
    """
    h, w = x_shape[2:]
    top, bottom, left, right = pads
    if not any(pads) or (count_include_pad and (bottom, right) == tuple(padding)):
        return float(kernel[0] * kernel[1])
    counted = xp.zeros((1, 1, h + top + bottom, w + left + right), dtype=dtype)
    if count_include_pad:
        counted[:, :, :h + 2 * padding[0], :w + 2 * padding[1]] = 1
    else:
        counted[:, :, top:top + h, left:left + w] = 1
    total = sum(counted[window] for window in slices)
    return total[0, 0]


class _Layout:
    """The shape, strides and dtype of an array that backward does not need to keep."""

    def __init__(self, x: Any) -> None:
        self.shape, self.strides, self.dtype = x.shape, x.strides, x.dtype


class AvgPool2d(Op):
    """y = (1/|w|) Σ x over each kh×kw window (zero padding; |w| as ``count_include_pad``).

    Params: ``kernel``, ``stride``, ``padding`` (pairs), ``ceil_mode``, ``count_include_pad``,
    ``divisor_override``.
    """

    derivative = "∂y/∂x = 1/|w| for every pixel x of the window w"

    def forward(ctx, x: Any, kernel: tuple[int, int] = (2, 2), stride: tuple[int, int] = (2, 2),
                padding: tuple[int, int] = (0, 0), ceil_mode: bool = False,
                count_include_pad: bool = True, divisor_override: int | None = None) -> Any:
        out_hw, pads = pool_geometry(x.shape, kernel, stride, padding, (1, 1), ceil_mode,
                                     "avg_pool2d")
        padded = padded_input(x, pads, 0.0)
        slices = window_slices(kernel, stride, (1, 1), out_hw)
        out = padded[slices[0]].copy(order="K")
        for window in slices[1:]:
            out += padded[window]
        if divisor_override:
            divisor: Any = float(divisor_override)
        else:
            divisor = avg_pool_divisor(x.shape, kernel, stride, padding, pads, slices,
                                       count_include_pad, x.dtype)
        out /= divisor
        ctx.divisor, ctx.slices, ctx.pads, ctx.x_shape = divisor, slices, pads, x.shape
        ctx.padded = _Layout(padded)
        ctx.overlap = _overlapping(kernel, stride, (1, 1))
        return out

    def backward(ctx, grad: Any) -> Any:
        share = grad / ctx.divisor
        grad_padded = zeros_like_layout(ctx.padded)
        for window in ctx.slices:
            if ctx.overlap:
                grad_padded[window] += share
            else:
                grad_padded[window] = share
        top, _, left, _ = ctx.pads
        h, w = ctx.x_shape[2:]
        return grad_padded[:, :, top:top + h, left:left + w]
