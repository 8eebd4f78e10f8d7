"""Factories with PyTorch's signatures: shapes, dtypes and values as torch's."""

import numpy as np
import pytest
import torch

import backprop as bp


def _same(b, t):
    assert isinstance(b, bp.Tensor)
    assert b.shape == tuple(t.shape), (b.shape, t.shape)
    assert str(b.dtype) == str(t.dtype).replace("torch.", ""), (b.dtype, t.dtype)
    np.testing.assert_array_equal(b.numpy(), t.numpy())


@pytest.mark.parametrize("name", ["zeros", "ones"])
def test_zeros_ones(name):
    for args in ((3,), (2, 3), ((2, 3),), ([4],), ((),)):
        _same(getattr(bp, name)(*args), getattr(torch, name)(*args))
    _same(getattr(bp, name)(2, dtype=bp.float64), getattr(torch, name)(2, dtype=torch.float64))
    _same(getattr(bp, name)(2, dtype=bp.int64), getattr(torch, name)(2, dtype=torch.int64))


def test_full():
    _same(bp.full((2, 3), 1.5), torch.full((2, 3), 1.5))
    _same(bp.full((2,), 7), torch.full((2,), 7))
    _same(bp.full([2, 2], True), torch.full([2, 2], True))
    _same(bp.full((3,), 2.0, dtype=bp.float64), torch.full((3,), 2.0, dtype=torch.float64))


def test_empty_has_shape_and_dtype():
    e, t = bp.empty(2, 3), torch.empty(2, 3)
    assert e.shape == tuple(t.shape) and str(e.dtype) == "float32"
    assert bp.empty((4,), dtype=bp.float64).dtype == bp.float64


def test_arange():
    _same(bp.arange(5), torch.arange(5))
    _same(bp.arange(2, 9, 3), torch.arange(2, 9, 3))
    _same(bp.arange(0.0, 1.0, 0.25), torch.arange(0.0, 1.0, 0.25))
    _same(bp.arange(1, 4, dtype=bp.float64), torch.arange(1, 4, dtype=torch.float64))


def test_eye():
    _same(bp.eye(3), torch.eye(3))
    _same(bp.eye(2, 4), torch.eye(2, 4))


def test_linspace():
    np.testing.assert_allclose(bp.linspace(0, 1, 5).numpy(), torch.linspace(0, 1, 5).numpy())


def test_like_factories():
    base = bp.tensor(np.ones((2, 3)))
    tbase = torch.ones(2, 3, dtype=torch.float64)
    _same(bp.zeros_like(base), torch.zeros_like(tbase))
    _same(bp.ones_like(base), torch.ones_like(tbase))
    _same(bp.full_like(base, 4.0), torch.full_like(tbase, 4.0))
    _same(bp.zeros_like(base, dtype=bp.float32), torch.zeros_like(tbase, dtype=torch.float32))
    r = bp.randn_like(base)
    assert r.shape == (2, 3) and r.dtype == bp.float64
    assert bp.rand_like(bp.ones(4)).dtype == bp.float32


def test_rand_randn_shapes_dtypes():
    for fn in (bp.rand, bp.randn):
        assert fn(2, 3).shape == (2, 3) and fn(2, 3).dtype == bp.float32
        assert fn((4,)).shape == (4,)
        assert fn(2, dtype=bp.float64).dtype == bp.float64


def test_randint_and_randperm():
    r = bp.randint(0, 5, (100,))
    assert r.dtype == bp.int64 and r.shape == (100,)
    assert r.numpy().min() >= 0 and r.numpy().max() < 5
    assert bp.randint(3, (2, 2)).numpy().max() < 3
    p = bp.randperm(10)
    assert p.dtype == bp.int64 and sorted(p.tolist()) == list(range(10))


def test_requires_grad_flag():
    for t in (bp.zeros(2, requires_grad=True), bp.ones(2, requires_grad=True),
              bp.randn(2, requires_grad=True), bp.full((2,), 1.0, requires_grad=True),
              bp.tensor([1.0], requires_grad=True)):
        assert t.requires_grad and t.is_leaf


def test_tensor_from_nested_lists_and_tensors():
    _same(bp.tensor([[1, 2], [3, 4]]), torch.tensor([[1, 2], [3, 4]]))
    _same(bp.tensor([[1.0, 2.0]]), torch.tensor([[1.0, 2.0]]))
    _same(bp.tensor(np.float64(2.5)), torch.tensor(np.float64(2.5)))
    _same(bp.tensor(bp.tensor([1.0, 2.0])), torch.tensor([1.0, 2.0]))
    _same(bp.as_tensor(np.ones(2)), torch.as_tensor(np.ones(2)))
    _same(bp.tensor([1, 2], dtype=bp.float32), torch.tensor([1, 2], dtype=torch.float32))
