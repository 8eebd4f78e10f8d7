"""The array backend: the one place that names an array library.

Ops never import NumPy themselves; they take ``xp`` from here. Today ``xp`` is
NumPy. A GPU array library with NumPy's interface (CuPy) plugs in by adding a
module beside ``numpy_backend`` and teaching :func:`get_array_module` to pick it
for its arrays; the ops stay as they are, since CuPy arrays follow NumPy's
ufunc and array-function protocols.
"""

from __future__ import annotations

from typing import Any

from .numpy_backend import xp

__all__ = ["xp", "get_array_module", "is_array", "scalar_one", "constant", "ARRAY_OUT"]

_ONES: dict[Any, Any] = {}
_F32, _F64 = xp.dtype(xp.float32), xp.dtype(xp.float64)
_CONSTANTS_32: dict[Any, Any] = {}
_CONSTANTS_64: dict[Any, Any] = {}


def _array_out() -> Any:
    """``out=...`` makes a ufunc (or its ``reduce``) return a 0-d array, not a NumPy scalar
    (NumPy >= 2.3), which saves converting it back; None where unsupported."""
    try:
        kept = xp.add(xp.zeros(()), 1.0, out=...), xp.add.reduce(xp.zeros(2), None, out=...)
    except TypeError:  # pragma: no cover - NumPy < 2.3
        return None
    return ... if all(type(k) is xp.ndarray for k in kept) else None


# Pass as ``out=ARRAY_OUT`` where an op's result is often 0-d (a loss): ``...`` or None.
ARRAY_OUT = _array_out()


def get_array_module(*arrays: Any) -> Any:
    """Return the array module (``numpy`` today) that owns ``arrays``."""
    for array in arrays:
        module = type(array).__module__
        if module.startswith("cupy"):  # pragma: no cover - no GPU in CI
            import cupy

            return cupy
    return xp


def is_array(value: Any) -> bool:
    """True for an array of any backend (NumPy's ``ndarray`` today)."""
    return isinstance(value, xp.ndarray)


def scalar_one(dtype: Any) -> Any:
    """1 as a read-only 0-d array of ``dtype``, made once per dtype. ``one - x`` with it
    skips NumPy's conversion of a Python number (half the cost of ``1 - x`` on a small
    array), and the engine starts a scalar's backward from it (∂L/∂L = 1)."""
    one = _ONES.get(dtype)
    if one is None:
        one = _ONES[dtype] = xp.ones((), dtype)
        one.flags.writeable = False
    return one


def constant(value: Any, dtype: Any) -> Any:
    """The Python number ``value`` as NumPy casts it for an operation with a float32 or
    float64 array: a read-only 0-d array of ``dtype``, made once per value (up to 256).
    ``x * c`` with it skips NumPy's conversion of the number on every call (the forward
    and again the backward of a loss's ``0.5 * s``). Anything else comes back as it is:
    other dtypes, zero (whose sign a cache keyed by value would lose), NaN and numbers
    beyond ±1e30 (casting those may overflow, which NumPy should report where it occurs)."""
    if dtype is _F32:
        table = _CONSTANTS_32
    elif dtype is _F64:
        table = _CONSTANTS_64
    else:
        return value
    array = table.get(value)
    if array is None:
        if not value or not -1e30 < value < 1e30:
            return value
        if len(table) >= 256:
            table.clear()
        array = table[value] = xp.array(value, dtype)
        array.flags.writeable = False
    return array
