"""Compiled point-wise backward formulas (optional fast path, needs numba).

Each is a NumPy ufunc made by ``numba.vectorize``: one call and one pass over
memory where NumPy needs two or three calls and a temporary per call. On the
small arrays of a one-sample step, a ufunc call's fixed cost is most of an op's
work, so σ's backward costs a third of NumPy's three calls.

Each computes the same expression as the NumPy path in ``elementwise.py``, in
the same order, rounding after every operation (no ``fastmath``: the compiler
may not fuse or reorder), so both paths give the same bits; the tests compare
them. Loops exist for float32 and float64 only; ``elementwise`` uses them only
when both operands have one of those dtypes and the same one.
"""

from __future__ import annotations

from typing import Any

import numba

from ..backends import xp

_ONE = xp.float32(1)  # a float32 constant: 1 − y stays float32 (1 is exact in float64 too)
_SIGNATURES = ["float32(float32, float32)", "float64(float64, float64)"]


def sigmoid_backward(y, grad):  # type: ignore[no-untyped-def]
    """∂L/∂x = ((1 − y) · y) · g for y = σ(x)."""
    return ((_ONE - y) * y) * grad


def tanh_backward(y, grad):  # type: ignore[no-untyped-def]
    """∂L/∂x = g · (1 − y · y) for y = tanh x."""
    return grad * (_ONE - y * y)


def square_backward(x, grad):  # type: ignore[no-untyped-def]
    """∂L/∂x = g · (x + x) for y = x²."""
    return grad * (x + x)


_made: dict[str, Any] = {}


def ufunc(name: str) -> Any:
    """The compiled ufunc of the formula ``name`` (above), made on first use: each costs
    a tenth of a second to load from numba's cache, so only those used are made."""
    made = _made.get(name)
    if made is None:
        formula = globals()[name]
        made = _made[name] = numba.vectorize(_SIGNATURES, cache=True)(formula).ufunc
    return made
