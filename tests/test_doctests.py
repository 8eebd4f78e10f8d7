"""Every docstring example in the package runs and prints what it says (STYLE rule 5).

The modules in WITH_EXAMPLES (the public layers, losses, optimizers, data and tools) must
show at least one example, so a docstring whose example went missing fails too.
(The optimizers' examples also run on the fused loops, in tests/optim/test_doctests.py.)
"""

import doctest
import importlib
import pkgutil

import pytest

import backprop as bp

MODULES = sorted(info.name for info in pkgutil.walk_packages(bp.__path__, "backprop."))

WITH_EXAMPLES = {
    "backprop.data", "backprop.data.dataloader", "backprop.data.dataset",
    "backprop.data.datasets.digits", "backprop.data.sampler",
    "backprop.diagnostics.monitor", "backprop.explain", "backprop.explain.formula",
    "backprop.nn._functional_images", "backprop.nn.functional",
    *(f"backprop.nn.modules.{name}" for name in (
        "activation", "container", "conv", "dropout", "linear", "loss", "normalization",
        "pooling", "rnn", "sparse")),
    *(f"backprop.optim.{name}" for name in (
        "optimizer", "sgd", "adam", "adamw", "rmsprop", "adagrad", "lr_scheduler")),
    "backprop.serialization", "backprop.viz",
}


def test_every_module_with_examples_is_found():
    assert WITH_EXAMPLES <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), extraglobs={"bp": bp},
                             optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    if name in WITH_EXAMPLES:
        assert result.attempted > 0, f"{name} shows no docstring example"
