"""``DataLoader``: batches of a dataset as Tensors, in order or shuffled with a seed.

For a dataset whose samples live in arrays (``TensorDataset``, the built-in
datasets, a ``Subset`` of one) a batch is cut with one ``take`` per array from
the batch's index array; any other dataset is read sample by sample and each
field stacked with one NumPy call (``default_collate``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from ..backends import xp
from ..random import Generator
from ..tensor import Tensor
from .dataset import batch_getter
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler


def default_collate(batch: Sequence[Any]) -> Any:
    """Stack a list of samples into a batch, field by field, as PyTorch's ``default_collate``.

    Tensors and arrays are stacked along a new first dimension; Python floats
    become a float64 Tensor, ints an int64 Tensor; tuples and lists are collated
    per position (returning a list), dicts per key; strings stay a list.

    Example::

        >>> import backprop as bp
        >>> x, y = default_collate([(bp.zeros(3), 1), (bp.ones(3), 0)])
        >>> x.shape, y.tolist()
        ((2, 3), [1, 0])
    """
    first = batch[0]
    if isinstance(first, Tensor):
        return Tensor._make(xp.stack([sample.data for sample in batch]))
    if isinstance(first, xp.ndarray | xp.generic):
        return Tensor._make(xp.stack(batch) if isinstance(first, xp.ndarray) else xp.array(batch))
    if isinstance(first, bool):
        return Tensor._make(xp.array(batch, dtype=xp.bool_))
    if isinstance(first, int):
        return Tensor._make(xp.array(batch, dtype=xp.int64))
    if isinstance(first, float):
        return Tensor._make(xp.array(batch, dtype=xp.float64))
    if isinstance(first, str | bytes):
        return list(batch)
    if isinstance(first, Mapping):
        return {key: default_collate([sample[key] for sample in batch]) for key in first}
    if isinstance(first, Sequence):
        if any(len(sample) != len(first) for sample in batch):
            raise RuntimeError("default_collate: each sample in a batch must have the same length")
        return [default_collate(list(field)) for field in zip(*batch, strict=True)]
    raise TypeError(
        f"default_collate: cannot batch samples of type {type(first).__name__}; "
        "pass collate_fn= to the DataLoader"
    )


def default_convert(sample: Any) -> Any:
    """One sample as Tensors, without adding a batch dimension (``batch_size=None``)."""
    if isinstance(sample, Tensor):
        return sample
    if isinstance(sample, xp.ndarray | xp.generic):
        return Tensor._make(xp.asarray(sample))
    if isinstance(sample, Mapping):
        return {key: default_convert(value) for key, value in sample.items()}
    if isinstance(sample, tuple | list):
        return [default_convert(value) for value in sample]
    return sample


class DataLoader:
    """Iterate over ``dataset`` in batches of Tensors.

    Args:
        dataset: a map-style dataset (``len`` and ``[i]``).
        batch_size: samples per batch (``None``: single samples, no batch dimension).
        shuffle: visit the samples in a new random order every epoch.
        drop_last: drop the last batch if it is shorter than ``batch_size``.
        seed: shuffle with a private generator seeded with this; without it the
            order comes from the library's global generator (``bp.manual_seed``).
            Either way a run repeats exactly; successive epochs differ.
        collate_fn: turns a list of samples into a batch (default: ``default_collate``).
        sampler: yields the indices to visit (excludes ``shuffle``).
        batch_sampler: yields lists of indices (excludes the four options above).
        generator: a ``bp.Generator`` to shuffle with (instead of ``seed``).

    ``len(loader)`` is the number of batches per epoch.

    Example::

        >>> import backprop as bp
        >>> ds = bp.data.TensorDataset(bp.arange(10).float(), bp.arange(10))
        >>> loader = DataLoader(ds, batch_size=4, shuffle=True, seed=0)
        >>> [len(y) for x, y in loader], len(loader)
        ([4, 4, 2], 3)
    """

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool = False,
                 drop_last: bool = False, seed: int | None = None,
                 collate_fn: Callable[[list[Any]], Any] | None = None,
                 sampler: Sampler | Any = None, batch_sampler: Any = None,
                 generator: Generator | None = None) -> None:
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None
                                          or drop_last):
            raise ValueError(
                "DataLoader: batch_sampler option is mutually exclusive with "
                "batch_size, shuffle, sampler, and drop_last"
            )
        if batch_size is not None and (not isinstance(batch_size, int) or batch_size <= 0):
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        if seed is not None and generator is not None:
            raise ValueError("DataLoader: give seed or generator, not both")
        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.generator = Generator(int(seed)) if seed is not None else generator
        if sampler is None:
            sampler = (RandomSampler(dataset, generator=self.generator) if shuffle
                       else SequentialSampler(dataset))
        self.sampler = sampler
        if batch_sampler is None and batch_size is not None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_sampler = batch_sampler
        self.collate_fn = collate_fn

    def __len__(self) -> int:
        sampler: Any = self.batch_sampler if self.batch_sampler is not None else self.sampler
        return len(sampler)

    def __iter__(self) -> Iterator[Any]:
        dataset = self.dataset
        if self.batch_sampler is None:  # batch_size=None: one sample at a time
            convert = self.collate_fn or default_convert
            return (convert(dataset[i]) for i in self.sampler)
        return self._batches()

    def _batches(self) -> Iterator[Any]:
        dataset = self.dataset
        if isinstance(self.batch_sampler, BatchSampler):
            index_arrays: Iterator[Any] = self.batch_sampler._batches()
        else:
            index_arrays = (xp.asarray(list(b), dtype=xp.int64) for b in self.batch_sampler)
        cut = batch_getter(dataset) if self.collate_fn is None else None
        if cut is not None:
            for indices in index_arrays:
                yield cut(indices)
            return
        collate = self.collate_fn or default_collate
        for indices in index_arrays:
            yield collate([dataset[i] for i in indices.tolist()])
