"""Whether operations record a graph for backpropagation.

``with no_grad():`` turns recording off (inference, optimizer updates);
``enable_grad`` and ``set_grad_enabled(flag)`` turn it back on. All three work
as decorators too, as in PyTorch.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _GradState:
    """Global switch read by every op (a plain attribute is the cheapest check)."""

    __slots__ = ("enabled",)

    def __init__(self) -> None:
        self.enabled = True


grad_state = _GradState()


def is_grad_enabled() -> bool:
    """True when operations record the graph."""
    return grad_state.enabled


class set_grad_enabled:
    """Set recording on or off; as a context manager the old state comes back on exit."""

    def __init__(self, mode: bool) -> None:
        self.prev = grad_state.enabled
        self.mode = bool(mode)
        grad_state.enabled = self.mode

    def __enter__(self) -> None:
        grad_state.enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        grad_state.enabled = self.prev

    def __call__(self, func: F) -> F:
        """As a decorator (``@set_grad_enabled(False)``) the mode holds only inside ``func``."""
        grad_state.enabled = self.prev
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class _GradModeContext:
    """Base of ``no_grad`` and ``enable_grad``: a context manager and a decorator."""

    mode = True

    def __enter__(self) -> None:
        self.prev = grad_state.enabled
        grad_state.enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        grad_state.enabled = self.prev

    def __call__(self, func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__():
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradModeContext):
    """Build no graph inside the block: results have ``requires_grad=False``."""

    mode = False


class enable_grad(_GradModeContext):
    """Record the graph inside the block, even within ``no_grad``."""

    mode = True
