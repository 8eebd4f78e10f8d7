"""Handwritten digits that need no download: scikit-learn's 8×8 ``load_digits``.

1797 images of the digits 0–9 (UCI "optdigits" test set, 16 grey levels), which
ship inside the scikit-learn package. Pixels are scaled to [0, 1] as float32.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from typing import Any

from ...backends import xp
from ...tensor import Tensor
from ..dataset import TensorDataset

TEST_EVERY = 5
"""Every 5th image of each digit (the 5th, 10th, …) is held out: a fixed, class-balanced split."""


@functools.lru_cache(maxsize=1)
def _digits_arrays() -> tuple[Any, Any]:
    """(pixels 0–16 as float64 (1797, 64), labels int64), read once per process."""
    spec = importlib.util.find_spec("sklearn")  # locates the package without importing it
    if spec is not None and spec.origin is not None:
        path = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            table = xp.loadtxt(path, delimiter=",")
            return table[:, :-1], table[:, -1].astype(xp.int64)
    try:
        from sklearn.datasets import load_digits as sklearn_load_digits
    except ImportError as error:
        raise ModuleNotFoundError(
            "the digits data ship with scikit-learn; install it with "
            "`pip install 'backprop[data]'` (or `pip install scikit-learn`)"
        ) from error
    bunch = sklearn_load_digits()
    return xp.asarray(bunch.data, dtype=xp.float64), xp.asarray(bunch.target, dtype=xp.int64)


def _pixels(images: bool) -> tuple[Any, Any]:
    raw, labels = _digits_arrays()
    pixels = (raw / 16.0).astype(xp.float32)
    return (pixels.reshape(-1, 1, 8, 8) if images else pixels), labels.copy()


def load_digits(images: bool = False) -> tuple[Tensor, Tensor]:
    """All 1797 digits as ``(x, y)``: x float32 in [0, 1], shape (1797, 64) or with
    ``images=True`` (1797, 1, 8, 8); y int64 labels 0–9.

    Example::

        >>> x, y = load_digits()
        >>> x.shape, x.dtype, y[:3].tolist()
        ((1797, 64), dtype('float32'), [0, 1, 2])
    """
    pixels, labels = _pixels(images)
    return Tensor._make(pixels), Tensor._make(labels)


def split_indices(labels: Any) -> tuple[Any, Any]:
    """(train, test) index arrays: every ``TEST_EVERY``-th occurrence of each label is test."""
    occurrence = xp.zeros(len(labels), dtype=xp.int64)
    for label in xp.unique(labels):
        where = xp.flatnonzero(labels == label)
        occurrence[where] = xp.arange(1, len(where) + 1)
    test = occurrence % TEST_EVERY == 0
    return xp.flatnonzero(~test), xp.flatnonzero(test)


class Digits(TensorDataset):
    """The 8×8 digits as a dataset of ``(image, label)`` with a fixed train/test split.

    Args:
        train: the 1442 training images (True) or the 355 held-out ones (False).
            The split is deterministic: every 5th image of each digit is held out.
        images: samples shaped (1, 8, 8) for convolutions instead of (64,).

    Attributes: ``data`` (float32 in [0, 1]), ``targets`` (int64), ``classes``.

    Example::

        >>> len(Digits(train=True)), len(Digits(train=False))
        (1442, 355)
    """

    classes = list(range(10))

    def __init__(self, train: bool = True, images: bool = False) -> None:
        pixels, labels = _pixels(images)
        train_index, test_index = split_indices(labels)
        keep = train_index if train else test_index
        super().__init__(Tensor._make(pixels[keep]), Tensor._make(labels[keep]))
        self.train = train

    @property
    def data(self) -> Tensor:
        return self.tensors[0]

    @property
    def targets(self) -> Tensor:
        return self.tensors[1]
