"""Normalisation layers: ``BatchNorm1d``, ``BatchNorm2d``, ``LayerNorm``."""

from __future__ import annotations

from typing import Any

from ...backends import xp
from ...dtypes import default_dtype
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm"]


def _check_eps(layer: str, eps: float) -> None:
    if not eps >= 0.0:  # a negative ε can make σ² + ε negative: NaN outputs
        raise ValueError(f"{layer}: eps must be non-negative, got {eps}")


class _BatchNorm(Module):
    """Shared by BatchNorm1d/2d: parameters, running statistics and the train/eval switch."""

    _accepted_dims: tuple[int, ...] = ()
    _dims_text = ""
    running_mean: Any
    running_var: Any
    num_batches_tracked: Any

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 dtype: Any = None) -> None:
        super().__init__()
        if num_features <= 0:
            raise ValueError(f"{type(self).__name__}: num_features must be positive, got "
                             f"{num_features}")
        if momentum is not None and not 0.0 <= momentum <= 1.0:
            raise ValueError(f"{type(self).__name__}: momentum must be in [0, 1] or None, got "
                             f"{momentum}")
        _check_eps(type(self).__name__, eps)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dtype = dtype or default_dtype()
        if affine:
            self.weight = Parameter(xp.ones(num_features, dtype=dtype))
            self.bias = Parameter(xp.zeros(num_features, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", xp.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", xp.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", xp.array(0, dtype=xp.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def _check_input(self, input: Any) -> None:
        if input.ndim not in self._accepted_dims:
            raise ValueError(f"{type(self).__name__}({self.num_features}): expected "
                             f"{self._dims_text} input, got shape {tuple(input.shape)} "
                             f"({input.ndim}D)")
        if input.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}({self.num_features}): expected "
                             f"{self.num_features} channels (dim 1), got shape "
                             f"{tuple(input.shape)}")

    def forward(self, input: Any) -> Any:  # noqa: A002
        self._check_input(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            self.num_batches_tracked._version += 1
            if self.momentum is None:  # a cumulative average of every batch so far
                factor = 1.0 / float(self.num_batches_tracked.data)
        use_batch_stats = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        if track and self.running_mean is not None:
            self.running_mean._version += self.training
            self.running_var._version += self.training
        return F.batch_norm(input, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch_stats, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """y = γ (x − μ) / √(σ² + ε) + β per feature, over the batch (and length) axes.

    Args:
        num_features: C of an input (N, C) or (N, C, L).
        eps: added to the variance (default 1e-5).
        momentum: weight of the new batch in the running statistics (default 0.1;
            None for a cumulative average).
        affine: learn γ (``weight``, ones) and β (``bias``, zeros).
        track_running_stats: keep ``running_mean``, ``running_var`` and
            ``num_batches_tracked`` (used in eval mode).

    Training normalises with the batch's biased variance and updates the running
    variance with the unbiased one, as PyTorch does.

    Example::

        >>> import backprop as bp
        >>> bn = bp.nn.BatchNorm1d(3)
        >>> bn(bp.randn(8, 3)).shape
        (8, 3)
    """

    _accepted_dims = (2, 3)
    _dims_text = "2D (N, C) or 3D (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """y = γ (x − μ) / √(σ² + ε) + β per channel, over the batch and spatial axes.

    Args as :class:`BatchNorm1d`; the input is (N, C, H, W).

    Example::

        >>> import backprop as bp
        >>> bn = bp.nn.BatchNorm2d(3)
        >>> bn(bp.randn(2, 3, 4, 4)).shape
        (2, 3, 4, 4)
    """

    _accepted_dims = (4,)
    _dims_text = "4D (N, C, H, W)"


class LayerNorm(Module):
    """y = γ (x − μ) / √(σ² + ε) + β, μ and σ² over the trailing ``normalized_shape`` dims.

    Args:
        normalized_shape: an int or the shape of the trailing dims to normalise.
        eps: added to the variance (default 1e-5).
        elementwise_affine: learn γ (``weight``, ones) and β (``bias``, zeros).
        bias: learn β (if ``elementwise_affine``).

    Example::

        >>> import backprop as bp
        >>> ln = bp.nn.LayerNorm(4)
        >>> ln(bp.randn(2, 3, 4)).shape
        (2, 3, 4)
    """

    def __init__(self, normalized_shape: Any, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, dtype: Any = None) -> None:
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        if any(n < 0 for n in self.normalized_shape):
            raise ValueError(f"LayerNorm: normalized_shape must not be negative, got "
                             f"{self.normalized_shape}")
        _check_eps("LayerNorm", eps)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        dtype = dtype or default_dtype()
        if elementwise_affine:
            self.weight = Parameter(xp.ones(self.normalized_shape, dtype=dtype))
            if bias:
                self.bias = Parameter(xp.zeros(self.normalized_shape, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input: Any) -> Any:  # noqa: A002
        shape = self.normalized_shape
        if input.ndim < len(shape) or tuple(input.shape[input.ndim - len(shape):]) != shape:
            raise RuntimeError(f"LayerNorm({shape}): the input's trailing dims must be "
                               f"{shape}, got input shape {tuple(input.shape)}")
        return F.layer_norm(input, shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")
