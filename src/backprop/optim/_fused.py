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


class _Kernels:
    """Adapts NumPy arrays and Python scalars to the compiled loops' signatures."""

    def __init__(self, module: Any) -> None:
        self._m = module

    @staticmethod
    def sgd_supports(param: Any, grad: Any, buf: Any) -> bool:
        """True when the loop can update ``param`` (contiguous float arrays, one dtype)."""
        dtype = param.dtype
        return (
            dtype.kind == "f" and dtype.itemsize >= 4
            and grad.dtype == dtype and grad.shape == param.shape
            and param.flags.c_contiguous and grad.flags.c_contiguous
            and param.flags.writeable
            and (buf is None or (buf.dtype == dtype and buf.flags.c_contiguous))
        )

    def sgd(self, param: Any, grad: Any, buf: Any, lr: float, momentum: float,
            dampening: float, weight_decay: float, nesterov: bool, maximize: bool,
            first: bool) -> None:
        """SGD's update of one parameter (see ``SGD``); scalars are cast to its dtype."""
        cast = param.dtype.type
        flat = param.reshape(-1)
        self._m.sgd(
            flat, grad.reshape(-1), flat if buf is None else buf.reshape(-1),
            cast(lr), cast(momentum), cast(1 - dampening), cast(weight_decay),
            bool(nesterov), bool(maximize), bool(first), momentum != 0,
        )

    @staticmethod
    def adam_supports(param: Any, grad: Any, exp_avg: Any, exp_avg_sq: Any,
                      max_exp_avg_sq: Any) -> bool:
        """True when the loop can update ``param`` (contiguous float arrays, one dtype)."""
        dtype = param.dtype
        arrays = (grad, exp_avg, exp_avg_sq) + (() if max_exp_avg_sq is None
                                                 else (max_exp_avg_sq,))
        return (
            dtype.kind == "f" and dtype.itemsize >= 4
            and param.flags.c_contiguous and param.flags.writeable
            and all(a.dtype == dtype and a.shape == param.shape and a.flags.c_contiguous
                    for a in arrays)
        )

    def adam(self, param: Any, grad: Any, exp_avg: Any, exp_avg_sq: Any, max_exp_avg_sq: Any,
             step: float, lr: float, beta1: float, beta2: float, eps: float,
             weight_decay: float, amsgrad: bool, maximize: bool, decoupled: bool) -> None:
        """Adam's update of one parameter (see ``Adam``); scalars are cast to its dtype."""
        cast = param.dtype.type
        weight = cast(1 - beta1)
        small = bool(abs(weight) < 0.5)
        step_size = lr / (1 - beta1**step)
        flat = param.reshape(-1)
        self._m.adam(
            flat, grad.reshape(-1), exp_avg.reshape(-1), exp_avg_sq.reshape(-1),
            flat if max_exp_avg_sq is None else max_exp_avg_sq.reshape(-1),
            weight if small else weight - cast(1), small, cast(beta2), cast(1 - beta2),
            cast((1 - beta2**step) ** 0.5), cast(eps), cast(-step_size), cast(weight_decay),
            cast(1 - lr * weight_decay), bool(amsgrad), bool(maximize), bool(decoupled),
        )


__all__ = ["enable", "available", "kernels"]
