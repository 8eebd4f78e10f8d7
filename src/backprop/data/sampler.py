"""Samplers: the order in which a ``DataLoader`` visits a dataset (``torch.utils.data``'s API).

A sampler yields dataset indices; ``BatchSampler`` groups them. Every sampler
here can also hand out its whole order as one int64 array (``_indices()``), so
the loader cuts batches with array slicing instead of a Python loop.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sized
from typing import Any

from ..backends import xp
from ..random import Generator, rng


class Sampler:
    """Base class: ``__iter__`` yields indices, ``__len__`` says how many."""

    def __iter__(self) -> Iterator[int]:
        return iter(self._indices().tolist())

    def _indices(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__ or _indices")


class SequentialSampler(Sampler):
    """0, 1, …, len(data_source) − 1, in order."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def _indices(self) -> Any:
        return xp.arange(len(self.data_source), dtype=xp.int64)

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation of the dataset (or ``num_samples`` draws with replacement).

    Draws come from ``generator`` if given, else from the library's global
    generator (``bp.manual_seed`` makes them reproducible). Each pass over the
    sampler draws a fresh order.
    """

    def __init__(self, data_source: Sized, replacement: bool = False,
                 num_samples: int | None = None, generator: Generator | None = None) -> None:
        if num_samples is not None and (not isinstance(num_samples, int) or num_samples <= 0):
            raise ValueError(
                f"RandomSampler: num_samples must be a positive int, got {num_samples!r}"
            )
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _indices(self) -> Any:
        n, draws = len(self.data_source), self.num_samples
        stream = rng(self.generator)
        if self.replacement:
            return stream.integers(0, n, size=draws, dtype=xp.int64)
        # as PyTorch: whole permutations, concatenated and cut to num_samples
        chunks = [stream.permutation(n) for _ in range(-(-draws // n) if n else 0)]
        order = xp.concatenate(chunks) if chunks else xp.empty(0, xp.int64)
        return order[:draws].astype(xp.int64, copy=False)

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices, in a random order drawn afresh on every pass."""

    def __init__(self, indices: Iterable[int], generator: Generator | None = None) -> None:
        self.indices = xp.asarray(list(indices), dtype=xp.int64)
        self.generator = generator

    def _indices(self) -> Any:
        return self.indices[rng(self.generator).permutation(len(self.indices))]

    def __len__(self) -> int:
        return len(self.indices)


class BatchSampler(Sampler):
    """Groups another sampler's indices into lists of ``batch_size`` (the last may be short).

    Example::

        >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
        [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler: Any, batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"BatchSampler: batch_size must be a positive int, got {batch_size!r}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def _batches(self) -> Iterator[Any]:
        """Index arrays, one per batch."""
        own_order = getattr(type(self.sampler), "_indices", Sampler._indices)
        if own_order is not Sampler._indices:  # one of ours: the whole order as an array
            order = self.sampler._indices()
        else:  # any iterable of indices
            order = xp.fromiter(iter(self.sampler), dtype=xp.int64)
        stop = len(order) - len(order) % self.batch_size if self.drop_last else len(order)
        for start in range(0, stop, self.batch_size):
            yield order[start:start + self.batch_size]

    def __iter__(self) -> Iterator[list[int]]:  # type: ignore[override]
        return (batch.tolist() for batch in self._batches())

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
