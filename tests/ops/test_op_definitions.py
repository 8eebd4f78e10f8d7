"""Every built-in op is defined once with its math: a derivative formula and a docstring,
and takes its array module from ``backends`` (never ``import numpy`` in ``ops/``)."""

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import backprop.ops
from backprop.autograd.op import Op

OPS_DIR = Path(backprop.ops.__file__).parent
ALL_MODULES = sorted(info.name for info in pkgutil.iter_modules([str(OPS_DIR)]))


def _op_classes():
    found = []
    for info in pkgutil.iter_modules([str(OPS_DIR)]):
        module = importlib.import_module(f"backprop.ops.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Op) and cls is not Op and cls.__module__ == module.__name__:
                found.append(cls)
    return found


OP_CLASSES = _op_classes()


def test_core_ops_are_all_found():
    names = {cls.__name__ for cls in OP_CLASSES}
    for expected in ("Add", "Mul", "MatMul", "Linear", "Sum", "Softmax", "GetItem", "Cat",
                     "CrossEntropyLoss", "Where", "Maximum"):
        assert expected in names


@pytest.mark.parametrize("cls", OP_CLASSES, ids=[c.__name__ for c in OP_CLASSES])
def test_op_has_derivative_formula_and_docstring(cls):
    assert cls.derivative and "∂" in cls.derivative, f"{cls.__name__} lacks a derivative formula"
    assert cls.__doc__ and cls.__doc__.strip(), f"{cls.__name__} lacks a docstring"
    assert "backward" in cls.__dict__ and "forward" in cls.__dict__


def test_all_op_modules_are_found():
    assert {"elementwise", "reduce", "movement", "matmul", "loss", "conv", "pool"} <= set(
        ALL_MODULES)


@pytest.mark.parametrize("name", ALL_MODULES)
def test_op_modules_take_xp_from_backends(name):
    source = (OPS_DIR / f"{name}.py").read_text()
    assert not re.search(r"^\s*(import numpy|from numpy)", source, re.M)
    assert re.search(r"^from \.\.backends import (.*, )?xp\b", source, re.M)
