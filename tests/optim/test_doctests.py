"""The examples in the optimizers' and schedulers' docstrings run and print what they say."""

import doctest
import importlib

import pytest

MODULES = ["backprop.optim.optimizer", "backprop.optim.sgd", "backprop.optim.adam",
           "backprop.optim.adamw", "backprop.optim.rmsprop", "backprop.optim.adagrad",
           "backprop.optim.lr_scheduler"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, path):  # on the NumPy path and on the fused loops
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0
