"""Datasets in the formats users already have; the digits need no download.

- :func:`load_digits` / :class:`Digits`: scikit-learn's 8×8 handwritten digits.
- :class:`MNIST` / :class:`FashionMNIST`: IDX files (gzipped or not) from a folder.
- :class:`CSVDataset`: a CSV file with a target column.
"""

from .csv import CSVDataset
from .digits import Digits, load_digits
from .mnist import MNIST, FashionMNIST, read_idx

__all__ = ["CSVDataset", "Digits", "FashionMNIST", "MNIST", "load_digits", "read_idx"]
