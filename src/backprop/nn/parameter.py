"""``Parameter``: a leaf tensor that a Module registers as learnable."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor, _as_array


class Parameter(Tensor):
    """A tensor that is a module's parameter: ``requires_grad=True`` by default."""

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        array = _as_array([] if data is None else data)
        super().__init__(array, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Buffer(Tensor):
    """A tensor a module keeps in its state (running statistics) but does not learn."""

    __slots__ = ("persistent",)

    def __init__(self, data: Any, persistent: bool = True) -> None:
        super().__init__(data)
        self.persistent = persistent
