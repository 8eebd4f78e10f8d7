"""Data loading (``torch.utils.data``'s API): datasets, samplers and the ``DataLoader``.

Example::

    >>> import backprop as bp
    >>> from backprop.data import DataLoader, datasets
    >>> loader = DataLoader(datasets.Digits(train=True), batch_size=64, shuffle=True, seed=0)
    >>> x, y = next(iter(loader))
    >>> x.shape, y.dtype
    ((64, 64), dtype('int64'))
"""

from . import datasets
from .dataloader import DataLoader, default_collate, default_convert
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler

__all__ = [
    "BatchSampler", "ConcatDataset", "DataLoader", "Dataset", "RandomSampler", "Sampler",
    "SequentialSampler", "Subset", "SubsetRandomSampler", "TensorDataset", "datasets",
    "default_collate", "default_convert", "random_split",
]
