"""Data types: NumPy's, under PyTorch's names, and the default floating type."""

from __future__ import annotations

from typing import Any

from .backends import xp

float16 = xp.float16
float32 = xp.float32
float64 = xp.float64
int32 = xp.int32
int64 = xp.int64
uint8 = xp.uint8
bool_ = xp.bool_
half, float, double = float16, float32, float64  # noqa: A001 - PyTorch's aliases
int, long = int32, int64  # noqa: A001

_default = {"dtype": xp.dtype(float32)}


def set_default_dtype(dtype: Any) -> None:
    """Make ``dtype`` (``bp.float32`` or ``bp.float64``) the type of new floating tensors."""
    resolved = xp.dtype(dtype)
    if resolved.kind != "f":
        raise TypeError(f"set_default_dtype takes a floating dtype, got {resolved}")
    _default["dtype"] = resolved


def get_default_dtype() -> Any:
    """The dtype of new floating tensors (``bp.float32`` unless changed)."""
    return _default["dtype"].type


def default_dtype() -> Any:
    """The default floating dtype as a NumPy ``dtype`` object (for internal use)."""
    return _default["dtype"]


def to_dtype(dtype: Any) -> Any:
    """Resolve ``dtype`` (a type, a string or ``None``) to a NumPy dtype object or ``None``."""
    if dtype is None:
        return None
    if dtype is bool:
        return xp.dtype(xp.bool_)
    return xp.dtype(dtype)
