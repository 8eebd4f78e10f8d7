"""Named results, as ``torch.return_types``: ``values, indices = x.max(dim=1)``."""

from typing import Any, NamedTuple


class MaxResult(NamedTuple):
    values: Any
    indices: Any


class IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]
