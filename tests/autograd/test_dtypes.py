"""dtypes: Python floats give float32, float64 on request, set_default_dtype, int64.

Every op of the reference table is also run in float32 (forward and gradients stay
float32): see ``tests/reference/test_reference.py::test_float32_stays_float32``.
"""

import numpy as np
import pytest
import torch

import backprop as bp


def test_dtypes_are_numpys():
    assert bp.float32 == np.float32 and bp.float64 == np.float64 and bp.int64 == np.int64


def test_python_floats_become_float32():
    assert bp.tensor(1.5).dtype == bp.float32
    assert bp.tensor([1.0, 2.0]).dtype == bp.float32
    assert bp.tensor([[1, 2.5]]).dtype == bp.float32


def test_python_ints_become_int64_and_bools_bool():
    assert bp.tensor([1, 2]).dtype == bp.int64
    assert bp.tensor(3).dtype == bp.int64
    assert bp.tensor([True, False]).dtype == np.bool_


def test_numpy_arrays_keep_their_dtype():
    assert bp.tensor(np.zeros(3)).dtype == bp.float64
    assert bp.tensor(np.zeros(3, np.float32)).dtype == bp.float32
    assert bp.tensor(np.zeros(3, np.int32)).dtype == np.int32


def test_float64_on_request():
    assert bp.tensor([1.0], dtype=bp.float64).dtype == bp.float64
    assert bp.zeros(2, dtype=bp.float64).dtype == bp.float64
    assert bp.tensor([1.0]).double().dtype == bp.float64
    assert bp.tensor(np.zeros(2)).float().dtype == bp.float32


def test_set_default_dtype():
    assert bp.get_default_dtype() == bp.float32
    bp.set_default_dtype(bp.float64)
    assert bp.get_default_dtype() == bp.float64
    assert bp.tensor(1.5).dtype == bp.float64
    assert bp.zeros(2).dtype == bp.ones(2).dtype == bp.randn(2).dtype == bp.float64
    assert bp.nn.Linear(2, 3).weight.dtype == bp.float64
    assert bp.tensor([1, 2]).dtype == bp.int64  # integers are unaffected
    with pytest.raises(TypeError):
        bp.set_default_dtype(bp.int64)


def test_default_dtype_matches_torch_for_factories():
    for name in ("zeros", "ones", "rand", "randn", "empty"):
        assert str(getattr(bp, name)(2).dtype) == str(getattr(torch, name)(2).dtype).split(".")[1]


def test_float32_scalars_keep_float32():
    x = bp.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2.5 + np.float64(1.0)) / 3.0 - 0.5
    y = y**2 + 2.0**y + x.mean() + np.float32(1.0) * y
    assert y.dtype == bp.float32
    y.sum().backward()
    assert x.grad.dtype == bp.float32


def test_float32_through_a_network():
    model = bp.nn.Sequential(bp.nn.Linear(3, 4), bp.nn.ReLU(), bp.nn.Linear(4, 2))
    x = bp.randn(5, 3)
    loss = bp.nn.functional.cross_entropy(model(x), bp.tensor([0, 1, 1, 0, 1]))
    assert loss.dtype == bp.float32
    loss.backward()
    assert all(p.grad.dtype == bp.float32 for p in model.parameters())


def test_int64_tensors():
    a = bp.tensor([1, 2, 3])
    b = bp.arange(3)
    assert (a + b).dtype == bp.int64 and (a * 2).dtype == bp.int64
    np.testing.assert_array_equal((a * b).numpy(), [0, 2, 6])
    assert a.sum().dtype == bp.int64 and a.sum().item() == 6
    assert (a / 2).dtype.kind == "f"
    np.testing.assert_array_equal(a[bp.tensor([2, 0])].numpy(), [3, 1])
    assert a.float().dtype == bp.float32 and bp.tensor([1.7]).long().dtype == bp.int64
    with pytest.raises(RuntimeError, match="floating point"):
        bp.tensor([1, 2], requires_grad=True)


def test_mean_of_integers_raises_like_torch():
    with pytest.raises(RuntimeError):
        bp.tensor([1, 2]).mean()


def test_cast_keeps_the_graph():
    x = bp.tensor([1.0, 2.0], dtype=bp.float32, requires_grad=True)
    y = x.double() * 3
    assert y.dtype == bp.float64
    y.sum().backward()
    assert x.grad.dtype == bp.float32
    np.testing.assert_allclose(x.grad.data, [3.0, 3.0])
