"""Numerical gradient checking: analytic gradients against central differences.

For each input element xⱼ:  ∂f/∂xⱼ ≈ (f(x + εeⱼ) − f(x − εeⱼ)) / 2ε, in float64,
for every output element (a full Jacobian, so non-scalar outputs work too).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..backends import xp
from .grad_mode import no_grad


class GradcheckError(RuntimeError):
    """Analytic and numerical gradients disagree; the message names input and element."""


def _outputs(fn: Callable[..., Any], inputs: Sequence[Any]) -> list[Any]:
    from ..tensor import Tensor

    out = fn(*inputs)
    outs = out if isinstance(out, tuple | list) else (out,)
    return [o for o in outs if isinstance(o, Tensor) and o.data.dtype.kind == "f"]


def gradcheck(fn: Callable[..., Any], inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """True if ``fn``'s autograd Jacobian matches central differences for every input
    that requires grad; otherwise raise :class:`GradcheckError` naming the input index,
    the element and both values (or return False with ``raise_exception=False``)."""
    from ..tensor import Tensor

    inputs = tuple(inputs) if isinstance(inputs, tuple | list) else (inputs,)
    for index, t in enumerate(inputs):
        if isinstance(t, Tensor) and t.requires_grad and t.data.dtype != xp.float64:
            raise GradcheckError(
                f"gradcheck: input {index} has dtype {t.dtype}; use float64 inputs "
                "(central differences in float32 are too coarse)"
            )
    checked = [(i, t) for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    outputs = _outputs(fn, inputs)
    for out_index, out in enumerate(outputs):
        for k in range(out.data.size):
            # Analytic row k of the Jacobian: backward with a one-hot gradient.
            for _, t in checked:
                t.grad = None
            seed = xp.zeros(out.shape, dtype=out.dtype)
            seed.reshape(-1)[k] = 1
            fresh = _outputs(fn, inputs)[out_index]
            if fresh.requires_grad:
                fresh.backward(seed)
            for input_index, t in checked:
                analytic = xp.zeros(t.shape) if t.grad is None else t.grad.data.reshape(t.shape)
                numeric = _numerical_row(fn, inputs, t, out_index, k, eps)
                bad = ~xp.isclose(analytic, numeric, rtol=rtol, atol=atol)
                if bad.any():
                    worst = int(xp.argmax(xp.abs(analytic - numeric) * bad))
                    element = tuple(int(v) for v in xp.unravel_index(worst, t.shape))
                    message = (
                        f"gradcheck: Jacobian mismatch for output {out_index} element {k} "
                        f"with respect to input {input_index} element {element}: "
                        f"numerical {numeric.reshape(-1)[worst]!r}, "
                        f"analytical {analytic.reshape(-1)[worst]!r}"
                    )
                    if raise_exception:
                        raise GradcheckError(message)
                    return False
    for _, t in checked:
        t.grad = None
    return True


def _numerical_row(fn: Callable[..., Any], inputs: Sequence[Any], t: Any, out_index: int,
                   k: int, eps: float) -> Any:
    """∂ out[k] / ∂ t by central differences, element by element."""
    flat = t.data.reshape(-1)
    row = xp.zeros(flat.shape)
    with no_grad():
        for j in range(flat.size):
            original = flat[j]
            flat[j] = original + eps
            plus = _outputs(fn, inputs)[out_index].data.reshape(-1)[k]
            flat[j] = original - eps
            minus = _outputs(fn, inputs)[out_index].data.reshape(-1)[k]
            flat[j] = original
            row[j] = (plus - minus) / (2 * eps)
    return row.reshape(t.shape)
