"""Tensor constructors with PyTorch's signatures."""

from __future__ import annotations

from typing import Any

from . import dtypes
from .backends import xp
from .random import rng
from .tensor import Tensor, _as_array


def _shape(size: tuple[Any, ...]) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], tuple | list):
        return tuple(size[0])
    return tuple(size)


def _floating(dtype: Any) -> Any:
    return dtypes.default_dtype() if dtype is None else dtypes.to_dtype(dtype)


def _new(array: Any, requires_grad: bool) -> Tensor:
    t = Tensor._make(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A new leaf tensor holding a copy of ``data`` (Python floats become ``float32``)."""
    array = _as_array(data, dtype)
    if array is data or (isinstance(data, Tensor) and array is data.data):
        array = array.copy()
    return _new(array, requires_grad)


def as_tensor(data: Any, dtype: Any = None) -> Tensor:
    """A tensor sharing ``data``'s memory where it can."""
    return data if isinstance(data, Tensor) and dtype is None else Tensor(data, dtype=dtype)


def from_numpy(array: Any) -> Tensor:
    return Tensor._make(array)


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _new(xp.zeros(_shape(size), _floating(dtype)), requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _new(xp.ones(_shape(size), _floating(dtype)), requires_grad)


def empty(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _new(xp.empty(_shape(size), _floating(dtype)), requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    if dtype is None:
        dtype = (xp.bool_ if isinstance(fill_value, bool) else
                 xp.int64 if isinstance(fill_value, int) else dtypes.default_dtype())
    return _new(xp.full(_shape((size,)), fill_value, dtypes.to_dtype(dtype)), requires_grad)


def zeros_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _new(xp.zeros_like(_as_array(t), dtype=dtypes.to_dtype(dtype)), requires_grad)


def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _new(xp.ones_like(_as_array(t), dtype=dtypes.to_dtype(dtype)), requires_grad)


def full_like(t: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    array = _as_array(t)
    return _new(xp.full_like(array, fill_value, dtype=dtypes.to_dtype(dtype)), requires_grad)


def empty_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _new(xp.empty_like(_as_array(t), dtype=dtypes.to_dtype(dtype)), requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None,
           requires_grad: bool = False) -> Tensor:
    """``arange(end)`` or ``arange(start, end, step)``: int64 for whole numbers, else float."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        whole = all(isinstance(v, int) for v in (start, end, step))
        dtype = xp.int64 if whole else dtypes.default_dtype()
    return _new(xp.arange(start, end, step, dtype=dtypes.to_dtype(dtype)), requires_grad)


def linspace(start: float, end: float, steps: int, dtype: Any = None,
             requires_grad: bool = False) -> Tensor:
    return _new(xp.linspace(start, end, steps, dtype=_floating(dtype)), requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _new(xp.eye(n, m, dtype=_floating(dtype)), requires_grad)


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False,
         generator: Any = None) -> Tensor:
    """Uniform samples on [0, 1) from the library's seeded generator."""
    array = rng(generator).random(_shape(size), dtype=xp.float64).astype(_floating(dtype))
    return _new(array, requires_grad)


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False,
          generator: Any = None) -> Tensor:
    """Standard normal samples from the library's seeded generator."""
    array = rng(generator).standard_normal(_shape(size)).astype(_floating(dtype))
    return _new(array, requires_grad)


def randint(low: int, high: int | None = None, size: Any = (), dtype: Any = None,
            generator: Any = None) -> Tensor:
    if high is None or isinstance(high, tuple | list):  # randint(high, size), as PyTorch
        low, high, size = 0, low, size if high is None else high
    array = rng(generator).integers(low, high, size=tuple(size))
    return Tensor._make(array.astype(dtypes.to_dtype(dtype) or xp.int64))


def randperm(n: int, generator: Any = None) -> Tensor:
    return Tensor._make(rng(generator).permutation(n).astype(xp.int64))


def rand_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    array = _as_array(t)
    return rand(*array.shape, dtype=dtype or array.dtype, requires_grad=requires_grad)


def randn_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    array = _as_array(t)
    return randn(*array.shape, dtype=dtype or array.dtype, requires_grad=requires_grad)
