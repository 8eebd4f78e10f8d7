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
    the element and both values (or return False with ``raise_exception=False``).
    The inputs' ``.grad`` are left as they were."""
    from ..tensor import Tensor

    inputs = tuple(inputs) if isinstance(inputs, tuple | list) else (inputs,)
    for index, t in enumerate(inputs):
        if isinstance(t, Tensor) and t.requires_grad and t.data.dtype != xp.float64:
            raise GradcheckError(
                f"gradcheck: input {index} has dtype {t.dtype}; use float64 inputs "
                "(central differences in float32 are too coarse)"
            )
    checked = [(i, t) for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    saved_grads = [t.grad for _, t in checked]
    try:
        outputs = _outputs(fn, inputs)
        # Numerical Jacobians, one column per input element: ∂out/∂t_j by central differences.
        numeric = {i: _numerical_jacobian(fn, inputs, t, eps) for i, t in checked}
        for out_index, out in enumerate(outputs):
            for k in range(out.data.size):
                # Analytic row k of the Jacobian: backward with a one-hot gradient.
                for _, t in checked:
                    t.grad = None
                fresh = _outputs(fn, inputs)[out_index]
                if fresh.requires_grad:
                    seed = xp.zeros(out.shape, dtype=out.dtype)
                    seed.reshape(-1)[k] = 1
                    fresh.backward(seed)
                for input_index, t in checked:
                    analytic = xp.zeros(t.shape) if t.grad is None else t.grad.data
                    expected = numeric[input_index][out_index][k].reshape(t.shape)
                    bad = ~xp.isclose(analytic, expected, rtol=rtol, atol=atol)
                    if bad.any():
                        worst = int(xp.argmax(xp.abs(analytic - expected) * bad))
                        element = tuple(int(v) for v in xp.unravel_index(worst, t.shape))
                        message = (
                            f"gradcheck: Jacobian mismatch for output {out_index} element {k} "
                            f"with respect to input {input_index} element {element}: "
                            f"numerical {float(expected.reshape(-1)[worst])!r}, "
                            f"analytical {float(analytic.reshape(-1)[worst])!r}"
                        )
                        if raise_exception:
                            raise GradcheckError(message)
                        return False
    finally:
        for (_, t), g in zip(checked, saved_grads):
            t.grad = g
    return True


def _numerical_jacobian(fn: Callable[..., Any], inputs: Sequence[Any], t: Any,
                        eps: float) -> list[Any]:
    """For each output: the matrix (output elements × elements of ``t``) of central
    differences (f(t + εeⱼ) − f(t − εeⱼ)) / 2ε."""
    data = t.data  # perturbed in place (element by element, so any memory layout works)
    columns: list[list[Any]] = []
    with no_grad():
        for position in xp.ndindex(*data.shape):
            original = data[position]
            data[position] = original + eps
            plus = [o.data.astype(xp.float64).reshape(-1) for o in _outputs(fn, inputs)]
            data[position] = original - eps
            minus = [o.data.astype(xp.float64).reshape(-1) for o in _outputs(fn, inputs)]
            data[position] = original
            columns.append([(p - m) / (2 * eps) for p, m in zip(plus, minus)])
    if not columns:  # an empty input: empty Jacobians
        return [xp.zeros((o.data.size, 0)) for o in _outputs(fn, inputs)]
    return [xp.stack([column[o] for column in columns], axis=1) for o in range(len(columns[0]))]
