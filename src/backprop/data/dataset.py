"""Datasets: ``Dataset``, ``TensorDataset``, ``Subset``, ``ConcatDataset``, ``random_split``.

A map-style dataset answers ``len(ds)`` and ``ds[i]``. Datasets that keep all
samples in arrays (``TensorDataset`` and the built-in ones) also answer
``ds._batch(indices)`` with a whole batch cut by one fancy-index per array, which
the ``DataLoader`` prefers to a Python loop over samples.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ..backends import xp
from ..random import Generator, rng
from ..tensor import Tensor


class Dataset:
    """Base class of map-style datasets: define ``__getitem__`` and ``__len__``."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Samples are the ``i``-th rows of each tensor: ``ds[i] == (t0[i], t1[i], ...)``.

    Args:
        *tensors: Tensors (or arrays) with the same first dimension.

    Example::

        >>> import backprop as bp
        >>> ds = TensorDataset(bp.zeros(4, 3), bp.arange(4))
        >>> len(ds), ds[1][0].shape, ds[1][1].item()
        (4, (3,), 1)
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        self.tensors = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)
        sizes = [t.shape[0] if t.ndim else None for t in self.tensors]
        if None in sizes or len(set(sizes)) != 1:
            shapes = ", ".join(str(tuple(t.shape)) for t in self.tensors)
            raise ValueError(
                f"TensorDataset: all tensors need the same first dimension, got {shapes}"
            )

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(Tensor._make(t.data[index]) for t in self.tensors)

    def __len__(self) -> int:
        return int(self.tensors[0].shape[0])

    def _batch(self, indices: Any) -> list[Tensor]:
        """One batch: each tensor indexed by the int64 array ``indices`` (a copy)."""
        return [Tensor._make(t.data.take(indices, axis=0)) for t in self.tensors]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several datasets one after the other."""

    def __init__(self, datasets: Sequence[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        self.cumulative_sizes = xp.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self) -> int:
        return int(self.cumulative_sizes[-1])

    def __getitem__(self, index: int) -> Any:
        if index < 0:
            if -index > len(self):
                raise IndexError(f"index {index} is out of range for a dataset of {len(self)}")
            index += len(self)
        part = int(xp.searchsorted(self.cumulative_sizes, index, side="right"))
        if part >= len(self.datasets):
            raise IndexError(f"index {index} is out of range for a dataset of {len(self)}")
        start = self.cumulative_sizes[part - 1] if part else 0
        return self.datasets[part][index - start]


def _split_lengths(total: int, lengths: Sequence[float]) -> list[int]:
    """Integer lengths from ``lengths`` (ints, or fractions summing to 1), as PyTorch."""
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1 and total != 1:
        for i, fraction in enumerate(lengths):
            if not 0 <= fraction <= 1:
                raise ValueError(f"random_split: fraction at index {i} is not in [0, 1]")
        sizes = [int(math.floor(total * f)) for f in lengths]
        for i in range(total - sum(sizes)):  # the remainder goes round-robin
            sizes[i % len(sizes)] += 1
        return sizes
    if any(int(n) != n or n < 0 for n in lengths):
        raise ValueError(
            f"random_split: lengths must be non-negative ints or fractions, got {lengths}"
        )
    if sum(lengths) != total:
        raise ValueError(
            f"random_split: the lengths {list(lengths)} sum to {sum(lengths)}, "
            f"but the dataset has {total} samples"
        )
    return [int(n) for n in lengths]


def random_split(dataset: Any, lengths: Sequence[float],
                 generator: Generator | None = None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random ``Subset``s of the given lengths.

    ``lengths`` are sample counts summing to ``len(dataset)``, or fractions summing
    to 1 (floored, the remainder handed out one by one from the first split on).
    The permutation comes from ``generator``, else from the global generator.

    Example::

        >>> import backprop as bp
        >>> train, test = random_split(range(10), [0.8, 0.2], generator=bp.Generator(0))
        >>> len(train), len(test)
        (8, 2)
    """
    sizes = _split_lengths(len(dataset), lengths)
    order = rng(generator).permutation(sum(sizes)).tolist()
    subsets, start = [], 0
    for size in sizes:
        subsets.append(Subset(dataset, order[start:start + size]))
        start += size
    return subsets


def batch_getter(dataset: Any) -> Any:
    """A function ``indices -> batch`` that cuts a whole batch with array indexing, or None.

    ``TensorDataset`` and the built-in datasets have one (``_batch``); a ``Subset``
    of such a dataset maps its indices and uses its parent's.
    """
    if isinstance(dataset, Subset):
        parent = batch_getter(dataset.dataset)
        if parent is None:
            return None
        positions = xp.asarray(dataset.indices, dtype=xp.int64)
        return lambda indices: parent(positions[indices])
    return getattr(dataset, "_batch", None)
