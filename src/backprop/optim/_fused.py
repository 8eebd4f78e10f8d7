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
    """Adapts NumPy arrays and Python scalars to the compiled loops' signatures.

    Scalars are cast to the parameter's dtype first, as PyTorch casts a Python
    number to a tensor's dtype; arrays are passed flat (``reshape(-1)``, a view).
    """

    def __init__(self, module: Any) -> None:
        self._m = module

    @staticmethod
    def supports(param: Any, *others: Any) -> bool:
        """True when a loop can update ``param``: float32/64, C-contiguous, and every
        other array (None for an absent buffer) of the same dtype and shape."""
        dtype = param.dtype
        if not (dtype.kind == "f" and dtype.itemsize >= 4 and param.flags.c_contiguous
                and param.flags.writeable):
            return False
        return all(
            a is None or (a.dtype == dtype and a.shape == param.shape and a.flags.c_contiguous)
            for a in others
        )

    def sgd(self, param: Any, grad: Any, buf: Any, lr: float, momentum: float,
            dampening: float, weight_decay: float, nesterov: bool, maximize: bool,
            first: bool) -> None:
        """SGD's update of one parameter (see ``SGD``)."""
        cast = param.dtype.type
        flat = param.reshape(-1)
        self._m.sgd(
            flat, grad.reshape(-1), flat if buf is None else buf.reshape(-1),
            cast(lr), cast(momentum), cast(1 - dampening), cast(weight_decay),
            bool(nesterov), bool(maximize), bool(first), momentum != 0,
        )

    def adam(self, param: Any, grad: Any, exp_avg: Any, exp_avg_sq: Any, max_exp_avg_sq: Any,
             step: float, lr: float, beta1: float, beta2: float, eps: float,
             weight_decay: float, amsgrad: bool, maximize: bool, decoupled: bool) -> None:
        """Adam's update of one parameter (see ``Adam``)."""
        cast = param.dtype.type
        coeff, small = _lerp_coefficient(cast, 1 - beta1)
        step_size = lr / (1 - beta1**step)
        flat = param.reshape(-1)
        self._m.adam(
            flat, grad.reshape(-1), exp_avg.reshape(-1), exp_avg_sq.reshape(-1),
            flat if max_exp_avg_sq is None else max_exp_avg_sq.reshape(-1),
            coeff, small, cast(beta2), cast(1 - beta2),
            cast((1 - beta2**step) ** 0.5), cast(eps), cast(-step_size), cast(weight_decay),
            cast(1 - lr * weight_decay), bool(amsgrad), bool(maximize), bool(decoupled),
        )

    def rmsprop(self, param: Any, grad: Any, square_avg: Any, grad_avg: Any, buf: Any,
                lr: float, alpha: float, eps: float, weight_decay: float, momentum: float,
                centered: bool, maximize: bool) -> None:
        """RMSprop's update of one parameter (see ``RMSprop``)."""
        cast = param.dtype.type
        coeff, small = _lerp_coefficient(cast, 1 - alpha)
        flat = param.reshape(-1)
        self._m.rmsprop(
            flat, grad.reshape(-1), square_avg.reshape(-1),
            flat if grad_avg is None else grad_avg.reshape(-1),
            flat if buf is None else buf.reshape(-1),
            cast(alpha), cast(1 - alpha), coeff, small, cast(eps), cast(lr), cast(weight_decay),
            bool(centered), momentum > 0, cast(momentum), bool(maximize),
        )

    def adagrad(self, param: Any, grad: Any, state_sum: Any, clr: float, eps: float,
                weight_decay: float, maximize: bool) -> None:
        """Adagrad's update of one parameter (see ``Adagrad``)."""
        cast = param.dtype.type
        self._m.adagrad(param.reshape(-1), grad.reshape(-1), state_sum.reshape(-1), cast(-clr),
                        cast(eps), cast(weight_decay), bool(maximize))


def _lerp_coefficient(cast: Any, weight: float) -> tuple[Any, bool]:
    """``lerp_(end, w)`` as PyTorch's vector kernel: ``fma(w, end - start, start)`` for
    ``|w| < 0.5``, else ``fma(w - 1, end - start, end)``; ``w`` in the tensors' dtype."""
    w = cast(weight)
    small = bool(abs(w) < 0.5)
    return (w if small else w - cast(1)), small


__all__ = ["enable", "available", "kernels"]
