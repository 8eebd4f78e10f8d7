"""2-D convolution as one matrix product (im2col), and its two gradients.

For an input x (N, C, H, W), a weight W (O, C/G, kh, kw) and G groups, the
cross-correlation (what deep-learning libraries call convolution) is

    y[n, o, i, j] = b[o] + Σ_{c, p, q} W[o, c, p, q] · x̃[n, g·C/G + c, i·s + p·d, j·s + q·d]

with x̃ the zero-padded input, s the stride, d the dilation and g = o // (O/G).
Unrolling every receptive field into a column ("im2col") turns it into one
matrix product per group:

    cols (C·kh·kw, N·Ho·Wo),   Y = W₂ · cols,   W₂ = W reshaped to (O, C/G·kh·kw)

and the backward pass is two more products plus the adjoint of the unrolling:

    ∂L/∂W₂ = G_Y · colsᵀ      ∂L/∂cols = W₂ᵀ · G_Y      ∂L/∂x = col2im(∂L/∂cols)

where col2im adds every column entry back onto the input pixel it was copied
from (overlapping windows add up).

Memory layout: the batch axis goes last. Inputs are read, and columns and
outputs written, in (C, H, W, N) order, so every copy and every add of im2col
and col2im runs over contiguous stretches of Wo·N numbers instead of rows of
Wo. The output is returned as a (N, O, Ho, Wo) view of the (O, Ho, Wo, N)
product: element-wise layers after it keep that memory order, and the gradient
comes back already in the layout the products want.
"""

from __future__ import annotations

import os
from typing import Any

from ..autograd.op import Op
from ..backends import xp

as_strided = xp.lib.stride_tricks.as_strided


def pair(value: Any, name: str) -> tuple[int, int]:
    """An int or a pair of ints as a pair (PyTorch's ``_pair``)."""
    if isinstance(value, int):
        return (value, value)
    values = tuple(value)
    if len(values) == 1:
        return (int(values[0]), int(values[0]))
    if len(values) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return (int(values[0]), int(values[1]))


def conv_padding(padding: Any, kernel: tuple[int, int], dilation: tuple[int, int],
                 stride: tuple[int, int], where: str = "conv2d") -> tuple[int, int, int, int]:
    """(top, bottom, left, right) zero padding for an int, a pair, 'valid' or 'same'."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding != "same":
            raise ValueError(f"{where}: padding must be 'valid', 'same', an int or a pair, "
                             f"got {padding!r}")
        if stride != (1, 1):
            raise ValueError(f"{where}: padding='same' is not supported for strided "
                             f"convolutions (stride={stride})")
        pads = []
        for k, d in zip(kernel, dilation):
            total = d * (k - 1)  # PyTorch puts the odd pixel at the bottom/right
            pads += [total // 2, total - total // 2]
        return (pads[0], pads[1], pads[2], pads[3])
    ph, pw = pair(padding, f"{where}: padding")
    if ph < 0 or pw < 0:
        raise ValueError(f"{where}: padding must be non-negative, got {padding!r}")
    return (ph, ph, pw, pw)


def output_size(size: int, kernel: int, stride: int, pad_total: int, dilation: int) -> int:
    """⌊(size + padding − d·(k − 1) − 1) / s⌋ + 1."""
    return (size + pad_total - dilation * (kernel - 1) - 1) // stride + 1


def batch_last(x: Any) -> Any:
    """x (N, C, H, W) as a (C, H, W, N) view (free; contiguous when x came from a conv)."""
    return x.transpose(1, 2, 3, 0)


def batch_first(x: Any) -> Any:
    """The inverse of :func:`batch_last`: (C, H, W, N) → an (N, C, H, W) view."""
    return x.transpose(3, 0, 1, 2)


def pad_batch_last(x: Any, pads: tuple[int, int, int, int]) -> Any:
    """x (N, C, H, W) zero-padded by (top, bottom, left, right) and stored (C, Hp, Wp, N)."""
    top, bottom, left, right = pads
    if not any(pads):
        return batch_last(x)
    n, c, h, w = x.shape
    buffer = xp.zeros((c, h + top + bottom, w + left + right, n), dtype=x.dtype)
    buffer[:, top:top + h, left:left + w, :] = batch_last(x)
    return buffer


BLOCK_BYTES = 4 << 20
"""Columns are built and used one block of output rows at a time, about this many bytes:
a block is still in cache when the product reads it, and a buffer of this size is reused
from the C library's heap step after step, where one of the whole columns (kh·kw times
the input) would be mapped fresh, and page-faulted, every time."""


_heap = {"warm": os.environ.get("BACKPROP_HEAP_WARMUP", "1") == "0"}


def warm_heap() -> None:
    """Once per process: make and drop one 24 MiB array, so that glibc reuses freed arrays.

    glibc gives a freed block at least as large as its mmap threshold (128 KiB at first)
    back to the system, and the next array of that size is mapped afresh, one page fault
    per 4 KiB; it raises the threshold (to at most 32 MiB, the trim threshold to twice
    that) to the size of the largest such block freed so far. Training frees and makes
    megabytes of activations every step; without this, on the CNN benchmark, that is
    ~8000 page faults and a third of the step's time. Where ``MALLOC_MMAP_THRESHOLD_`` or
    ``MALLOC_TRIM_THRESHOLD_`` are set, or the C library is another, nothing changes;
    ``BACKPROP_HEAP_WARMUP=0`` turns it off.
    """
    if not _heap["warm"]:
        _heap["warm"] = True
        xp.empty(24 << 20, dtype=xp.uint8)  # mapped, then unmapped at once: no page touched


def row_blocks(out_rows: int, bytes_per_row: int) -> list[tuple[int, int]]:
    """Split output rows 0..out_rows into blocks (start, stop) of about BLOCK_BYTES."""
    rows = max(1, BLOCK_BYTES // max(1, bytes_per_row))
    return [(start, min(out_rows, start + rows)) for start in range(0, out_rows, rows)]


def im2col(padded: Any, kernel: tuple[int, int], stride: tuple[int, int],
           dilation: tuple[int, int], out_hw: tuple[int, int],
           rows: tuple[int, int] | None = None, ones_row: bool = False) -> Any:
    """The receptive fields of output rows ``rows`` (default: all) of ``padded``
    (C, Hp, Wp, N) as columns: (C·kh·kw, rows·Wo·N).

    One strided view, one copy: cols[c, p, q, i, j, n] = padded[c, i·s + p·d, j·s + q·d, n].
    With ``ones_row`` a last row of ones is appended (for a bias folded into the product).
    """
    c, n = padded.shape[0], padded.shape[3]
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
    start, stop = rows or (0, ho)
    s_c, s_h, s_w, s_n = padded.strides
    windows = as_strided(padded[:, start * sh:], shape=(c, kh, kw, stop - start, wo, n),
                         strides=(s_c, dh * s_h, dw * s_w, sh * s_h, sw * s_w, s_n),
                         writeable=False)
    if not ones_row:
        return windows.reshape(c * kh * kw, (stop - start) * wo * n)
    cols = xp.empty((c * kh * kw + 1, (stop - start) * wo * n), dtype=padded.dtype)
    cols[:-1].reshape(windows.shape)[...] = windows
    cols[-1] = 1
    return cols


def col2im(cols: Any, grad_padded: Any, kernel: tuple[int, int], stride: tuple[int, int],
           dilation: tuple[int, int], rows: tuple[int, int]) -> None:
    """The adjoint of :func:`im2col`: add each column entry back onto its pixel, in place.

    cols (C, kh, kw, rows, Wo, N) for output rows ``rows`` → grad_padded (C, Hp, Wp, N);
    one strided add per kernel position.
    """
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    start, stop = rows
    wo = cols.shape[4]
    for p in range(kh):
        first = start * sh + p * dh
        row_slice = slice(first, first + sh * (stop - start - 1) + 1, sh)
        for q in range(kw):
            column_slice = slice(q * dw, q * dw + sw * (wo - 1) + 1, sw)
            grad_padded[:, row_slice, column_slice, :] += cols[:, p, q]


def grouped_matmul(a: Any, b: Any, out: Any = None) -> Any:
    """a[g] @ b[g] for each group g: (G, m, k) @ (G, k, n) → (G, m, n), one BLAS call per group.

    (2-D products: NumPy's stacked matmul is much slower for a batch of one on some BLAS
    builds.)
    """
    if out is None:
        out = xp.empty((a.shape[0], a.shape[1], b.shape[2]), dtype=xp.result_type(a, b))
    for g in range(a.shape[0]):
        xp.matmul(a[g], b[g], out=out[g])
    return out


def check_conv_input(x_shape: tuple[int, ...], weight_shape: tuple[int, ...], groups: int,
                     where: str = "conv2d") -> None:
    """Raise a RuntimeError naming ``where`` when x and the weight do not fit together."""
    if len(x_shape) != 4:
        raise RuntimeError(
            f"{where}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape "
            f"{tuple(x_shape)}"
        )
    if len(weight_shape) != 4:
        raise RuntimeError(f"{where}: expected a 4-D weight (out_channels, in_channels/groups, "
                           f"kh, kw), got shape {tuple(weight_shape)}")
    channels = weight_shape[1] * groups
    if x_shape[1] != channels:
        raise RuntimeError(
            f"{where}: expected input with {channels} channels (dim 1), got shape "
            f"{tuple(x_shape)} with {x_shape[1]} channels (weight {tuple(weight_shape)}, "
            f"groups={groups})"
        )
    if weight_shape[0] % groups:
        raise RuntimeError(f"{where}: out_channels={weight_shape[0]} is not divisible by "
                           f"groups={groups}")


class Conv2d(Op):
    """y = W ⋆ x + b, a 2-D cross-correlation computed as W₂ · im2col(x).

    Params: ``stride``, ``dilation`` (pairs), ``pads`` (top, bottom, left, right), ``groups``.
    Shapes: x (N, C, H, W), weight (O, C/G, kh, kw), bias (O,) → y (N, O, Ho, Wo).
    """

    derivative = ("∂L/∂W = G_Y · im2col(x)ᵀ,  ∂L/∂x = col2im(Wᵀ · G_Y),  "
                  "∂L/∂b = Σ_{n,i,j} G_Y")

    def forward(ctx, x: Any, weight: Any, bias: Any = None, stride: tuple[int, int] = (1, 1),
                pads: tuple[int, int, int, int] = (0, 0, 0, 0),
                dilation: tuple[int, int] = (1, 1), groups: int = 1) -> Any:
        check_conv_input(x.shape, weight.shape, groups)
        n, c, h, w = x.shape
        o, c_group, kh, kw = weight.shape
        ho = output_size(h, kh, stride[0], pads[0] + pads[1], dilation[0])
        wo = output_size(w, kw, stride[1], pads[2] + pads[3], dilation[1])
        if ho <= 0 or wo <= 0:
            raise RuntimeError(
                f"conv2d: the kernel ({kh}, {kw}) with dilation {dilation} does not fit in the "
                f"padded input {(h + pads[0] + pads[1], w + pads[2] + pads[3])} "
                f"(input shape {x.shape}, padding {pads})"
            )
        warm_heap()
        # With one group the bias rides in the product, as one more weight column against a
        # row of ones in cols: y = [W₂ b]·[cols; 1], no separate pass over y.
        fused_bias = bias is not None and groups == 1
        w_groups = weight.reshape(groups, o // groups, c_group * kh * kw)
        if fused_bias:
            w_groups = xp.concatenate([w_groups[0], bias.reshape(o, 1)], axis=1)[None]
        padded = pad_batch_last(x, pads)
        out = xp.empty((groups, o // groups, ho * wo * n), dtype=xp.result_type(x, weight))
        row_size = wo * n
        for rows in row_blocks(ho, (c * kh * kw + 1) * row_size * x.itemsize):
            cols = im2col(padded, (kh, kw), stride, dilation, (ho, wo), rows, fused_bias)
            block = slice(rows[0] * row_size, rows[1] * row_size)
            cols = cols.reshape(groups, cols.shape[0] // groups, cols.shape[1])
            grouped_matmul(w_groups, cols, out=out[:, :, block])
        del padded, cols
        out = out.reshape(o, ho, wo, n)
        if bias is not None and not fused_bias:
            out += bias.reshape(o, 1, 1, 1)
        # Backward unfolds x again (a fraction of a product's time) rather than keeping
        # cols, kh·kw times x's size, alive from forward to backward.
        ctx.x, ctx.weight, ctx.has_bias = x, weight, bias is not None
        ctx.geometry = (weight.shape, stride, dilation, pads, (ho, wo))
        ctx.groups = groups
        return batch_first(out)

    def backward(ctx, grad: Any) -> Any:
        parents = ctx.parents
        weight_shape, stride, dilation, pads, (ho, wo) = ctx.geometry
        kernel = weight_shape[2:]
        x, groups = ctx.x, ctx.groups
        n, c, h, w = x.shape
        o_group = weight_shape[0] // groups
        w_groups = ctx.weight.reshape(groups, o_group, -1)
        # G_Y as (G, O/G, Ho·Wo·N): free when grad kept the (O, Ho, Wo, N) memory order.
        grad_y = batch_last(grad).reshape(groups, o_group, ho * wo * n)
        need_x, need_w = parents[0] is not None, parents[1] is not None
        need_bias = ctx.has_bias and parents[2] is not None
        # ∂L/∂[W₂ b] = G_Y·[cols; 1]ᵀ: with one group the bias gradient is its last column
        fused_bias = need_bias and need_w and groups == 1
        grad_x = grad_w = grad_b = None
        if need_w:
            padded = pad_batch_last(x, pads)
            grad_wb = xp.zeros((groups, o_group, w_groups.shape[2] + fused_bias), grad.dtype)
        if need_x:
            top, bottom, left, right = pads
            grad_padded = xp.zeros((c, h + top + bottom, w + left + right, n), grad.dtype)
            w_t = w_groups.transpose(0, 2, 1)
        row_size = wo * n
        for rows in row_blocks(ho, (c * kernel[0] * kernel[1] + 1) * row_size * grad.itemsize):
            grad_block = grad_y[:, :, rows[0] * row_size:rows[1] * row_size]
            if need_w:
                cols = im2col(padded, kernel, stride, dilation, (ho, wo), rows, fused_bias)
                cols = cols.reshape(groups, cols.shape[0] // groups, cols.shape[1])
                grad_wb += grouped_matmul(grad_block, cols.transpose(0, 2, 1))
            if need_x:
                grad_cols = grouped_matmul(w_t, grad_block)
                grad_cols = grad_cols.reshape(c, *kernel, rows[1] - rows[0], wo, n)
                col2im(grad_cols, grad_padded, kernel, stride, dilation, rows)
        if need_w:
            if fused_bias:
                grad_b = grad_wb[0, :, -1].copy()
                grad_wb = grad_wb[:, :, :-1]
            grad_w = grad_wb.reshape(weight_shape)
        if need_bias and grad_b is None:
            grad_b = grad_y.reshape(groups * o_group, ho * wo * n).sum(axis=1)
        if need_x:
            grad_x = batch_first(grad_padded[:, top:top + h, left:left + w, :])
        if ctx.has_bias:
            return grad_x, grad_w, grad_b
        return grad_x, grad_w
