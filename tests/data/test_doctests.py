"""The examples in the docstrings of backprop.data and backprop.serialization run."""

import doctest
import importlib

import pytest

MODULES = [
    "backprop.data", "backprop.data.dataset", "backprop.data.dataloader", "backprop.data.sampler",
    "backprop.data.datasets.digits", "backprop.data.datasets.mnist", "backprop.data.datasets.csv",
    "backprop.serialization",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
