"""Anomaly mode: find the op that first produced NaN or Inf, and the line that created it.

Inside ``with bp.autograd.detect_anomaly():`` every op, as it runs forward,
remembers the few lines of *user* code (outside ``backprop``) that called it,
and checks its output; the engine checks every gradient an op returns. The
first op whose forward output or backward gradients hold NaN or ±Inf while
what it received was finite raises ``RuntimeError`` naming the op, the input
and the file:line where it was created::

    with bp.autograd.detect_anomaly():
        y = (x - 2).log()          # x < 2 somewhere: ln of a negative number
        y.sum().backward()
    # RuntimeError: LogBackward produced NaN in its forward output ... created at model.py:12

Off (the default), it costs one attribute check per op. The in-place check
of saved tensors is separate and always on (see ``Function.check_saved_versions``).
"""

from __future__ import annotations

import functools
import linecache
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from ..backends import xp

F = TypeVar("F", bound=Callable[..., Any])

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STACK_DEPTH = 4  # user frames kept per op


class _AnomalyState:
    """Global switch read by every op (a plain attribute is the cheapest check)."""

    __slots__ = ("enabled", "check_nan", "in_backward")

    def __init__(self) -> None:
        self.enabled = False
        self.check_nan = True
        self.in_backward = False  # a custom backward's own ops are not forward ops


anomaly_state = _AnomalyState()


def is_anomaly_enabled() -> bool:
    """True inside ``detect_anomaly`` (or after ``set_detect_anomaly(True)``)."""
    return anomaly_state.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return anomaly_state.enabled and anomaly_state.check_nan


class detect_anomaly:
    """Context manager (and decorator): record where each op was created and raise
    ``RuntimeError`` at the first op whose forward or backward produces NaN/Inf.

    Args:
        check_nan: check outputs and gradients for NaN/Inf (as PyTorch's flag; with
            ``False`` only the creation lines are recorded, for other errors' messages).

    Example::

        with bp.autograd.detect_anomaly():
            loss = model(x).log().mean()
            loss.backward()
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = bool(check_nan)

    def __enter__(self) -> None:
        self.prev = (anomaly_state.enabled, anomaly_state.check_nan)
        anomaly_state.enabled, anomaly_state.check_nan = True, self.check_nan

    def __exit__(self, *exc: object) -> None:
        anomaly_state.enabled, anomaly_state.check_nan = self.prev

    def __call__(self, func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with detect_anomaly(self.check_nan):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class set_detect_anomaly:
    """Turn anomaly mode on or off; as a context manager the old state comes back on exit."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = (anomaly_state.enabled, anomaly_state.check_nan)
        anomaly_state.enabled, anomaly_state.check_nan = bool(mode), bool(check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        anomaly_state.enabled, anomaly_state.check_nan = self.prev


# --- where an op was created ------------------------------------------------------------
def user_stack(limit: int = STACK_DEPTH) -> list[tuple[str, int, str, str]]:
    """The innermost ``limit`` frames outside the ``backprop`` package, innermost first:
    ``(filename, line number, function, source line)``."""
    frames: list[tuple[str, int, str, str]] = []
    frame = sys._getframe(1)
    while frame is not None and len(frames) < limit:
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(_PACKAGE_DIR + os.sep):
            lineno = frame.f_lineno
            source = linecache.getline(filename, lineno).strip()
            frames.append((filename, lineno, frame.f_code.co_name, source))
        frame = frame.f_back  # type: ignore[assignment]
    return frames


def format_stack(frames: list[tuple[str, int, str, str]] | None) -> str:
    """``  File "model.py", line 12, in forward\\n    y = x.log()`` for each frame,
    outermost first (as Python prints tracebacks)."""
    if not frames:
        return "  (creation site not recorded: the op ran outside detect_anomaly)"
    lines = []
    for filename, lineno, function, source in reversed(frames):
        lines.append(f'  File "{filename}", line {lineno}, in {function}')
        if source:
            lines.append(f"    {source}")
    return "\n".join(lines)


def creation_site(ctx: Any) -> str:
    """``model.py:12`` for the innermost user frame that created ``ctx`` (empty if unknown)."""
    frames = getattr(ctx, "_anomaly_stack", None)
    if not frames:
        return ""
    filename, lineno = frames[0][0], frames[0][1]
    return f"{filename}:{lineno}"


# --- the checks -------------------------------------------------------------------------
def _non_finite(array: Any) -> str:
    """'' when ``array`` is finite (or not floating point), else 'NaN', 'Inf' or 'NaN and Inf'."""
    if not hasattr(array, "dtype") or array.dtype.kind not in "fc":
        return ""
    if xp.isfinite(array).all():
        return ""
    has_nan = bool(xp.isnan(array).any())
    has_inf = bool(xp.isinf(array).any())
    return "NaN and Inf" if has_nan and has_inf else ("NaN" if has_nan else "Inf")


def _data(value: Any) -> Any:
    """A Tensor's array, or the array itself (an ndarray's own ``.data`` is a memoryview)."""
    data = getattr(value, "data", None)
    return data if hasattr(data, "dtype") else value


def _describe(array: Any) -> str:
    return f"shape {tuple(array.shape)}, {array.dtype}"


def on_forward(ctx: Any, inputs: Any, output: Any) -> None:
    """Called by ``apply`` after an op's forward while anomaly mode is on: remember the
    creating lines, and raise if the op turned finite inputs into NaN/Inf."""
    stack = user_stack()
    ctx._anomaly_stack = stack
    if not anomaly_state.check_nan or anomaly_state.in_backward:
        return
    outputs = output if isinstance(output, tuple) else (output,)
    for index, out in enumerate(outputs):
        kind = _non_finite(_data(out))
        if not kind:
            continue
        name = type(ctx).__name__ + "Backward"
        where = f"output {index}" if len(outputs) > 1 else "output"
        bad_inputs = [i for i, a in enumerate(inputs) if _non_finite(_data(a))]
        if bad_inputs:
            cause = (
                f"its input {bad_inputs[0]} already held non-finite values (a leaf, data, or a "
                "tensor computed outside detect_anomaly): check where that input came from"
            )
        else:
            cause = "all its inputs were finite, so this op produced them"
        raise RuntimeError(
            f"Anomaly detected: {name} returned {kind} in its forward {where} "
            f"({_describe(_data(out))}); {cause}. The op was created at:\n"
            f"{format_stack(stack)}"
        )


def checked_vjp(node: Any, grad_output: Any) -> tuple[Any, ...]:
    """The engine's ``node.vjp`` while anomaly mode is on: run it, then check its result."""
    outer, anomaly_state.in_backward = anomaly_state.in_backward, True
    try:
        input_grads = node.vjp(grad_output)
    finally:
        anomaly_state.in_backward = outer
    if type(input_grads) is not tuple:
        input_grads = (input_grads,)
    on_backward(node, grad_output, input_grads)
    return input_grads


def on_backward(node: Any, grad_output: Any, input_grads: Any) -> None:
    """Raise if a node's backward returned NaN/Inf (while anomaly mode is on)."""
    if not anomaly_state.check_nan:
        return
    for index, grad in enumerate(input_grads):
        if grad is None:
            continue
        kind = _non_finite(grad)
        if not kind:
            continue
        incoming = grad_output if isinstance(grad_output, tuple | list) else (grad_output,)
        received = [k for k in (_non_finite(g) for g in incoming if g is not None) if k]
        cause = (
            "the gradient it received was already non-finite"
            if received else "the gradient it received was finite, so this op's backward "
            "produced them"
        )
        raise RuntimeError(
            f"Anomaly detected: {node.name} returned {kind} in the gradient for its input "
            f"{index} ({_describe(grad)}); {cause}. The forward op was created at:\n"
            f"{format_stack(getattr(node, '_anomaly_stack', None))}"
        )
