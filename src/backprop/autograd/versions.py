"""What the saved-tensor version check compares: an op that saved a tensor for backward
records the tensor's version in forward; the engine refuses to run the op's backward if
the version moved (the tensor was changed in place since), as PyTorch does."""

from __future__ import annotations

import weakref
from typing import Any

Tensor: Any = None  # set by backprop.tensor


def saved_versions(rule: Any, args: Any, parents: Any) -> Any:
    """What ``check_saved_versions`` compares later: ``(input index, tensor, version)`` for
    each tensor input that forward saved (by ``rule``, an op's ``saves_inputs``), or None."""
    if rule == "cross":  # input 0 is read for input 1's gradient, and the other way round
        first, second = args[0], args[1]
        if parents[0] is not None:
            if parents[1] is not None:  # the common case: both factors need a gradient
                return ((0, first, first._version), (1, second, second._version))
            return ((1, second, second._version),) if isinstance(second, Tensor) else None
        if isinstance(first, Tensor):  # (a node exists, so input 1 needs a gradient)
            return ((0, first, first._version),)
        return None
    first = args[0]
    if len(args) == 1:
        return ((0, first, first._version),)
    if len(args) == 2 and isinstance(first, Tensor) and not isinstance(args[1], Tensor):
        return ((0, first, first._version),)  # x ** c, x / c, ...
    return tuple((index, arg, arg._version) for index, arg in enumerate(args)
                 if isinstance(arg, Tensor)) or None


def watch_output(ctx: Any, output: Any) -> None:
    """``output``, made by ``ctx`` (an op that saves its output: σ, tanh, eˣ, ...), is being
    written in place: from now on the engine checks its version before ``ctx`` runs. (Its
    version was 0 when the op made it; nothing is recorded until a write, so the common
    case, no write, costs nothing.)"""
    checks = list(ctx._version_check or ())
    if all(index >= 0 for index, _, _ in checks):
        checks.append((-1, weakref.ref(output), 0))
        ctx._version_check = tuple(checks)
