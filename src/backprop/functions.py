"""Functions of several tensors and the ``bp.exp(x)`` spellings of tensor methods."""

from __future__ import annotations

from typing import Any

from .ops import elementwise as ew
from .ops import movement as mv
from .tensor import Tensor, _as_array, _operand, _pair, _promote_types


def _tensor(value: Any) -> Any:
    return value if isinstance(value, Tensor) else Tensor(value)


def _same_dtype(tensors: list[Tensor]) -> list[Tensor]:
    """``tensors`` in one dtype, PyTorch's promotion of theirs (float32 with int64: float32)."""
    target = tensors[0].data.dtype
    for t in tensors[1:]:
        if t.data.dtype is not target:
            target = _promote_types(target, t.data.dtype)
    return [t if t.data.dtype == target else t.type(target) for t in tensors]


def cat(tensors: Any, dim: int = 0) -> Tensor:
    """Join ``tensors`` along an existing ``dim``."""
    if not tensors:
        raise RuntimeError("cat: expected a non-empty list of tensors")
    return mv.Cat.apply(*_same_dtype([_tensor(t) for t in tensors]), dim=dim)


concat = concatenate = cat


def stack(tensors: Any, dim: int = 0) -> Tensor:
    """Stack same-shaped ``tensors`` along a new ``dim``."""
    if not tensors:
        raise RuntimeError("stack: expected a non-empty list of tensors")
    return mv.Stack.apply(*_same_dtype([_tensor(t) for t in tensors]), dim=dim)


def where(condition: Any, input: Any, other: Any) -> Tensor:  # noqa: A002
    """``input`` where ``condition`` holds, else ``other``."""
    condition = _as_array(condition).astype(bool, copy=False)
    input, other = _operand(input), _operand(other)  # noqa: A001
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = Tensor(input)  # two Python numbers: the default dtype, as PyTorch  # noqa: A001
    if isinstance(input, Tensor):  # the two branches promoted as by an operator
        input, other = _pair(input, other)  # noqa: A001
    else:
        other, input = _pair(other, input)  # noqa: A001
    return ew.Where.apply(condition, input, other)


def matmul(input: Any, other: Any) -> Tensor:  # noqa: A002
    return _tensor(input) @ other


def maximum(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    return input.maximum(other)


def minimum(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    return input.minimum(other)


def _method(name: str) -> Any:
    def function(input: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        return getattr(_tensor(input), name)(*args, **kwargs)

    function.__name__ = name
    function.__doc__ = f"``bp.{name}(x, ...)`` is ``x.{name}(...)``."
    return function


_METHODS = (
    "sum mean var std max min amax amin argmax argmin exp log sqrt abs clamp clip pow tanh "
    "sigmoid relu softmax log_softmax logsumexp reshape flatten permute transpose squeeze "
    "unsqueeze expand square sign split chunk norm rsqrt"
).split()
for _name in _METHODS:
    globals()[_name] = _method(_name)


def numel(input: Tensor) -> int:  # noqa: A002
    return input.numel()


def allclose(input: Any, other: Any, rtol: float = 1e-5, atol: float = 1e-8) -> bool:  # noqa: A002
    return _tensor(input).allclose(other, rtol, atol)


def is_tensor(value: Any) -> bool:
    return isinstance(value, Tensor)
