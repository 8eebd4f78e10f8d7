"""The speed paths of the hot ops, each against PyTorch and against the plain path it replaces.

- Sigmoid: SciPy's ``expit`` when SciPy is there, the NumPy formula otherwise (both kept).
- Sum/Mean backward: small gradients are written out, large ones broadcast (both kept).
- Linear: ``ndarray.dot`` for 2-D inputs, ``matmul`` otherwise; a one-row bias gradient.
- The engine: one array handed to two or three inputs is given to each as its own copy.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import backprop as bp
from backprop.ops import elementwise as ew
from backprop.ops import reduce as rd

EXTREMES = np.array([-1000.0, -100.0, -88.5, -20.0, -1e-3, 0.0, 1e-3, 20.0, 88.5, 100.0, 1000.0])


@pytest.fixture(params=["expit", "numpy"])
def sigmoid_path(request, monkeypatch):
    if request.param == "numpy":
        monkeypatch.setattr(ew, "_expit", False)
    else:
        pytest.importorskip("scipy.special")
        monkeypatch.setattr(ew, "_expit", None)  # looked up again on first use
    return request.param


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_both_paths_match_torch_without_warnings(sigmoid_path, dtype):
    rng = np.random.default_rng(0)
    values = np.concatenate([EXTREMES, rng.normal(0, 5, 50)]).astype(dtype)
    x = bp.tensor(values, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = x.sigmoid()
        (y * bp.tensor(np.linspace(-1, 1, values.size).astype(dtype))).sum().backward()
    xt = torch.tensor(values, requires_grad=True)
    yt = xt.sigmoid()
    (yt * torch.tensor(np.linspace(-1, 1, values.size).astype(dtype))).sum().backward()
    assert y.dtype == dtype and x.grad.dtype == dtype
    tol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=tol, atol=tol * 1e-30)
    np.testing.assert_allclose(x.grad.data, xt.grad.numpy(), rtol=10 * tol, atol=tol * 1e-30)


def test_sigmoid_numpy_formula_equals_expit():
    special = pytest.importorskip("scipy.special")
    values = np.linspace(-50, 50, 1001)
    np.testing.assert_allclose(ew.sigmoid_numpy(values), special.expit(values), rtol=1e-15)


@pytest.mark.parametrize("shape", [(3, 5), (70, 80)])  # below and above rd.SMALL elements
@pytest.mark.parametrize("reduce", ["sum", "mean"])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (1, False), (0, True), ((0, 1), False)])
def test_reduction_backward_small_and_large(shape, reduce, dim, keepdim):
    assert (shape[0] * shape[1] <= rd.SMALL) == (shape == (3, 5))
    values = np.random.default_rng(1).normal(size=shape)
    x = bp.tensor(values, requires_grad=True)
    xt = torch.tensor(values, requires_grad=True)
    kwargs = {} if dim is None else {"dim": dim, "keepdim": keepdim}
    y, yt = getattr(x, reduce)(**kwargs), getattr(xt, reduce)(**kwargs)
    weights = np.random.default_rng(2).normal(size=tuple(yt.shape))
    (y * bp.tensor(weights)).sum().backward()
    (yt * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.data, xt.grad.numpy(), rtol=1e-12)


def test_small_spread_gradient_is_writable_and_large_is_a_view():
    small = rd.spread(np.asarray(2.0), (2, 3), (0, 1), False)
    assert small.flags.writeable and small.shape == (2, 3) and (small == 2).all()
    large = rd.spread(np.asarray(2.0), (100, 100), (0, 1), False)
    assert not large.flags.writeable and large.strides == (0, 0)


@pytest.mark.parametrize("x_shape", [(1, 3), (7, 3), (2, 5, 3), (3,)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_dot_and_matmul_paths_match_torch(x_shape, dtype):
    rng = np.random.default_rng(3)
    xv, wv, bv = rng.normal(size=x_shape), rng.normal(size=(4, 3)), rng.normal(size=4)
    xv, wv, bv = (a.astype(dtype) for a in (xv, wv, bv))
    x, w, b = (bp.tensor(a, requires_grad=True) for a in (xv, wv, bv))
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (xv, wv, bv))
    y = bp.nn.functional.linear(x, w, b)
    yt = torch.nn.functional.linear(xt, wt, bt)
    g = rng.normal(size=tuple(yt.shape)).astype(dtype)
    y.backward(bp.tensor(g))
    yt.backward(torch.tensor(g))
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert y.dtype == dtype and w.grad.dtype == dtype and b.grad.dtype == dtype
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=tol, atol=tol)
    for ours, theirs in ((x, xt), (w, wt), (b, bt)):
        np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=tol, atol=tol)


class _SameArrayThrice(bp.autograd.function.Op):
    """y = a + b + c, whose backward hands the one incoming array to all three inputs."""

    def forward(ctx, a, b, c):
        return a + b + c

    def backward(ctx, grad):
        return grad, grad, grad


def test_one_gradient_array_given_to_several_inputs_is_unshared():
    a, b, c = (bp.tensor([1.0, 2.0], requires_grad=True) for _ in range(3))
    (_SameArrayThrice.apply(a, b, c) * 3).sum().backward()
    grads = [a.grad.data, b.grad.data, c.grad.data]
    assert len({id(g) for g in grads}) == 3
    for g in grads:
        np.testing.assert_array_equal(g, [3.0, 3.0])
    # accumulating into one leaf's gradient must not change the others
    (a * 1).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [4.0, 4.0])
    np.testing.assert_array_equal(b.grad.data, [3.0, 3.0])


def test_x_plus_x_counts_twice():
    x = bp.tensor([1.0, -2.0], requires_grad=True)
    xt = torch.tensor([1.0, -2.0], requires_grad=True)
    ((x + x) * x).sum().backward()
    ((xt + xt) * xt).sum().backward()
    np.testing.assert_allclose(x.grad.data, xt.grad.numpy())
