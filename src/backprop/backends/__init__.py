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

__all__ = ["xp", "get_array_module", "is_array", "scalar_one"]

_ONES: dict[Any, Any] = {}


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
