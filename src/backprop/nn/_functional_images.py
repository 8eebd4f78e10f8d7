"""Functional forms of the image layers: convolution, pooling, normalisation, dropout, embedding.

Re-exported by ``backprop.nn.functional``; signatures and defaults are PyTorch's.
"""

from __future__ import annotations

from typing import Any

from ..autograd.grad_mode import no_grad
from ..backends import xp
from ..ops import conv as cv
from ..ops import dropout as dr
from ..ops import embedding as em
from ..ops import normalization as nm
from ..ops import pool as pl
from ..tensor import Tensor

__all__ = ["conv2d", "max_pool2d", "avg_pool2d", "batch_norm", "layer_norm", "dropout",
           "embedding"]


def _array(x: Any) -> Any:
    return None if x is None else (x.data if isinstance(x, Tensor) else xp.asarray(x))


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,  # noqa: A002
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """y[n, o] = b[o] + Σ_c W[o, c] ⋆ x[n, c] (cross-correlation), as one matrix product.

    Args:
        input: (N, C, H, W). weight: (O, C/groups, kh, kw). bias: (O,) or None.
        stride, padding, dilation: an int or a pair; padding may be 'valid' or 'same'.
        groups: split channels into this many independent convolutions.

    Shape: output (N, O, Ho, Wo), Ho = ⌊(H + 2p − d(kh − 1) − 1)/s⌋ + 1; an unbatched
    input (C, H, W) gives (O, Ho, Wo), as in PyTorch.

    Example::

        >>> import backprop as bp
        >>> import backprop.nn.functional as F
        >>> F.conv2d(bp.ones(1, 1, 4, 4), bp.ones(1, 1, 3, 3), padding=1)[0, 0, 0].tolist()
        [4.0, 6.0, 6.0, 4.0]
    """
    if input.ndim == 3:  # unbatched (C, H, W)
        return conv2d(input.unsqueeze(0), weight, bias, stride, padding, dilation,
                      groups).squeeze(0)
    if groups < 1:
        raise ValueError(f"conv2d: groups must be a positive integer, got {groups}")
    kernel = tuple(weight.shape[2:4]) if weight.ndim == 4 else (1, 1)
    stride_ = cv.pair(stride, "conv2d: stride")
    dilation_ = cv.pair(dilation, "conv2d: dilation")
    if min(stride_) <= 0 or min(dilation_) <= 0:
        raise ValueError(f"conv2d: stride and dilation must be positive, got stride={stride}, "
                         f"dilation={dilation}")
    pads = cv.conv_padding(padding, kernel, dilation_, stride_)  # type: ignore[arg-type]
    params = dict(stride=stride_, pads=pads, dilation=dilation_, groups=groups)
    if bias is None:
        return cv.Conv2d.apply(input, weight, **params)
    return cv.Conv2d.apply(input, weight, bias, **params)


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """y = max of x over each kh×kw window (stride defaults to the kernel size).

    Gradient flows to the first maximum of each window. With ``return_indices`` also
    returns the flat position h·W + w of each maximum (int64), as PyTorch does. An
    unbatched input (C, H, W) gives (C, Ho, Wo).

    Example::

        >>> import backprop as bp
        >>> import backprop.nn.functional as F
        >>> F.max_pool2d(bp.arange(16.).reshape(1, 1, 4, 4), 2)[0, 0].tolist()
        [[5.0, 7.0], [13.0, 15.0]]
    """
    if input.ndim == 3:  # unbatched (C, H, W)
        out = max_pool2d(input.unsqueeze(0), kernel_size, stride, padding, dilation, ceil_mode,
                         return_indices)
        return tuple(o.squeeze(0) for o in out) if return_indices else out.squeeze(0)
    kernel, stride_, padding_, dilation_ = pl.window_args(kernel_size, stride, padding, dilation,
                                                          "max_pool2d")
    out = pl.MaxPool2d.apply(input, kernel=kernel, stride=stride_, padding=padding_,
                             dilation=dilation_, ceil_mode=ceil_mode)
    if not return_indices:
        return out
    maxima, padded, geometry = pl.max_pool_forward(_array(input), kernel, stride_, padding_,
                                                   dilation_, ceil_mode)
    positions = pl.max_pool_indices(padded, maxima, geometry, kernel, stride_, dilation_)
    return out, Tensor._make(positions)


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """y = mean of x over each kh×kw window (zero padding counted if ``count_include_pad``).

    An unbatched input (C, H, W) gives (C, Ho, Wo).

    Example::

        >>> import backprop as bp
        >>> import backprop.nn.functional as F
        >>> F.avg_pool2d(bp.arange(16.).reshape(1, 1, 4, 4), 2)[0, 0].tolist()
        [[2.5, 4.5], [10.5, 12.5]]
    """
    if input.ndim == 3:  # unbatched (C, H, W)
        return avg_pool2d(input.unsqueeze(0), kernel_size, stride, padding, ceil_mode,
                          count_include_pad, divisor_override).squeeze(0)
    kernel, stride_, padding_, _ = pl.window_args(kernel_size, stride, padding, 1, "avg_pool2d")
    if divisor_override is not None and divisor_override <= 0:
        raise ValueError(f"avg_pool2d: divisor_override must be positive, got {divisor_override}")
    return pl.AvgPool2d.apply(input, kernel=kernel, stride=stride_, padding=padding_,
                              ceil_mode=ceil_mode, count_include_pad=count_include_pad,
                              divisor_override=divisor_override)


def _affine(weight: Any, bias: Any, shape: tuple[int, ...], dtype: Any) -> tuple[Any, ...]:
    """The positional (γ, β) for a normalisation op: both, γ alone, or neither."""
    if weight is None and bias is None:
        return ()
    if weight is None:
        weight = xp.ones(shape, dtype)
    if bias is None:
        return (weight,)
    return (weight, bias)


def batch_norm(input: Tensor, running_mean: Any, running_var: Any,  # noqa: A002
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """y = γ (x − μ) / √(σ² + ε) + β per channel (dim 1).

    With ``training`` μ, σ² are the batch's (biased) statistics and the running ones move
    towards them: r ← (1 − momentum)·r + momentum·stat (unbiased variance), in place.
    Otherwise μ, σ² are ``running_mean``, ``running_var``.

    Example::

        >>> import backprop as bp
        >>> import backprop.nn.functional as F
        >>> x = bp.tensor([[1.0], [3.0]])
        >>> [round(v, 4) for v in F.batch_norm(x, None, None, training=True)[:, 0].tolist()]
        [-1.0, 1.0]
    """
    channels = input.shape[1] if input.ndim > 1 else 0
    return nm.BatchNorm.apply(input, *_affine(weight, bias, (channels,), input.dtype),
                              running_mean=_array(running_mean), running_var=_array(running_var),
                              training=training, momentum=momentum, eps=eps)


def layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,  # noqa: A002
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """y = γ (x − μ) / √(σ² + ε) + β, μ and σ² over the trailing ``normalized_shape`` dims.

    Example::

        >>> import backprop as bp
        >>> import backprop.nn.functional as F
        >>> [round(v, 4) for v in F.layer_norm(bp.tensor([[1.0, 3.0]]), (2,))[0].tolist()]
        [-1.0, 1.0]
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(shape):]) != shape or len(shape) > input.ndim:
        raise RuntimeError(f"layer_norm: normalized_shape {list(shape)} does not match the "
                           f"trailing dims of the input of shape {tuple(input.shape)}")
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None and tuple(param.shape) != shape:
            raise RuntimeError(f"layer_norm: {name} of shape {tuple(param.shape)} does not "
                               f"match normalized_shape {list(shape)}")
    return nm.LayerNorm.apply(input, *_affine(weight, bias, shape, input.dtype),
                              n_dims=len(shape), eps=eps)


def dropout(input: Tensor, p: float = 0.5, training: bool = True,  # noqa: A002
            inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1 − p) (if ``training``).

    Example::

        >>> import backprop as bp
        >>> import backprop.nn.functional as F
        >>> F.dropout(bp.ones(3), p=0.5, training=False).tolist()
        [1.0, 1.0, 1.0]
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    return dr.Dropout.apply(input, p=p)


def embedding(input: Any, weight: Tensor, padding_idx: int | None = None,  # noqa: A002
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """y = weight[input]: row i of ``weight`` for every integer index i.

    ``padding_idx``'s row gets no gradient; ``max_norm`` first rescales (in place, as
    PyTorch does) each looked-up row whose ``norm_type``-norm exceeds it.

    Example::

        >>> import backprop as bp
        >>> import backprop.nn.functional as F
        >>> F.embedding(bp.tensor([2, 0]), bp.arange(6.).reshape(3, 2)).tolist()
        [[4.0, 5.0], [0.0, 1.0]]
    """
    if sparse:
        raise NotImplementedError("embedding: sparse gradients are not supported; use "
                                  "sparse=False (the gradient is a dense array)")
    indices = _array(input)
    num = weight.shape[0]
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(f"embedding: padding_idx {padding_idx} must be within "
                             f"[-{num}, {num}) for {num} embeddings")
        padding_idx %= num
    if max_norm is not None:
        em.check_indices(indices, num)
        _renorm_rows(weight, indices, max_norm, norm_type)
    return em.Embedding.apply(indices, weight, padding_idx=padding_idx,
                              scale_grad_by_freq=scale_grad_by_freq)


def _renorm_rows(weight: Tensor, indices: Any, max_norm: float, norm_type: float) -> None:
    """Rows of ``weight`` used by ``indices`` with norm > max_norm are scaled to max_norm."""
    with no_grad():
        rows = xp.unique(indices)
        norms = xp.linalg.norm(weight.data[rows], ord=norm_type, axis=1)
        scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        weight.data[rows] *= scale[:, None].astype(weight.data.dtype)
        weight._version += 1
