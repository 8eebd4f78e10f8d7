"""Optional fused update loops, compiled by numba (``pip install 'backprop[fast]'``).

The NumPy path of an optimizer makes one pass over memory per ufunc (SGD with
momentum: four). A fused loop reads each parameter, gradient and buffer once.
It also rounds like PyTorch: PyTorch's CPU kernels compute ``a + alpha * b``
(``add_`` with ``alpha``, ``addcmul_``, ``lerp_``) with one fused multiply-add,
and so does this loop (``llvm.fma``), so SGD here equals ``torch.optim.SGD``
to the last bit, in float32 and float64.

Used when numba imports and ``BACKPROP_NUMBA`` is not ``0``; :func:`enable`
switches it at run time (the tests run both paths).
"""

from __future__ import annotations

import os
from typing import Any

from ..backends import xp

_state: dict[str, Any] = {"enabled": os.environ.get("BACKPROP_NUMBA", "1") != "0",
                          "kernels": None, "tried": False}


def enable(flag: bool = True) -> None:
    """Use the compiled loops when numba is installed (``flag=True``) or never."""
    _state["enabled"] = bool(flag)


def available() -> bool:
    """True when numba imports, so the compiled loops can be used."""
    return _load() is not None


def kernels() -> Any:
    """The compiled loops (an object with ``sgd`` ...), or None to use NumPy."""
    if not _state["enabled"]:
        return None
    return _load()


def _load() -> Any:
    if not _state["tried"]:
        _state["tried"] = True
        try:
            from . import _numba_kernels
        except ImportError:
            _numba_kernels = None  # type: ignore[assignment]
        _state["kernels"] = _numba_kernels and _Kernels(_numba_kernels)
    return _state["kernels"]


def hyper(*values: float) -> Any:
    """Hyper-parameters for a loop: one float64 array (cast to the parameter's dtype inside)."""
    return xp.array(values, dtype=xp.float64)


class _Kernels:
    """The compiled loops, called with NumPy arrays of any shape (passed flat, as views).

    ``hyper`` is made by :func:`hyper`; ``flags`` sets the bits named in
    ``_numba_kernels`` (``NESTEROV``, ``MAXIMIZE``, ...). An absent buffer (None)
    is replaced by the parameter itself, which the loop then never touches.
    """

    def __init__(self, module: Any) -> None:
        self._m = module
        self.FIRST = module.FIRST

    def flags(self, **switches: bool) -> int:
        """The bits of the switches that are on: ``flags(nesterov=True, maximize=False)``."""
        bits = 0
        for name, on in switches.items():
            if on:
                bits |= getattr(self._m, name.upper())
        return bits

    @staticmethod
    def supports(param: Any, *others: Any) -> bool:
        """True when a loop can update ``param``: float32/64, C-contiguous, writeable, and
        every other array (None for an absent buffer) of the same dtype and shape."""
        dtype = param.dtype
        if dtype not in _FLOATS:
            return False
        flags = param.flags
        if not (flags.c_contiguous and flags.writeable):
            return False
        shape = param.shape
        for a in others:
            if a is not None and (a.dtype != dtype or a.shape != shape
                                  or not a.flags.c_contiguous):
                return False
        return True

    @property
    def sgd_any_shape(self) -> Any:
        """``sgd_any_shape(param, grad, buf, hyper, flags)``: the loop itself, for arrays
        of any shape (``buf`` is ``param`` when there is none); no Python frame between."""
        return self._m.sgd_any_shape

    @property
    def sgd_plain(self) -> Any:
        """``sgd_plain(param, grad, lr)``: :attr:`sgd_any_shape` without momentum, weight
        decay or maximize."""
        return self._m.sgd_plain

    def sgd(self, param: Any, grad: Any, buf: Any, hyper: Any, flags: int) -> None:
        flat = param.reshape(-1)
        self._m.sgd(flat, grad.reshape(-1), flat if buf is None else buf.reshape(-1), hyper,
                    flags)

    def adam(self, param: Any, grad: Any, exp_avg: Any, exp_avg_sq: Any, max_exp_avg_sq: Any,
             hyper: Any, flags: int) -> None:
        flat = param.reshape(-1)
        self._m.adam(flat, grad.reshape(-1), exp_avg.reshape(-1), exp_avg_sq.reshape(-1),
                     flat if max_exp_avg_sq is None else max_exp_avg_sq.reshape(-1), hyper, flags)

    def rmsprop(self, param: Any, grad: Any, square_avg: Any, grad_avg: Any, buf: Any,
                hyper: Any, flags: int) -> None:
        flat = param.reshape(-1)
        self._m.rmsprop(flat, grad.reshape(-1), square_avg.reshape(-1),
                        flat if grad_avg is None else grad_avg.reshape(-1),
                        flat if buf is None else buf.reshape(-1), hyper, flags)

    def adagrad(self, param: Any, grad: Any, state_sum: Any, hyper: Any, flags: int) -> None:
        self._m.adagrad(param.reshape(-1), grad.reshape(-1), state_sum.reshape(-1), hyper, flags)


_FLOATS = frozenset([xp.dtype(xp.float32), xp.dtype(xp.float64)])

__all__ = ["enable", "available", "kernels", "hyper"]
