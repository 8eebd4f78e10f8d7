"""The speed paths of the hot ops, each against PyTorch and against the plain path it replaces.

- Sigmoid: SciPy's ``expit`` when SciPy is there, the NumPy formula otherwise (both kept).
- σ, tanh and x² backward: one compiled ufunc where numba is there, NumPy's calls otherwise
  (both kept, the same bits).
- Arithmetic with a Python number: the number as a cached 0-d array (``constant``); a
  0-d result stays an array (``ARRAY_OUT``).
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
from backprop import backends
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


class _SameArrayThrice(bp.autograd.op.Op):
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


# --- compiled point-wise backward formulas ------------------------------------------------
POINTWISE = {  # op: (our forward, torch's forward, the compiled kernel's name)
    "sigmoid": (lambda x: x.sigmoid(), torch.sigmoid, "sigmoid_backward"),
    "tanh": (lambda x: x.tanh(), torch.tanh, "tanh_backward"),
    "square": (lambda x: x**2, lambda x: x**2, "square_backward"),
}


def _pointwise_backward(op, values, grad, compiled, monkeypatch):
    monkeypatch.setattr(ew, "use_compiled_kernels", compiled)
    x = bp.tensor(values, requires_grad=True)
    POINTWISE[op][0](x).backward(bp.tensor(grad))
    return x.grad.data


@pytest.mark.parametrize("op", sorted(POINTWISE))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_pointwise_backward_gives_numpys_bits_and_torchs_values(op, dtype,
                                                                          monkeypatch):
    pytest.importorskip("numba")
    rng = np.random.default_rng(4)
    values = np.concatenate([EXTREMES, rng.normal(0, 3, (60,))]).astype(dtype)
    grad = rng.normal(size=values.shape).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fused = _pointwise_backward(op, values, grad, True, monkeypatch)
        plain = _pointwise_backward(op, values, grad, False, monkeypatch)
    assert ew._kernels[POINTWISE[op][2]], "the compiled kernel was not used"
    assert fused.dtype == plain.dtype == dtype
    np.testing.assert_array_equal(fused, plain)
    xt = torch.tensor(values, requires_grad=True)
    POINTWISE[op][1](xt).backward(torch.tensor(grad))
    # 1 − y² (tanh) and 1 − y (σ) cancel where y is near 1: a last-bit difference between
    # NumPy's and torch's forward becomes an absolute error of a few ulp(1) · |g|
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(fused, xt.grad.numpy(), rtol=8 * eps, atol=8 * eps)


@pytest.mark.parametrize("op", sorted(POINTWISE))
def test_pointwise_backward_of_other_dtypes_takes_numpys_path(op, monkeypatch):
    values = np.array([-2.0, 0.5, 3.0], dtype=np.float16)
    grad = np.array([1.0, -1.0, 0.25], dtype=np.float16)
    assert ew.compiled_kernel(POINTWISE[op][2], values, grad) is None
    assert ew.compiled_kernel(POINTWISE[op][2], values.astype(np.float32), grad) is None
    fused = _pointwise_backward(op, values, grad, True, monkeypatch)
    assert fused.dtype == np.float16
    np.testing.assert_array_equal(fused, _pointwise_backward(op, values, grad, False,
                                                             monkeypatch))
    xt = torch.tensor(values.astype(np.float32), requires_grad=True)
    POINTWISE[op][1](xt).backward(torch.tensor(grad.astype(np.float32)))
    np.testing.assert_allclose(fused, xt.grad.numpy(), rtol=2e-3, atol=1e-3)


# --- Python numbers in arithmetic -------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("number", [0.5, 0.1, 3, -7.25, 1e-30, 2**25 + 1])
def test_python_number_operands_give_numpys_bits_and_torchs_values(dtype, number):
    values = np.array([[0.3, -1.7], [2.5, 1e-3]], dtype=dtype)
    x = bp.tensor(values, requires_grad=True)
    xt = torch.tensor(values, requires_grad=True)
    ours = [number * x, x * number, x + number, number - x, x / number, number / x]
    numpys = [number * values, values * number, values + number, number - values,
              values / number, number / values]  # NumPy with the number itself
    theirs = [number * xt, xt * number, xt + number, number - xt, xt / number, number / xt]
    sum(ours[1:], ours[0]).sum().backward()
    sum(theirs[1:], theirs[0]).sum().backward()
    eps = np.finfo(dtype).eps
    for a, n, t in zip(ours, numpys, theirs):
        assert a.dtype == dtype
        np.testing.assert_array_equal(a.data, n)
        np.testing.assert_allclose(a.data, t.detach().numpy(), rtol=2 * eps)
    np.testing.assert_allclose(x.grad.data, xt.grad.numpy(), rtol=8 * eps)


@pytest.mark.parametrize("number", [0.0, -0.0, float("nan"), float("inf"), -1e300, 2**100])
def test_python_numbers_not_kept_keep_numpys_meaning(number):
    values = np.array([0.0, -2.0, 3.0], dtype=np.float32)
    x = bp.tensor(values)
    with np.errstate(all="ignore"):
        expected = [values * number, number - values, values / number]
        ours = [(x * number).data, (number - x).data, (x / number).data]
    for a, b in zip(ours, expected):
        assert a.dtype == np.float32
        np.testing.assert_array_equal(np.signbit(a), np.signbit(b))  # −0.0 stays −0.0
        np.testing.assert_array_equal(a, b)


def test_constant_is_read_only_cast_once_and_bounded():
    one_tenth = backends.constant(0.1, np.dtype(np.float32))
    assert one_tenth.dtype == np.float32 and one_tenth.shape == ()
    assert one_tenth == np.float32(0.1) and not one_tenth.flags.writeable
    assert backends.constant(0.1, np.dtype(np.float32)) is one_tenth
    assert backends.constant(0.1, np.dtype(np.float64)).dtype == np.float64
    assert backends.constant(0.1, np.dtype(np.float16)) == 0.1  # other dtypes: as it is
    for k in range(600):
        backends.constant(1.0 + k, np.dtype(np.float64))
    assert len(backends._CONSTANTS_64) <= 256


def test_zero_dimensional_results_stay_arrays():
    x = bp.tensor([[0.5, 1.5]], requires_grad=True)
    total = x.sum()
    half = 0.5 * total
    assert type(total.data) is np.ndarray and type(half.data) is np.ndarray
    assert half.shape == () and half.item() == 1.0
    half.backward()
    np.testing.assert_array_equal(x.grad.data, [[0.5, 0.5]])
