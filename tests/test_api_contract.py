"""The public API of ``shared/API.md``, line by line, against PyTorch 2.13.

Each test names the contract line it checks. Where PyTorch has the same thing,
the result (values, dtypes, gradients, state-dict keys and shapes) is compared
with torch's; elsewhere with the definition (central differences, a published
formula, NumPy). The ``backprop.distributed`` section is tested elsewhere.
"""

from __future__ import annotations

import inspect
import math
import pickle
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
import torch

import backprop as bp
import backprop.nn.functional as F
from backprop import data, nn, optim

TF = torch.nn.functional
ROOT = Path(__file__).resolve().parents[1]


def T(x):
    """A torch float64 tensor (requiring grad) holding a NumPy array."""
    return torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)


def B(x):
    """A backprop float64 tensor (requiring grad) holding a NumPy array."""
    return bp.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)


def same(ours, theirs, rtol=1e-12, atol=1e-12):
    np.testing.assert_allclose(np.asarray(ours.detach() if isinstance(ours, bp.Tensor) else ours),
                               theirs.detach().numpy() if isinstance(theirs, torch.Tensor)
                               else np.asarray(theirs), rtol=rtol, atol=atol)


def rng(seed=0):
    return np.random.default_rng(seed)


# =====================================================================================
# Tensors and autograd
# =====================================================================================

# --- bp.tensor(data, dtype=None, requires_grad=False) and its dtype rules ---------------
@pytest.mark.parametrize("value", [
    1.5, [1.0, 2.5], [[1, 2], [3, 4]], 3, [1, 2.5], True, [True, False],
    np.array([1.0, 2.0]), np.array([1.0], dtype=np.float32), np.array([1, 2], dtype=np.int64),
    np.array([1, 2], dtype=np.int32), np.float64(2.0), np.float32(2.0),
], ids=lambda v: f"{type(v).__name__}:{getattr(v, 'dtype', '')}{v!r}"[:40])
def test_tensor_dtype_follows_pytorch(value):
    ours, theirs = bp.tensor(value), torch.tensor(value)
    assert np.dtype(ours.dtype) == np.dtype(str(theirs.dtype).removeprefix("torch."))
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_tensor_signature_and_rules():
    assert list(inspect.signature(bp.tensor).parameters)[:3] == ["data", "dtype", "requires_grad"]
    assert bp.tensor(1.5).dtype == bp.float32  # Python floats: the default dtype
    assert bp.tensor(np.zeros(2)).dtype == bp.float64  # a NumPy array keeps its dtype
    assert bp.tensor(7).dtype == bp.int64
    assert bp.tensor([1, 2], dtype=bp.float64).dtype == bp.float64
    t = bp.tensor([1.0, 2.0], requires_grad=True)
    assert t.requires_grad and t.is_leaf and t.grad is None
    source = np.arange(3.0)
    copy = bp.tensor(source)
    source[0] = 99  # bp.tensor copies, as torch.tensor
    assert copy.tolist() == [0.0, 1.0, 2.0]
    assert isinstance(copy, bp.Tensor)


def test_default_dtype_set_and_get():
    assert bp.get_default_dtype() == bp.float32
    bp.set_default_dtype(bp.float64)
    assert bp.get_default_dtype() == bp.float64
    for made in (bp.tensor(1.5), bp.tensor([0.5]), bp.zeros(2), bp.ones(1), bp.rand(2),
                 bp.randn(2), bp.full((1,), 0.5), bp.arange(0, 1, 0.5), bp.eye(2), bp.empty(1)):
        assert made.dtype == bp.float64
    assert nn.Linear(2, 2).weight.dtype == bp.float64
    assert bp.tensor(3).dtype == bp.int64  # ints are not floating: unaffected
    bp.set_default_dtype(bp.float32)
    assert bp.tensor(1.5).dtype == bp.float32
    with pytest.raises(TypeError):  # as torch.set_default_dtype(torch.int64)
        bp.set_default_dtype(bp.int64)


def test_dtypes_equal_numpys():
    assert bp.float32 == np.float32 and bp.float64 == np.float64 and bp.int64 == np.int64
    assert bp.tensor([1.0]).dtype == np.float32 and bp.tensor([1]).dtype == np.int64
    assert np.zeros(1, dtype=bp.float64).dtype == np.float64


# --- factories ----------------------------------------------------------------------------
DETERMINISTIC_FACTORIES = [
    ("zeros", (2, 3), {}), ("zeros", ((2, 3),), {}), ("zeros", ([2, 3],), {}),
    ("zeros", (4,), {}), ("zeros", ((),), {}), ("ones", (2, 3), {}), ("ones", ((3,),), {}),
    ("ones", (2,), {"dtype": "float64"}), ("full", ((2, 2), 1.5), {}), ("full", ((3,), 4), {}),
    ("full", ([2], 2.0), {"dtype": "float64"}), ("arange", (5,), {}), ("arange", (0, 1, 0.25), {}),
    ("arange", (2, 9, 3), {}), ("arange", (5.0,), {}), ("arange", (1, 2.5), {}),
    ("arange", (0, 5), {"dtype": "float64"}), ("eye", (3,), {}), ("eye", (2, 4), {}),
]


@pytest.mark.parametrize("name,args,kwargs", DETERMINISTIC_FACTORIES,
                         ids=[f"{n}{a}{k}" for n, a, k in DETERMINISTIC_FACTORIES])
def test_factories_match_pytorch(name, args, kwargs):
    ours = getattr(bp, name)(*args, **{k: getattr(bp, v) for k, v in kwargs.items()})
    theirs = getattr(torch, name)(*args, **{k: getattr(torch, v) for k, v in kwargs.items()})
    assert isinstance(ours, bp.Tensor) and ours.is_leaf and not ours.requires_grad
    assert ours.shape == tuple(theirs.shape)
    assert np.dtype(ours.dtype) == np.dtype(str(theirs.dtype).removeprefix("torch."))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_sized_factories_take_sizes_tuples_dtype_and_requires_grad(name):
    make = getattr(bp, name)
    for size in ((2, 3), ((2, 3),), ([2, 3],)):
        t = make(*size)
        assert t.shape == (2, 3) and t.dtype == bp.float32
    t = make(2, dtype=bp.float64, requires_grad=True)
    assert t.dtype == bp.float64 and t.requires_grad and t.is_leaf
    assert make(2, 1, 3).shape == tuple(getattr(torch, name)(2, 1, 3).shape)


def test_rand_and_randn_draw_from_their_distributions():
    u, z = bp.rand(200_000).numpy(), bp.randn(200_000).numpy()
    assert 0 <= u.min() and u.max() < 1
    assert abs(u.mean() - 0.5) < 0.005 and abs(u.var() - 1 / 12) < 0.002
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01


@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "randn_like"])
def test_like_factories(name):
    base = bp.tensor(np.ones((2, 3), dtype=np.float64), requires_grad=True)
    ours = getattr(bp, name)(base)
    theirs = getattr(torch, name)(torch.ones(2, 3, dtype=torch.float64, requires_grad=True))
    assert ours.shape == (2, 3) and ours.dtype == bp.float64
    assert not ours.requires_grad and not theirs.requires_grad and ours.is_leaf
    if name != "randn_like":
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert getattr(bp, name)(base, dtype=bp.float32).dtype == bp.float32
    assert getattr(bp, name)(np.zeros((4,), np.float32)).shape == (4,)
    assert getattr(bp, name)(base, requires_grad=True).requires_grad


# --- bp.manual_seed(n): init, dropout, shuffling and draws are reproducible ------------------
def _every_random_draw():
    linear, conv, lstm = nn.Linear(4, 3), nn.Conv2d(1, 2, 3), nn.LSTM(3, 2)
    dropped = F.dropout(bp.ones(50), p=0.5, training=True)
    module_dropped = nn.Dropout(0.3).train()(bp.ones(50))
    dataset = data.TensorDataset(bp.arange(20))
    order = [b[0].tolist() for b in data.DataLoader(dataset, batch_size=5, shuffle=True)]
    init = nn.init.kaiming_normal_(bp.empty(3, 4))
    draws = [bp.rand(3), bp.randn(3), bp.randn_like(bp.zeros(2))]
    return ([p.detach().numpy().copy() for m in (linear, conv, lstm) for p in m.parameters()]
            + [dropped.numpy(), module_dropped.numpy(), np.array(order), init.numpy()]
            + [d.numpy() for d in draws])


def test_manual_seed_makes_every_random_draw_reproducible():
    bp.manual_seed(1234)
    first = _every_random_draw()
    bp.manual_seed(1234)
    second = _every_random_draw()
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    bp.manual_seed(4321)
    third = _every_random_draw()
    assert sum(not np.array_equal(a, b) for a, b in zip(first, third, strict=True)) == len(first)


# --- attributes and methods ------------------------------------------------------------------
def test_tensor_attributes_and_methods():
    values = np.arange(6.0).reshape(2, 3)
    t = bp.tensor(values)
    assert t.shape == (2, 3) and isinstance(t.shape, tuple) and t.ndim == 2
    assert t.dtype == bp.float64 and t.requires_grad is False and t.grad is None and t.is_leaf
    np.testing.assert_array_equal(t.numpy(), values)
    assert t.tolist() == values.tolist() == torch.tensor(values).tolist()
    assert bp.tensor([[2.5]]).item() == 2.5 and isinstance(bp.tensor(3).item(), int)
    with pytest.raises(RuntimeError):
        t.item()  # more than one element, as torch
    a = np.asarray(t)
    assert a.shape == (2, 3) and np.shares_memory(a, t.numpy())

    x = bp.tensor(values, requires_grad=True)
    assert x.requires_grad and x.is_leaf
    y = x * 2
    assert y.requires_grad and not y.is_leaf
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and np.shares_memory(d.numpy(), y.detach().numpy())
    with pytest.raises(RuntimeError):
        x.numpy()  # as torch: "Can't call numpy() on Tensor that requires grad"
    np.testing.assert_array_equal(x.detach().numpy(), values)
    assert np.asarray(x.detach()).shape == (2, 3)

    z = bp.tensor([1.0, 2.0])
    assert z.requires_grad_() is z and z.requires_grad  # flag=True by default
    z.requires_grad_(False)
    assert not z.requires_grad
    assert list(inspect.signature(bp.Tensor.requires_grad_).parameters.values())[1].default is True
    assert inspect.signature(bp.Tensor.backward).parameters["gradient"].default is None


def test_backward_with_and_without_gradient():
    values = rng().normal(size=(2, 3))
    x, tx = B(values), T(values)
    (x * x).sum().backward()
    (tx * tx).sum().backward()
    assert isinstance(x.grad, bp.Tensor)
    same(x.grad, tx.grad)

    x, tx = B(values), T(values)
    seed = rng(1).normal(size=(2, 3))
    (x.exp()).backward(gradient=bp.tensor(seed))
    tx.exp().backward(gradient=torch.tensor(seed))
    same(x.grad, tx.grad)
    with pytest.raises(RuntimeError, match="scalar|gradient"):
        B(values).exp().backward()  # non-scalar without gradient, as torch


# --- operators with broadcasting ---------------------------------------------------------------
BINARY = [
    ("add", lambda a, b: a + b), ("sub", lambda a, b: a - b), ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / b), ("pow", lambda a, b: a ** b),
]
SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((4, 1, 3), (2, 1)), ((), (2, 2))]


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("name,op", BINARY, ids=[n for n, _ in BINARY])
def test_binary_operators_broadcast_with_grad(name, op, shapes):
    r = rng(len(name))
    a = r.uniform(0.5, 2.0, size=shapes[0])
    b = r.uniform(0.5, 2.0, size=shapes[1])
    x, y, tx, ty = B(a), B(b), T(a), T(b)
    out, tout = op(x, y), op(tx, ty)
    same(out, tout)
    seed = r.normal(size=tout.shape)
    out.backward(bp.tensor(seed))
    tout.backward(torch.tensor(seed))
    same(x.grad, tx.grad)
    same(y.grad, ty.grad)
    assert x.grad.shape == a.shape and y.grad.shape == b.shape


@pytest.mark.parametrize("name,op", BINARY, ids=[n for n, _ in BINARY])
def test_operators_with_python_numbers_both_sides(name, op):
    a = rng().uniform(0.5, 2.0, size=(2, 3))
    for f in (lambda t: op(t, 1.5), lambda t: op(1.5, t), lambda t: op(t, 2)):
        x, tx = B(a), T(a)
        out, tout = f(x), f(tx)
        same(out, tout)
        out.sum().backward()
        tout.sum().backward()
        same(x.grad, tx.grad)
    assert op(bp.ones(2), 2.0).dtype == bp.float32  # a Python scalar keeps float32


OPERANDS = {  # made by bp or torch (m): tensors of each category, 0-d tensors, scalars
    "f32": lambda m: m.tensor(np.array([1.5, 2.0], np.float32)),
    "f64": lambda m: m.tensor(np.array([0.5, 3.0], np.float64)),
    "i64": lambda m: m.tensor(np.array([3, 4], np.int64)),
    "i32": lambda m: m.tensor(np.array([1, 2], np.int32)),
    "bool": lambda m: m.tensor(np.array([True, False])),
    "f64-0d": lambda m: m.tensor(np.float64(2.0)), "i64-0d": lambda m: m.tensor(np.int64(3)),
    "2.5": lambda m: 2.5, "2": lambda m: 2, "np.float64": lambda m: np.float64(1.5),
}
PAIRS = [(a, b) for a in OPERANDS for b in OPERANDS if not (
    a in ("2.5", "2", "np.float64") and b in ("2.5", "2", "np.float64"))]


@pytest.mark.parametrize("name,op", BINARY, ids=[n for n, _ in BINARY])
def test_operators_promote_dtypes_as_pytorch(name, op):
    for left, right in PAIRS:
        try:
            theirs = op(OPERANDS[left](torch), OPERANDS[right](torch))
        except (RuntimeError, NotImplementedError):  # bool - bool, bool ** bool: no such op
            continue
        with np.errstate(divide="ignore", invalid="ignore"):  # x / False: inf, as torch
            ours = op(OPERANDS[left](bp), OPERANDS[right](bp))
        label = f"{left} {name} {right}"
        assert np.dtype(ours.dtype) == np.dtype(str(theirs.dtype).removeprefix("torch.")), label
        assert ours.shape == tuple(theirs.shape), label
        np.testing.assert_allclose(ours.numpy().astype(np.float64),
                                   theirs.double().numpy(), rtol=1e-6, err_msg=label)
    x = bp.tensor(np.array([1.5, 2.0], np.float32), requires_grad=True)
    y = bp.tensor(np.array([0.5, 3.0]), requires_grad=True)
    out = op(x, y)  # float32 with float64: float64, and each gradient in its input's dtype
    assert out.dtype == bp.float64
    out.sum().backward()
    assert x.grad.dtype == bp.float32 and y.grad.dtype == bp.float64


def test_where_cat_stack_promote_dtypes_as_pytorch():
    condition = np.array([True, False])
    names = ["f32", "f64", "i64", "i32", "bool", "2.5", "2"]
    for left in names:
        for right in names:
            if left in ("2.5", "2") and right in ("2.5", "2"):
                continue
            theirs = torch.where(torch.tensor(condition), OPERANDS[left](torch),
                                 OPERANDS[right](torch))
            ours = bp.where(bp.tensor(condition), OPERANDS[left](bp), OPERANDS[right](bp))
            label = f"where(c, {left}, {right})"
            assert np.dtype(ours.dtype) == np.dtype(str(theirs.dtype).removeprefix("torch.")), \
                label
            np.testing.assert_allclose(ours.numpy().astype(np.float64), theirs.double().numpy(),
                                       err_msg=label)
            if left in ("2.5", "2") or right in ("2.5", "2"):
                continue
            for name in ("cat", "stack"):
                theirs = getattr(torch, name)([OPERANDS[left](torch), OPERANDS[right](torch)])
                ours = getattr(bp, name)([OPERANDS[left](bp), OPERANDS[right](bp)])
                assert np.dtype(ours.dtype) == np.dtype(
                    str(theirs.dtype).removeprefix("torch.")), f"{name}({left}, {right})"
                np.testing.assert_allclose(ours.numpy().astype(np.float64),
                                           theirs.double().numpy())


@pytest.mark.parametrize("shapes", [((3,), (3,)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)),
                                    ((3,), (3, 2)), ((2, 3), (3,)), ((2, 1, 2, 3), (4, 3, 2))],
                         ids=str)
def test_matmul_operator_and_function(shapes):
    r = rng(3)
    a, b = r.normal(size=shapes[0]), r.normal(size=shapes[1])
    for f, tf in ((lambda p, q: p @ q, lambda p, q: p @ q), (bp.matmul, torch.matmul)):
        x, y, tx, ty = B(a), B(b), T(a), T(b)
        out, tout = f(x, y), tf(tx, ty)
        same(out, tout)
        (out * out).sum().backward()
        (tout * tout).sum().backward()
        same(x.grad, tx.grad)
        same(y.grad, ty.grad)


def test_unary_minus():
    a = rng().normal(size=(2, 3))
    x, tx = B(a), T(a)
    (-x * bp.tensor(a)).sum().backward()
    (-tx * torch.tensor(a)).sum().backward()
    same(-x, -tx)
    same(x.grad, tx.grad)


@pytest.mark.parametrize("op", ["__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"])
def test_comparisons_give_bool_tensors_without_grad(op):
    a = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    b = np.array([2.0, 2.0, 2.0])
    x = B(a)
    for other, tother in ((bp.tensor(b), torch.tensor(b)), (2.0, 2.0)):
        ours, theirs = getattr(x, op)(other), getattr(T(a), op)(tother)
        assert ours.dtype == np.bool_ and not ours.requires_grad and ours.grad_fn is None
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# --- __getitem__: basic and integer-array indexing, with grad ---------------------------------
INDICES = [
    lambda: 1, lambda: -1, lambda: (slice(None), 1), lambda: (slice(0, 3, 2), slice(1, None)),
    lambda: (Ellipsis, None, 2), lambda: (1, 2), lambda: (slice(None), None, slice(1, 3)),
    lambda: [0, 2, 0, 0], lambda: ([0, 1, 0], [1, 3, 1]), lambda: (slice(None), [3, 0, 3]),
    lambda: "long_tensor", lambda: "bool_mask",
]


@pytest.mark.parametrize("make_index", INDICES, ids=range(len(INDICES)))
def test_getitem_basic_and_integer_array_with_grad(make_index):
    a = rng(5).normal(size=(3, 4))
    index = make_index()
    if index == "long_tensor":
        ours_index, their_index = bp.tensor([2, 0, 2]), torch.tensor([2, 0, 2])
    elif index == "bool_mask":
        ours_index, their_index = bp.tensor(a > 0), torch.tensor(a > 0)
    else:
        ours_index = their_index = index
    x, tx = B(a), T(a)
    out, tout = x[ours_index], tx[their_index]
    same(out, tout)
    assert out.shape == tuple(tout.shape)
    seed = rng(6).normal(size=tout.shape)
    out.backward(bp.tensor(seed))
    tout.backward(torch.tensor(seed))
    same(x.grad, tx.grad)  # repeated indices accumulate


# --- methods and bp. functions ---------------------------------------------------------------
def _positive(shape, seed=0):
    return rng(seed).uniform(0.5, 2.0, size=shape)


# (name, args, kwargs, input maker): called as x.name(*args, **kwargs) and bp.name(x, ...)
METHODS = [
    ("sum", (), {}), ("sum", (), {"dim": 1}), ("sum", (), {"dim": 0, "keepdim": True}),
    ("sum", ((0, 2),), {}), ("mean", (), {}), ("mean", (), {"dim": -1}),
    ("mean", (1,), {"keepdim": True}), ("var", (), {}), ("var", (), {"dim": 0}),
    ("var", (2,), {"keepdim": True}), ("max", (), {}), ("min", (), {}), ("amax", (), {}),
    ("amax", (), {"dim": 1}), ("amax", ((0, 1),), {"keepdim": True}),
    ("exp", (), {}), ("log", (), {}), ("sqrt", (), {}), ("abs", (), {}),
    ("clamp", (), {"min": 0.8, "max": 1.5}), ("clamp", (0.9,), {}), ("clamp", (), {"max": 1.1}),
    ("pow", (3,), {}), ("pow", (0.5,), {}), ("tanh", (), {}), ("sigmoid", (), {}),
    ("relu", (), {}), ("softmax", (), {"dim": 1}), ("softmax", (-1,), {}),
    ("log_softmax", (), {"dim": 0}), ("log_softmax", (2,), {}), ("reshape", (6, 4), {}),
    ("reshape", ((-1, 3),), {}), ("view", (2, -1), {}), ("view", ((24,),), {}),
    ("flatten", (), {}), ("flatten", (1,), {}), ("permute", (2, 0, 1), {}),
    ("permute", ((1, 2, 0),), {}), ("transpose", (0, 2), {}), ("transpose", (-1, 1), {}),
    ("unsqueeze", (1,), {}), ("unsqueeze", (-1,), {}),
]
METHOD_IDS = [f"{n}{a}{k}" for n, a, k in METHODS]


@pytest.mark.parametrize("name,args,kwargs", METHODS, ids=METHOD_IDS)
def test_methods_and_bp_functions_match_pytorch(name, args, kwargs):
    a = _positive((2, 3, 4)) * rng(1).choice([-1, 1], size=(2, 3, 4))
    if name in ("log", "sqrt", "pow") or (name == "clamp"):
        a = np.abs(a)
    targets = [lambda x: getattr(x, name)(*args, **kwargs)]
    if hasattr(bp, name):
        targets.append(lambda x: getattr(bp, name)(x, *args, **kwargs))
    else:
        assert name == "view"  # torch has no torch.view either
    theirs_input = T(a)
    theirs = getattr(theirs_input, name)(*args, **kwargs)
    seed = rng(2).normal(size=theirs.shape)
    theirs.backward(torch.tensor(seed))
    for call in targets:
        x = B(a)
        ours = call(x)
        assert isinstance(ours, bp.Tensor)
        same(ours, theirs)
        ours.backward(bp.tensor(seed))
        same(x.grad, theirs_input.grad)


def test_squeeze_expand_and_T():
    a = rng().normal(size=(2, 1, 3, 1))
    for f in (lambda t: t.squeeze(), lambda t: t.squeeze(1), lambda t: t.squeeze(-1),
              lambda t: t.squeeze(0), lambda t: t.expand(4, 2, 5, 3, 2),
              lambda t: t.expand(2, -1, 3, 6), lambda t: t.expand((2, 4, 3, 1)),
              lambda t: t.reshape(2, 3).T, lambda t: bp.squeeze(t, 1) if isinstance(t, bp.Tensor)
              else torch.squeeze(t, 1), lambda t: bp.expand(t, 2, 2, 3, 1)
              if isinstance(t, bp.Tensor) else t.expand(2, 2, 3, 1)):
        x, tx = B(a), T(a)
        out, tout = f(x), f(tx)
        same(out, tout)
        assert out.shape == tuple(tout.shape)
        seed = rng(2).normal(size=tout.shape)
        out.backward(bp.tensor(seed))
        tout.backward(torch.tensor(seed))
        same(x.grad, tx.grad)


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("dim,keepdim", [(0, False), (1, True), (-1, False)])
def test_max_min_with_dim_return_named_values_and_indices(name, dim, keepdim):
    a = rng(7).normal(size=(3, 4, 5))
    for call in (lambda x: getattr(x, name)(dim, keepdim=keepdim),
                 lambda x: getattr(x, name)(dim=dim, keepdim=keepdim),
                 lambda x: getattr(bp if isinstance(x, bp.Tensor) else torch, name)(
                     x, dim, keepdim)):
        x, tx = B(a), T(a)
        ours, theirs = call(x), call(tx)
        assert isinstance(ours, tuple) and len(ours) == 2
        values, indices = ours
        assert ours.values is values and ours.indices is indices  # a named tuple
        same(values, theirs.values)
        assert indices.dtype == bp.int64
        np.testing.assert_array_equal(indices.numpy(), theirs.indices.numpy())
        seed = rng(8).normal(size=theirs.values.shape)
        values.backward(bp.tensor(seed))
        theirs.values.backward(torch.tensor(seed))
        same(x.grad, tx.grad)


@pytest.mark.parametrize("name", ["max", "min", "amax"])
def test_max_min_amax_without_dim_split_ties_as_pytorch(name):
    a = np.array([[1.0, 3.0, 3.0], [0.0, -1.0, 3.0]])
    if name == "min":
        a = -a
    x, tx = B(a), T(a)
    out, tout = getattr(x, name)(), getattr(tx, name)()
    assert out.shape == () and isinstance(out, bp.Tensor)
    same(out, tout)
    out.backward()
    tout.backward()
    same(x.grad, tx.grad)


@pytest.mark.parametrize("dim,keepdim", [(None, False), (0, False), (1, True), (-1, False)])
def test_argmax(dim, keepdim):
    a = rng(9).normal(size=(3, 4))
    ours = bp.tensor(a).argmax(dim, keepdim) if dim is not None else bp.tensor(a).argmax()
    theirs = torch.tensor(a).argmax(dim, keepdim) if dim is not None else torch.tensor(a).argmax()
    assert ours.dtype == bp.int64 and not ours.requires_grad
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    np.testing.assert_array_equal(bp.argmax(bp.tensor(a), dim=dim, keepdim=keepdim).numpy(),
                                  torch.argmax(torch.tensor(a), dim=dim, keepdim=keepdim).numpy())


def test_cat_stack_where_with_grad():
    r = rng(10)
    a, b, c = r.normal(size=(2, 3)), r.normal(size=(1, 3)), r.normal(size=(2, 3))
    cases = [
        (lambda m, p, q, s: m.cat([p, q], dim=0), (a, b)),
        (lambda m, p, q, s: m.cat((p, s), 1), (a, c)),
        (lambda m, p, q, s: m.stack([p, s]), (a, c)),
        (lambda m, p, q, s: m.stack((p, s), dim=2), (a, c)),
        (lambda m, p, q, s: m.where(p > 0, p, s), (a, c)),
        (lambda m, p, q, s: m.where(p > 0, p, 0.5), (a, c)),
        (lambda m, p, q, s: m.where(s < 0, q, p), (a, c)),  # q (1, 3) broadcasts
    ]
    for f, _ in cases:
        xs, txs = [B(v) for v in (a, b, c)], [T(v) for v in (a, b, c)]
        out, tout = f(bp, *xs), f(torch, *txs)
        same(out, tout)
        _same_input_gradients(out, tout, xs, txs, r)


def _same_input_gradients(out, tout, xs, txs, r):
    """Backpropagate one random seed through ours and torch's: the same inputs get a
    gradient, and the same one."""
    seed = r.normal(size=tout.shape)
    out.backward(bp.tensor(seed))
    tout.backward(torch.tensor(seed))
    for x, tx in zip(xs, txs, strict=True):
        assert (x.grad is None) == (tx.grad is None)
        if tx.grad is not None:
            same(x.grad, tx.grad)


# --- gradients accumulate; the graph is freed unless retain_graph ------------------------------
def test_gradients_accumulate_across_backward_calls():
    a = rng().normal(size=(3,))
    x, tx = B(a), T(a)
    for k in range(3):
        (x * x * (k + 1)).sum().backward()
        (tx * tx * (k + 1)).sum().backward()
        same(x.grad, tx.grad)
    x.grad = None
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])


def test_graph_freed_after_backward_unless_retain_graph():
    a = rng().normal(size=(3,))
    x = B(a)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="(?i)second time|freed|retain_graph"):
        y.backward()

    x, tx = B(a), T(a)
    y, ty = (x.exp() * x).sum(), (tx.exp() * tx).sum()
    y.backward(retain_graph=True)
    ty.backward(retain_graph=True)
    y.backward()
    ty.backward()
    same(x.grad, tx.grad)


def test_no_grad_builds_no_graph():
    x = bp.tensor([1.0, 2.0], requires_grad=True)
    with bp.no_grad():
        y = x * 2 + x.exp()
        assert not bp.is_grad_enabled()
    assert bp.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf

    @bp.no_grad()
    def doubled(t):
        return t * 2

    assert not doubled(x).requires_grad
    assert (x * 2).requires_grad


# --- custom ops: bp.autograd.Function ----------------------------------------------------------
def _cube_function(base):
    """s·x³ as a custom Function of ``base`` (ours or torch's): the same code in both."""

    class Cube(base):
        @staticmethod
        def forward(ctx, x, scale):
            ctx.save_for_backward(x, scale)
            return x * x * x * scale

        @staticmethod
        def backward(ctx, grad_output):
            x, scale = ctx.saved_tensors
            return grad_output * 3 * x * x * scale, grad_output * x * x * x

    return Cube


_Cube = _cube_function(bp.autograd.Function)
_TorchCube = _cube_function(torch.autograd.Function)


class _TwoOutputs(bp.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * 2, x.exp()

    @staticmethod
    def backward(ctx, g_double, g_exp):
        (x,) = ctx.saved_tensors
        return g_double * 2 + g_exp * x.exp()


def test_custom_function_as_in_pytorch():
    a, s = rng().normal(size=(2, 3)), rng(1).normal(size=(3,))
    x, scale, tx, tscale = B(a), B(s), T(a), T(s)
    out, tout = _Cube.apply(x, scale), _TorchCube.apply(tx, tscale)
    same(out, tout)
    assert out.requires_grad and not out.is_leaf
    seed = rng(2).normal(size=(2, 3))
    out.backward(bp.tensor(seed))
    tout.backward(torch.tensor(seed))
    same(x.grad, tx.grad)
    same(scale.grad, tscale.grad)
    assert bp.gradcheck(_Cube.apply, (B(a), B(s)))

    x = B(a)
    double, exp = _TwoOutputs.apply(x)
    (double.sum() + exp.sum()).backward()
    same(x.grad, 2 + np.exp(a))


def test_custom_function_under_no_grad_and_as_part_of_a_graph():
    x = B([1.0, 2.0])
    with bp.no_grad():
        assert not _Cube.apply(x, bp.tensor(1.0)).requires_grad
    (_Cube.apply(x.exp(), bp.tensor(2.0)).log().sum()).backward()
    same(x.grad, [3.0, 3.0])  # d/dx log(2 e^{3x}) = 3


# --- bp.gradcheck ------------------------------------------------------------------------------
def test_gradcheck_signature_and_success():
    params = inspect.signature(bp.gradcheck).parameters
    assert list(params)[:5] == ["fn", "inputs", "eps", "atol", "rtol"]
    assert (params["eps"].default, params["atol"].default, params["rtol"].default) == (
        1e-6, 1e-5, 1e-3)
    a = rng().normal(size=(2, 3))
    assert bp.gradcheck(lambda x, w: (x @ w).tanh(), (B(a), B(a.T))) is True
    assert bp.gradcheck(lambda x: x.softmax(dim=1), (B(a),), eps=1e-6, atol=1e-5,
                        rtol=1e-3) is True


class _WrongGradient(bp.autograd.Function):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        wrong = (grad * x).detach().numpy().copy()
        wrong.reshape(-1)[4] += 1.0  # element (1, 1) of input 1's gradient is off by one,
        wrong.reshape(-1)[0] += 0.01  # element (0, 0) by less: the message names the worst
        return grad * y, bp.tensor(wrong)


def test_gradcheck_raises_naming_the_input_and_element():
    a, b = rng().normal(size=(2, 3)), rng(1).normal(size=(2, 3))
    with pytest.raises(RuntimeError) as info:  # torch's GradcheckError is a RuntimeError too
        bp.gradcheck(_WrongGradient.apply, (B(a), B(b)))
    message = str(info.value)
    assert "input 1" in message and "(1, 1)" in message
    assert "numerical" in message and "analytical" in message


# =====================================================================================
# Modules
# =====================================================================================
class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
        self.head = nn.Linear(2, 1, bias=False)
        self.scale = nn.Parameter(bp.ones(1))
        self.blocks = nn.ModuleList([nn.Linear(1, 1), nn.Identity()])
        self.register_buffer("count", bp.zeros(1))
        self.plain = bp.zeros(3)  # a plain tensor attribute is neither

    def forward(self, x):
        return self.blocks[0](self.head(self.body(x)) * self.scale)


class _TorchNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(),
                                        torch.nn.Linear(4, 2))
        self.head = torch.nn.Linear(2, 1, bias=False)
        self.scale = torch.nn.Parameter(torch.ones(1))
        self.blocks = torch.nn.ModuleList([torch.nn.Linear(1, 1), torch.nn.Identity()])
        self.register_buffer("count", torch.zeros(1))
        self.plain = torch.zeros(3)

    def forward(self, x):
        return self.blocks[0](self.head(self.body(x)) * self.scale)


def test_module_registration_and_methods_as_pytorch():
    net, tnet = _Net(), _TorchNet().double()
    assert [n for n, _ in net.named_parameters()] == [n for n, _ in tnet.named_parameters()]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in net.parameters())
    assert len(list(net.parameters())) == len(list(tnet.parameters()))
    assert [type(c).__name__ for c in net.children()] == [
        type(c).__name__ for c in tnet.children()]
    assert [type(m).__name__ for m in net.modules()][1:] == [
        type(m).__name__ for m in tnet.modules()][1:]
    assert next(net.modules()) is net
    assert list(net.state_dict()) == list(tnet.state_dict())
    assert "plain" not in net.state_dict()

    net.load_state_dict({k: v.detach().numpy() for k, v in tnet.state_dict().items()})
    x = rng().normal(size=(5, 3))
    out = net(bp.tensor(x))  # __call__ runs forward
    same(out, tnet(torch.tensor(x)), rtol=1e-6, atol=1e-6)
    same(net.forward(bp.tensor(x)), out)

    assert net.training and all(m.training for m in net.modules())
    assert net.eval() is net and not any(m.training for m in net.modules())
    assert net.train() is net and all(m.training for m in net.modules())
    net.train(False)
    assert not net.body[0].training

    out.sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    tnet.zero_grad()
    assert all(p.grad is None for p in net.parameters())  # set_to_none=True, as torch 2
    assert all(p.grad is None for p in tnet.parameters())


def test_register_buffer_and_state_dict_round_trip():
    net = _Net()
    assert "count" in net.state_dict() and "count" not in dict(net.named_parameters())
    state = net.state_dict()
    assert all(isinstance(v, bp.Tensor) and not v.requires_grad for v in state.values())
    other = _Net()
    other.load_state_dict(state)
    for k, v in other.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), state[k].numpy())
    other.load_state_dict({k: v.numpy() for k, v in state.items()})  # arrays load too
    missing = dict(state)
    del missing["head.weight"]
    with pytest.raises(RuntimeError, match="head.weight"):
        other.load_state_dict(missing)
    result = other.load_state_dict({**missing, "extra": np.zeros(1)}, strict=False)
    assert result.missing_keys == ["head.weight"] and result.unexpected_keys == ["extra"]
    with pytest.raises(RuntimeError, match="shape|size"):
        other.load_state_dict({**state, "head.weight": np.zeros((3, 3))})


def test_shared_modules_and_tied_weights_keep_pytorchs_keys():
    shared, their_shared = nn.Linear(2, 2), torch.nn.Linear(2, 2)
    ours, theirs = nn.Sequential(shared, shared), torch.nn.Sequential(their_shared, their_shared)
    assert list(ours.state_dict()) == list(theirs.state_dict())  # each name of a reused module
    assert len(list(ours.parameters())) == len(list(theirs.parameters())) == 2  # counted once
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = rng().normal(size=(3, 2)).astype(np.float32)
    same(ours(bp.tensor(x)), theirs(torch.tensor(x)), rtol=1e-6, atol=1e-6)

    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb, self.out = nn.Embedding(5, 3), nn.Linear(3, 5, bias=False)
            self.out.weight = self.emb.weight

    tied = Tied()
    assert [n for n, _ in tied.named_parameters()] == ["emb.weight"]
    assert list(tied.state_dict()) == ["emb.weight", "out.weight"]


def test_containers_identity_flatten_parameter():
    p = nn.Parameter(bp.ones(2, 2))
    assert isinstance(p, bp.Tensor) and p.requires_grad and p.is_leaf
    assert not nn.Parameter(bp.ones(1), requires_grad=False).requires_grad
    seq = nn.Sequential(nn.Flatten(), nn.Identity(), nn.Linear(6, 2))
    assert len(seq) == 3 and isinstance(seq[2], nn.Linear)
    assert [k for k in seq.state_dict()] == ["2.weight", "2.bias"]
    x = rng().normal(size=(4, 2, 3))
    same(nn.Flatten()(bp.tensor(x)), torch.nn.Flatten()(torch.tensor(x)))
    same(nn.Identity()(bp.tensor(x)), x)
    ml = nn.ModuleList([nn.Linear(1, 1)])
    ml.append(nn.Linear(1, 2))
    assert len(ml) == 2 and len(list(ml.parameters())) == 4
    assert [k for k in ml.state_dict()] == [k for k in torch.nn.ModuleList(
        [torch.nn.Linear(1, 1), torch.nn.Linear(1, 2)]).state_dict()]


# --- every layer: PyTorch's state-dict keys and shapes, PyTorch's outputs after loading -------
def _layers():
    """(name, backprop maker, torch maker, input shape or 'tokens')."""
    tn = torch.nn
    return [
        ("Linear", lambda: nn.Linear(5, 3), lambda: tn.Linear(5, 3), (4, 5)),
        ("Linear-nobias", lambda: nn.Linear(5, 3, bias=False),
         lambda: tn.Linear(5, 3, bias=False), (2, 7, 5)),
        ("Conv2d", lambda: nn.Conv2d(2, 4, 3, stride=2, padding=1),
         lambda: tn.Conv2d(2, 4, 3, stride=2, padding=1), (2, 2, 7, 6)),
        ("Conv2d-nobias", lambda: nn.Conv2d(3, 2, (2, 3), bias=False),
         lambda: tn.Conv2d(3, 2, (2, 3), bias=False), (1, 3, 5, 5)),
        ("MaxPool2d", lambda: nn.MaxPool2d(2), lambda: tn.MaxPool2d(2), (2, 3, 6, 5)),
        ("MaxPool2d-s-p", lambda: nn.MaxPool2d(3, stride=2, padding=1),
         lambda: tn.MaxPool2d(3, stride=2, padding=1), (1, 2, 7, 7)),
        ("AvgPool2d", lambda: nn.AvgPool2d(2), lambda: tn.AvgPool2d(2), (2, 3, 6, 4)),
        ("AvgPool2d-s-p", lambda: nn.AvgPool2d(3, stride=2, padding=1),
         lambda: tn.AvgPool2d(3, stride=2, padding=1), (1, 2, 7, 6)),
        ("BatchNorm1d", lambda: nn.BatchNorm1d(4), lambda: tn.BatchNorm1d(4), (6, 4)),
        ("BatchNorm1d-3d", lambda: nn.BatchNorm1d(3), lambda: tn.BatchNorm1d(3), (4, 3, 5)),
        ("BatchNorm2d", lambda: nn.BatchNorm2d(3), lambda: tn.BatchNorm2d(3), (2, 3, 4, 5)),
        ("LayerNorm", lambda: nn.LayerNorm(5), lambda: tn.LayerNorm(5), (3, 5)),
        ("LayerNorm-2d", lambda: nn.LayerNorm((3, 4)), lambda: tn.LayerNorm((3, 4)), (2, 3, 4)),
        ("Dropout", lambda: nn.Dropout(0.3), lambda: tn.Dropout(0.3), (3, 4)),
        ("Embedding", lambda: nn.Embedding(10, 4), lambda: tn.Embedding(10, 4), "tokens"),
        ("RNN", lambda: nn.RNN(3, 4), lambda: tn.RNN(3, 4), (5, 2, 3)),
        ("RNN-2-bf", lambda: nn.RNN(3, 4, num_layers=2, batch_first=True),
         lambda: tn.RNN(3, 4, num_layers=2, batch_first=True), (2, 5, 3)),
        ("LSTM", lambda: nn.LSTM(3, 4), lambda: tn.LSTM(3, 4), (5, 2, 3)),
        ("LSTM-2-bf", lambda: nn.LSTM(3, 4, 2, batch_first=True),
         lambda: tn.LSTM(3, 4, 2, batch_first=True), (2, 5, 3)),
        ("LSTM-nobias", lambda: nn.LSTM(3, 2, bias=False), lambda: tn.LSTM(3, 2, bias=False),
         (4, 1, 3)),
        ("GRU", lambda: nn.GRU(3, 4), lambda: tn.GRU(3, 4), (5, 2, 3)),
        ("GRU-2-bf", lambda: nn.GRU(3, 4, num_layers=2, batch_first=True),
         lambda: tn.GRU(3, 4, num_layers=2, batch_first=True), (2, 5, 3)),
        ("Sequential-cnn", lambda: nn.Sequential(
            nn.Conv2d(1, 2, 3, padding=1), nn.BatchNorm2d(2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(8, 3)),
         lambda: tn.Sequential(tn.Conv2d(1, 2, 3, padding=1), tn.BatchNorm2d(2), tn.ReLU(),
                               tn.MaxPool2d(2), tn.Flatten(), tn.Linear(8, 3)), (2, 1, 4, 4)),
    ]


LAYERS = _layers()


def _flat(out):
    if isinstance(out, tuple | list):
        return [leaf for item in out for leaf in _flat(item)]
    return [out]


@pytest.mark.parametrize("name,make,make_torch,shape", LAYERS, ids=[row[0] for row in LAYERS])
def test_layer_state_dict_keys_shapes_and_outputs_equal_pytorchs(name, make, make_torch, shape):
    torch.manual_seed(0)
    bp.set_default_dtype(bp.float64)
    ours, theirs = make(), make_torch().double()
    ours_state, their_state = ours.state_dict(), theirs.state_dict()
    assert list(ours_state) == list(their_state)
    for key, value in their_state.items():
        assert ours_state[key].shape == tuple(value.shape), key
        if value.dtype == torch.int64:  # num_batches_tracked
            assert ours_state[key].dtype == bp.int64
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]

    if any(k.endswith("running_mean") for k in their_state):  # not the init: the buffers
        with torch.no_grad():
            for k, v in theirs.state_dict().items():
                if k.endswith(("running_mean", "running_var")):
                    v.copy_(torch.rand_like(v) + 0.5)
                elif k.endswith(("weight", "bias")):
                    v.copy_(torch.randn_like(v))
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})

    if shape == "tokens":
        index = np.array([[1, 9, 0], [3, 3, 7]])
        inputs, their_inputs = bp.tensor(index), torch.tensor(index)
    else:
        x = rng(1).normal(size=shape)
        inputs, their_inputs = B(x), T(x)
    modes = ("train", "eval") if name != "Dropout" else ("eval",)
    for mode in modes:
        getattr(ours, mode)()
        getattr(theirs, mode)()
        out, tout = _flat(ours(inputs)), _flat(theirs(their_inputs))
        assert len(out) == len(tout)
        for o, t in zip(out, tout, strict=True):
            assert isinstance(o, bp.Tensor) and o.shape == tuple(t.shape)
            same(o, t, rtol=1e-10, atol=1e-12)
        seed = [rng(2).normal(size=t.shape) for t in tout]
        sum((o * bp.tensor(s)).sum() for o, s in zip(out, seed)).backward()
        sum((t * torch.tensor(s)).sum() for t, s in zip(tout, seed)).backward()
        for (n, p), (tn, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
            assert n == tn
            same(p.grad, tp.grad, rtol=1e-9, atol=1e-10)
        if shape != "tokens":
            same(inputs.grad, their_inputs.grad, rtol=1e-9, atol=1e-10)
        ours.zero_grad(), theirs.zero_grad()
        inputs.grad, their_inputs.grad = None, None
        for k, v in theirs.state_dict().items():  # running statistics, num_batches_tracked
            same(ours.state_dict()[k], v, rtol=1e-10, atol=1e-12)


def test_recurrent_layers_return_pytorchs_structure():
    x = bp.randn(5, 2, 3)
    out, h = nn.RNN(3, 4, num_layers=2)(x)
    assert out.shape == (5, 2, 4) and h.shape == (2, 2, 4)
    out, h = nn.GRU(3, 4)(x)
    assert out.shape == (5, 2, 4) and h.shape == (1, 2, 4)
    out, (h, c) = nn.LSTM(3, 4, batch_first=True)(x)
    assert out.shape == (5, 2, 4) and h.shape == c.shape == (1, 5, 4)
    params = inspect.signature(nn.LSTM).parameters
    assert list(params)[:5] == ["input_size", "hidden_size", "num_layers", "bias", "batch_first"]
    assert [params[k].default for k in ("num_layers", "bias", "batch_first")] == [1, True, False]


def test_layer_signatures_as_api_md():
    def defaults(cls):
        return {k: v.default for k, v in inspect.signature(cls).parameters.items()}

    assert list(defaults(nn.Linear))[:3] == ["in_features", "out_features", "bias"]
    assert defaults(nn.Linear)["bias"] is True and nn.Linear(3, 2).weight.shape == (2, 3)
    conv = defaults(nn.Conv2d)
    assert list(conv)[:6] == ["in_channels", "out_channels", "kernel_size", "stride", "padding",
                              "dilation"] or list(conv)[:5] == [
        "in_channels", "out_channels", "kernel_size", "stride", "padding"]
    assert (conv["stride"], conv["padding"], conv["bias"]) == (1, 0, True)
    pool = defaults(nn.MaxPool2d)
    assert list(pool)[:3] == ["kernel_size", "stride", "padding"]
    assert (pool["stride"], pool["padding"]) == (None, 0)
    assert list(defaults(nn.Dropout))[0] == "p"
    assert list(defaults(nn.Embedding))[:2] == ["num_embeddings", "embedding_dim"]


# --- activations, losses, functional forms ---------------------------------------------------
ACTIVATIONS = [
    ("Sigmoid", (), "sigmoid", {}), ("Tanh", (), "tanh", {}), ("ReLU", (), "relu", {}),
    ("LeakyReLU", (), "leaky_relu", {}), ("LeakyReLU", (0.2,), "leaky_relu",
                                          {"negative_slope": 0.2}),
    ("ELU", (), "elu", {}), ("ELU", (0.5,), "elu", {"alpha": 0.5}), ("GELU", (), "gelu", {}),
    ("GELU", ("tanh",), "gelu", {"approximate": "tanh"}),
    ("Softmax", (1,), "softmax", {"dim": 1}), ("Softmax", (0,), "softmax", {"dim": 0}),
    ("LogSoftmax", (1,), "log_softmax", {"dim": 1}),
    ("LogSoftmax", (-1,), "log_softmax", {"dim": -1}),
]


@pytest.mark.parametrize("module,args,function,kwargs", ACTIVATIONS,
                         ids=[f"{m}{a}" for m, a, _, _ in ACTIVATIONS])
def test_activation_modules_and_functions(module, args, function, kwargs):
    a = rng(11).normal(size=(3, 4)) * 2
    seed = rng(12).normal(size=(3, 4))
    tx = T(a)
    theirs = getattr(torch.nn, module)(*args)(tx)
    theirs.backward(torch.tensor(seed))
    for call in (lambda x: getattr(nn, module)(*args)(x),
                 lambda x: getattr(F, function)(x, **kwargs)):
        x = B(a)
        ours = call(x)
        same(ours, theirs)
        ours.backward(bp.tensor(seed))
        same(x.grad, tx.grad)
    same(getattr(TF, function)(torch.tensor(a), **kwargs), theirs)


LOSSES = [
    ("MSELoss", "mse_loss", "regression"), ("L1Loss", "l1_loss", "regression"),
    ("CrossEntropyLoss", "cross_entropy", "classes"),
    ("NLLLoss", "nll_loss", "log_probabilities"),
    ("BCELoss", "binary_cross_entropy", "probabilities"),
    ("BCEWithLogitsLoss", "binary_cross_entropy_with_logits", "logits"),
]


def _loss_inputs(kind):
    r = rng(13)
    if kind == "regression":
        return r.normal(size=(4, 3)), r.normal(size=(4, 3))
    if kind in ("classes", "log_probabilities"):
        logits = r.normal(size=(5, 4))
        if kind == "log_probabilities":
            logits = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        return logits, np.array([0, 3, 1, 3, 2], dtype=np.int64)
    if kind == "probabilities":
        return r.uniform(0.05, 0.95, size=(4, 3)), r.uniform(0, 1, size=(4, 3))
    return r.normal(size=(4, 3)) * 3, (r.uniform(size=(4, 3)) > 0.5).astype(np.float64)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("module,function,kind", LOSSES, ids=[m for m, _, _ in LOSSES])
def test_losses_with_each_reduction(module, function, kind, reduction):
    prediction, target = _loss_inputs(kind)
    tx = T(prediction)
    their_target = torch.tensor(target)
    theirs = getattr(torch.nn, module)(reduction=reduction)(tx, their_target)
    seed = rng(14).normal(size=theirs.shape)
    theirs.backward(torch.tensor(seed))
    for call in (lambda x, y: getattr(nn, module)(reduction=reduction)(x, y),
                 lambda x, y: getattr(F, function)(x, y, reduction=reduction)):
        x = B(prediction)
        ours = call(x, bp.tensor(target))
        assert ours.shape == tuple(theirs.shape)
        same(ours, theirs)
        ours.backward(bp.tensor(seed))
        same(x.grad, tx.grad)
    assert getattr(nn, module)().reduction == "mean"


def test_cross_entropy_takes_logits_and_int64_indices_in_float32():
    logits = rng().normal(size=(6, 5)).astype(np.float32)
    target = np.array([0, 4, 2, 2, 1, 3])
    loss = nn.CrossEntropyLoss()(bp.tensor(logits, requires_grad=True), bp.tensor(target))
    assert bp.tensor(target).dtype == bp.int64 and loss.dtype == bp.float32
    theirs = torch.nn.CrossEntropyLoss()(torch.tensor(logits), torch.tensor(target))
    assert abs(loss.item() - theirs.item()) < 1e-6


FUNCTIONAL_LAYERS = [
    ("linear", lambda x, w, b, m: m.linear(x, w, b), ((4, 3), (2, 3), (2,))),
    ("linear-nobias", lambda x, w, b, m: m.linear(x, w), ((4, 3), (2, 3), (2,))),
    ("conv2d", lambda x, w, b, m: m.conv2d(x, w, b, stride=2, padding=1),
     ((2, 3, 5, 5), (4, 3, 3, 3), (4,))),
    ("max_pool2d", lambda x, w, b, m: m.max_pool2d(x, 2), ((2, 3, 4, 6), (1,), (1,))),
    ("max_pool2d-s", lambda x, w, b, m: m.max_pool2d(x, 3, stride=2, padding=1),
     ((1, 2, 5, 5), (1,), (1,))),
    ("avg_pool2d", lambda x, w, b, m: m.avg_pool2d(x, 2, 1), ((2, 3, 4, 5), (1,), (1,))),
    ("layer_norm", lambda x, w, b, m: m.layer_norm(x, (4,), w, b), ((3, 4), (4,), (4,))),
    ("batch_norm", lambda x, w, b, m: m.batch_norm(x, None, None, w, b, training=True),
     ((5, 4), (4,), (4,))),
    ("dropout-eval", lambda x, w, b, m: m.dropout(x, 0.5, training=False), ((3, 4), (1,), (1,))),
    ("embedding", lambda x, w, b, m: m.embedding(
        (bp if m is F else torch).tensor([[0, 2], [2, 1]]), w), ((1,), (3, 4), (1,))),
    ("sigmoid", lambda x, w, b, m: m.sigmoid(x), ((3, 4), (1,), (1,))),
    ("tanh", lambda x, w, b, m: m.tanh(x), ((3, 4), (1,), (1,))),
]


@pytest.mark.parametrize("name,call,shapes", FUNCTIONAL_LAYERS,
                         ids=[row[0] for row in FUNCTIONAL_LAYERS])
def test_functional_layers_match_pytorch(name, call, shapes):
    values = [rng(i).normal(size=s) for i, s in enumerate(shapes)]
    ours_in, their_in = [B(v) for v in values], [T(v) for v in values]
    ours, theirs = call(*ours_in, F), call(*their_in, TF)
    same(ours, theirs)
    _same_input_gradients(ours, theirs, ours_in, their_in, rng(20))


def test_functional_batch_norm_with_running_statistics():
    r = rng(21)
    x, w, b = r.normal(size=(5, 3, 2)), r.normal(size=3), r.normal(size=3)
    mean, var = r.normal(size=3), r.uniform(0.5, 2, size=3)
    for training in (False, True):
        ours_stats = [bp.tensor(mean.copy()), bp.tensor(var.copy())]
        their_stats = [torch.tensor(mean.copy()), torch.tensor(var.copy())]
        ours_in, their_in = [B(v) for v in (x, w, b)], [T(v) for v in (x, w, b)]
        ours = F.batch_norm(ours_in[0], *ours_stats, ours_in[1], ours_in[2], training=training,
                            momentum=0.2)
        theirs = TF.batch_norm(their_in[0], *their_stats, their_in[1], their_in[2],
                               training=training, momentum=0.2)
        same(ours, theirs)
        for o, t in zip(ours_stats, their_stats):  # updated in place in training
            same(o, t)
        (ours * ours).sum().backward()
        (theirs * theirs).sum().backward()
        for o, t in zip(ours_in, their_in):
            same(o.grad, t.grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_recurrent_layers_take_initial_states(kind, batch_first):
    torch.manual_seed(1)
    bp.set_default_dtype(bp.float64)
    ours, theirs = getattr(nn, kind)(3, 4, 2, batch_first=batch_first), getattr(
        torch.nn, kind)(3, 4, 2, batch_first=batch_first).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    r = rng(22)
    x = r.normal(size=(2, 5, 3))  # batch 2 when batch_first, else batch 5
    state_shape = (2, 2 if batch_first else 5, 4)
    h0, c0 = r.normal(size=state_shape), r.normal(size=state_shape)
    state, their_state = ((B(h0), B(c0)), (T(h0), T(c0))) if kind == "LSTM" else (B(h0), T(h0))
    out, tout = _flat(ours(B(x), state)), _flat(theirs(T(x), their_state))
    for o, t in zip(out, tout, strict=True):
        same(o, t, rtol=1e-10, atol=1e-12)
    sum(o.sum() for o in out).backward()
    sum(t.sum() for t in tout).backward()
    for o, t in zip(_flat(state), _flat(their_state), strict=True):
        same(o.grad, t.grad, rtol=1e-9, atol=1e-11)


def test_functional_dropout_trains_as_inverted_dropout():
    x = bp.ones(100_000)
    out = F.dropout(x, p=0.25).numpy()
    kept = out != 0
    assert abs(kept.mean() - 0.75) < 0.01 and np.allclose(out[kept], 1 / 0.75)
    assert np.array_equal(F.dropout(x, 0.25, training=False).numpy(), x.numpy())
    assert inspect.signature(F.dropout).parameters["training"].default is True


# --- nn.init -------------------------------------------------------------------------------------
def test_init_functions_fill_in_place_with_pytorchs_distributions():
    w = nn.Parameter(bp.empty(300, 200))  # fan_in 200, fan_out 300
    for name, args, check in [
        ("uniform_", (-0.5, 0.25), lambda v: (v.min() >= -0.5, v.max() <= 0.25,
                                              abs(v.mean() + 0.125) < 0.003)),
        ("normal_", (1.0, 0.5), lambda v: (abs(v.mean() - 1) < 0.005, abs(v.std() - 0.5) < 0.005)),
        ("zeros_", (), lambda v: (np.all(v == 0),)),
        ("ones_", (), lambda v: (np.all(v == 1),)),
        ("constant_", (0.3,), lambda v: (np.allclose(v, 0.3),)),
        ("xavier_uniform_", (), lambda v: _uniform_with_bound(v, math.sqrt(6 / 500))),
        ("xavier_uniform_", (2.0,), lambda v: _uniform_with_bound(v, 2 * math.sqrt(6 / 500))),
        ("xavier_normal_", (), lambda v: (abs(v.std() / math.sqrt(2 / 500) - 1) < 0.01,)),
        ("kaiming_uniform_", (), lambda v: _uniform_with_bound(v, math.sqrt(6 / 200))),
        ("kaiming_uniform_", (math.sqrt(5),), lambda v: _uniform_with_bound(v, 1 / math.sqrt(200))),
        ("kaiming_normal_", (), lambda v: (abs(v.std() / math.sqrt(2 / 200) - 1) < 0.01,)),
    ]:
        data_before = w.data
        returned = getattr(nn.init, name)(w, *args)
        assert returned is w and w.data is data_before and w.requires_grad and w.is_leaf, name
        assert all(check(w.detach().numpy().astype(np.float64))), name
    nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert abs(w.detach().numpy().std() / math.sqrt(2 / 300) - 1) < 0.01


def _uniform_with_bound(v, bound):
    return (v.max() <= bound, v.min() >= -bound, v.max() > 0.99 * bound,
            abs(v.std() / (bound / math.sqrt(3)) - 1) < 0.01)


@pytest.mark.parametrize("make,fan_in", [
    (lambda: nn.Linear(400, 300), 400), (lambda: nn.Conv2d(16, 200, 5), 400),
])
def test_default_inits_are_pytorchs(make, fan_in):
    layer = make()
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=√5) for weights, U(±1/√fan_in) bias
    for p in (layer.weight, layer.bias):
        assert all(_uniform_with_bound(p.detach().numpy().astype(np.float64), bound)) or (
            p is layer.bias and np.abs(p.detach().numpy()).max() <= bound)
    lstm = nn.LSTM(10, 400)
    for p in lstm.parameters():  # U(±1/√hidden_size)
        assert np.abs(p.detach().numpy()).max() <= 1 / math.sqrt(400)
    emb = nn.Embedding(500, 200).weight.detach().numpy()  # N(0, 1)
    assert abs(emb.std() - 1) < 0.01
    bn = nn.BatchNorm2d(3)
    assert bn.weight.tolist() == [1.0] * 3 and bn.bias.tolist() == [0.0] * 3
    assert bn.running_var.tolist() == [1.0] * 3 and bn.num_batches_tracked.item() == 0


# --- nn.utils ----------------------------------------------------------------------------------
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_and_value(max_norm):
    grads = [rng(i).normal(size=s) for i, s in enumerate([(3, 2), (4,)])]
    ours = [nn.Parameter(bp.zeros(*g.shape, dtype=bp.float64)) for g in grads]
    theirs = [torch.nn.Parameter(torch.zeros(*g.shape, dtype=torch.float64)) for g in grads]
    for p, tp, g in zip(ours, theirs, grads):
        p.grad, tp.grad = bp.tensor(g), torch.tensor(g)
    total = nn.utils.clip_grad_norm_(ours, max_norm)
    their_total = torch.nn.utils.clip_grad_norm_(theirs, max_norm)
    same(total, their_total)
    for p, tp in zip(ours, theirs):
        same(p.grad, tp.grad)
    nn.utils.clip_grad_value_(ours, 0.1)
    torch.nn.utils.clip_grad_value_(theirs, 0.1)
    for p, tp in zip(ours, theirs):
        same(p.grad, tp.grad)


# =====================================================================================
# Optimizers
# =====================================================================================
OPTIMIZERS = [
    ("SGD", {"lr": 0.1}), ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1,
                                   "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True}),
    ("Adam", {}), ("Adam", {"lr": 0.01, "betas": (0.8, 0.9), "eps": 1e-6, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.01}), ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True}), ("Adagrad", {"lr": 0.1}),
]


def _quadratic_problem(lib):
    w = (nn.Parameter if lib is bp else torch.nn.Parameter)(
        lib.tensor(rng(1).normal(size=(3, 2))))
    b = (nn.Parameter if lib is bp else torch.nn.Parameter)(lib.tensor(rng(2).normal(size=(2,))))
    x = lib.tensor(rng(3).normal(size=(5, 3)))
    return w, b, lambda: (((x @ w + b).tanh() - 0.5) ** 2).sum()


@pytest.mark.parametrize("name,kwargs", OPTIMIZERS, ids=[f"{n}{k}" for n, k in OPTIMIZERS])
def test_optimizers_step_as_pytorch_with_groups_and_state_dict(name, kwargs):
    ours_w, ours_b, ours_loss = _quadratic_problem(bp)
    their_w, their_b, their_loss = _quadratic_problem(torch)
    groups = lambda w, b: [{"params": [w]}, {"params": [b], "lr": 0.003}]  # noqa: E731
    opt = getattr(optim, name)(groups(ours_w, ours_b), **kwargs)
    topt = getattr(torch.optim, name)(groups(their_w, their_b), **kwargs)
    assert len(opt.param_groups) == 2 and opt.param_groups[1]["lr"] == 0.003
    assert opt.param_groups[0]["lr"] == topt.param_groups[0]["lr"]

    def run(o, to, loss, tloss, steps):
        for _ in range(steps):
            o.zero_grad()
            to.zero_grad()
            loss().backward()
            tloss().backward()
            o.step()
            to.step()

    run(opt, topt, ours_loss, their_loss, 3)
    same(ours_w, their_w, rtol=1e-10, atol=1e-12)
    same(ours_b, their_b, rtol=1e-10, atol=1e-12)

    state, their_state = opt.state_dict(), topt.state_dict()
    assert set(state) == {"state", "param_groups"}
    assert {k: sorted(v) for k, v in state["state"].items()} == {
        k: sorted(v) for k, v in their_state["state"].items()}  # momentum_buffer, exp_avg, ...
    for group, their_group in zip(state["param_groups"], their_state["param_groups"]):
        assert {k: v for k, v in group.items() if k != "params"} == {
            k: tuple(v) if isinstance(v, tuple | list) else v for k, v in their_group.items()
            if k not in ("params", "foreach", "fused", "differentiable", "capturable")
        }  # every hyper-parameter, but torch's device and kernel switches
    assert [g["params"] for g in state["param_groups"]] == [
        g["params"] for g in topt.state_dict()["param_groups"]]
    fresh = getattr(optim, name)(groups(ours_w, ours_b), **kwargs)
    fresh.load_state_dict(state)
    run(fresh, topt, ours_loss, their_loss, 2)
    same(ours_w, their_w, rtol=1e-10, atol=1e-12)
    same(ours_b, their_b, rtol=1e-10, atol=1e-12)


def test_optimizer_signatures_as_api_md():
    sgd = inspect.signature(optim.SGD).parameters
    assert list(sgd)[:6] == ["params", "lr", "momentum", "dampening", "weight_decay", "nesterov"]
    assert [sgd[k].default for k in ("momentum", "dampening", "weight_decay", "nesterov")] == [
        0, 0, 0, False]
    adam = inspect.signature(optim.Adam).parameters
    assert list(adam)[:5] == ["params", "lr", "betas", "eps", "weight_decay"]
    assert [adam[k].default for k in ("lr", "betas", "eps", "weight_decay")] == [
        1e-3, (0.9, 0.999), 1e-8, 0]
    for name in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad"):
        ours = {k: v.default for k, v in inspect.signature(getattr(optim, name)).parameters.items()
                if k != "params"}
        theirs = inspect.signature(getattr(torch.optim, name)).parameters
        for key, default in ours.items():  # every default we share is torch's
            if key in theirs and theirs[key].default is not inspect.Parameter.empty:
                assert default == theirs[key].default or (
                    isinstance(default, tuple) and tuple(theirs[key].default) == default), (
                    name, key)


SCHEDULERS = [
    ("StepLR", {"step_size": 3}), ("StepLR", {"step_size": 2, "gamma": 0.5}),
    ("ExponentialLR", {"gamma": 0.9}), ("CosineAnnealingLR", {"T_max": 5}),
    ("CosineAnnealingLR", {"T_max": 4, "eta_min": 0.01}),
]


@pytest.mark.parametrize("name,kwargs", SCHEDULERS, ids=[f"{n}{k}" for n, k in SCHEDULERS])
def test_lr_schedulers_follow_pytorch(name, kwargs):
    p, tp = nn.Parameter(bp.zeros(1)), torch.nn.Parameter(torch.zeros(1))
    opt = optim.SGD([{"params": [p]}, {"params": [], "lr": 0.3}], lr=0.1)
    topt = torch.optim.SGD([{"params": [tp]}, {"params": [], "lr": 0.3}], lr=0.1)
    sched = getattr(optim.lr_scheduler, name)(opt, **kwargs)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    for _ in range(12):
        assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-12, abs=1e-15)
        assert [g["lr"] for g in opt.param_groups] == pytest.approx(
            [g["lr"] for g in topt.param_groups], rel=1e-12, abs=1e-15)
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
    assert sched.state_dict()["last_epoch"] == tsched.state_dict()["last_epoch"]


# =====================================================================================
# Data
# =====================================================================================
class _Squares(data.Dataset):
    def __len__(self):
        return 7

    def __getitem__(self, i):
        return np.array([i, i * i], dtype=np.float32), i % 3


def test_dataloader_signature_defaults():
    params = inspect.signature(data.DataLoader).parameters
    assert list(params)[:5] == ["dataset", "batch_size", "shuffle", "drop_last", "seed"]
    assert [params[k].default for k in ("batch_size", "shuffle", "drop_last", "seed")] == [
        1, False, False, None]


def test_dataloader_yields_tensors_as_pytorch_batches():
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10) % 3
    ours = data.DataLoader(data.TensorDataset(bp.tensor(x), bp.tensor(y)), batch_size=4)
    theirs = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size=4)
    assert len(ours) == len(theirs) == 3
    for (bx, by), (tx, ty) in zip(ours, theirs, strict=True):
        assert isinstance(bx, bp.Tensor) and isinstance(by, bp.Tensor) and by.dtype == bp.int64
        np.testing.assert_array_equal(bx.numpy(), tx.numpy())
        np.testing.assert_array_equal(by.numpy(), ty.numpy())
    dropped = data.DataLoader(data.TensorDataset(bp.tensor(x)), batch_size=4, drop_last=True)
    assert [b[0].shape[0] for b in dropped] == [4, 4] and len(dropped) == 2
    one = list(data.DataLoader(data.TensorDataset(bp.tensor(x))))  # batch_size=1 by default
    assert len(one) == 10 and one[3][0].shape == (1, 2)

    squares = list(data.DataLoader(_Squares(), batch_size=3))  # any Dataset subclass
    their_squares = list(torch.utils.data.DataLoader(
        [(np.array([i, i * i], dtype=np.float32), i % 3) for i in range(7)], batch_size=3))
    for (a, b), (ta, tb) in zip(squares, their_squares, strict=True):
        assert isinstance(a, bp.Tensor) and isinstance(b, bp.Tensor)
        np.testing.assert_array_equal(a.numpy(), ta.numpy())
        np.testing.assert_array_equal(b.numpy(), tb.numpy())
        assert np.dtype(b.dtype) == np.dtype(str(tb.dtype).removeprefix("torch."))


def test_dataloader_shuffle_with_seed():
    dataset = data.TensorDataset(bp.arange(50))

    def epoch(loader):
        return np.concatenate([b[0].numpy() for b in loader])

    a = data.DataLoader(dataset, batch_size=8, shuffle=True, seed=3)
    first, second = epoch(a), epoch(a)
    assert sorted(first.tolist()) == list(range(50)) and not np.array_equal(first, np.arange(50))
    assert not np.array_equal(first, second)  # a new order each epoch
    b = data.DataLoader(dataset, batch_size=8, shuffle=True, seed=3)
    np.testing.assert_array_equal(epoch(b), first)  # the same seed, the same orders
    np.testing.assert_array_equal(epoch(b), second)
    assert not np.array_equal(epoch(data.DataLoader(dataset, 8, True, seed=4)), first)
    assert np.array_equal(epoch(data.DataLoader(dataset, 8)), np.arange(50))
    assert len(data.TensorDataset(bp.arange(50))) == 50


def test_a_real_dataset_with_no_download():
    import importlib.util
    from types import SimpleNamespace

    # the published file that scikit-learn's load_digits reads (read here without importing
    # scikit-learn, which takes seconds): 64 pixels 0-16 and the label per row
    table = np.loadtxt(Path(importlib.util.find_spec("sklearn").origin).parent / "datasets"
                       / "data" / "digits.csv.gz", delimiter=",")
    reference = SimpleNamespace(data=table[:, :-1], target=table[:, -1].astype(np.int64))
    train, test = data.datasets.Digits(train=True), data.datasets.Digits(train=False)
    assert len(train) + len(test) == len(reference.target) == 1797
    x, y = train[0]
    assert x.shape == (64,) and x.dtype == bp.float32 and 0 <= float(x.numpy().min())
    labels = np.concatenate([train.targets.numpy(), test.targets.numpy()])
    assert sorted(np.bincount(labels).tolist()) == sorted(np.bincount(reference.target).tolist())
    all_x, all_y = data.datasets.load_digits()
    np.testing.assert_allclose(all_x.numpy(), reference.data / 16, rtol=1e-6)
    np.testing.assert_array_equal(all_y.numpy(), reference.target)
    batch_x, batch_y = next(iter(data.DataLoader(train, batch_size=32, shuffle=True, seed=0)))
    assert batch_x.shape == (32, 64) and batch_y.dtype == bp.int64


def test_idx_and_csv_formats(tmp_path):
    images = rng().integers(0, 256, size=(3, 4, 5), dtype=np.uint8)
    header = bytes([0, 0, 0x08, 3]) + b"".join(int(n).to_bytes(4, "big") for n in images.shape)
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(header + images.tobytes())
    labels = np.array([7, 0, 9], dtype=np.uint8)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(
        bytes([0, 0, 0x08, 1]) + (3).to_bytes(4, "big") + labels.tobytes())
    np.testing.assert_array_equal(
        np.asarray(data.datasets.read_idx(tmp_path / "t10k-images-idx3-ubyte")), images)
    mnist = data.datasets.MNIST(tmp_path, train=False)
    assert len(mnist) == 3 and int(mnist[2][1]) == 9
    csv = tmp_path / "table.csv"
    csv.write_text("a,b,label\n1.5,2,0\n3,4.25,1\n")
    table = data.datasets.CSVDataset(csv)
    assert len(table) == 2
    features, label = table[1]
    np.testing.assert_allclose(np.asarray(features), [3, 4.25])
    assert int(label) == 1


# =====================================================================================
# Saving
# =====================================================================================
def test_save_load_round_trip_in_safetensors(tmp_path):
    from safetensors.numpy import load_file

    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.LSTM(4, 2))
    path = tmp_path / "model.safetensors"
    bp.save(model.state_dict(), path)
    loaded = bp.load(path)
    assert list(loaded) == list(model.state_dict())
    for key, value in model.state_dict().items():
        assert isinstance(loaded[key], bp.Tensor) and loaded[key].dtype == value.dtype
        np.testing.assert_array_equal(loaded[key].numpy(), value.numpy())
    plain = load_file(str(path))  # any safetensors reader reads it
    assert set(plain) == set(loaded)
    fresh = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.LSTM(4, 2))
    fresh.load_state_dict(bp.load(path))
    x = bp.randn(5, 3)
    model.eval(), fresh.eval()
    np.testing.assert_array_equal(fresh[1](fresh[0](x)).detach().numpy(),
                                  model[1](model[0](x)).detach().numpy())


def test_saved_files_move_between_pytorch_and_backprop(tmp_path):
    from safetensors.torch import load_file, save_file

    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    theirs(torch.randn(5, 3))  # running statistics and num_batches_tracked change
    save_file(theirs.state_dict(), str(tmp_path / "torch.safetensors"))
    ours = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    ours.load_state_dict(bp.load(tmp_path / "torch.safetensors"))
    for key, value in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[key].numpy(), value.numpy())
    with bp.no_grad():
        ours[0].weight.mul_(2)  # a change only ours has
    bp.save(ours.state_dict(), tmp_path / "ours.safetensors")
    theirs.load_state_dict(load_file(str(tmp_path / "ours.safetensors")))
    np.testing.assert_array_equal(theirs[0].weight.detach().numpy(),
                                  ours[0].weight.detach().numpy())
    views = {"t": bp.arange(6.0).reshape(2, 3).T, "strided": bp.arange(8.0)[::3]}
    bp.save(views, tmp_path / "views.safetensors")  # non-contiguous tensors are written whole
    for key, value in load_file(str(tmp_path / "views.safetensors")).items():
        np.testing.assert_array_equal(value.numpy(), views[key].numpy())


class _Trap:
    def __reduce__(self):
        return (Path.write_text, (Path(_Trap.marker), "pwned"))


def test_load_refuses_pickle_and_never_runs_code(tmp_path):
    marker = tmp_path / "marker.txt"
    _Trap.marker = str(marker)
    path = tmp_path / "model.pt"
    path.write_bytes(pickle.dumps({"weight": _Trap()}))
    torch.save({"w": torch.zeros(2)}, tmp_path / "torch.pt")
    for bad in (path, tmp_path / "torch.pt"):
        with pytest.raises(ValueError) as info:
            bp.load(bad)
        assert bad.name in str(info.value)
        assert not isinstance(info.value, pickle.UnpicklingError)
    assert not marker.exists()


# =====================================================================================
# Packaging: a light import, torch never a runtime dependency
# =====================================================================================
HEAVY = ("torch", "matplotlib", "scipy", "sklearn", "numba", "rich", "pandas")


def test_import_backprop_loads_no_heavy_module():
    code = ("import sys; import backprop, backprop.nn, backprop.optim, backprop.data, "
            "backprop.nn.functional; "
            "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))")
    loaded = set(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                text=True).stdout.split())
    assert "backprop" in loaded and "numpy" in loaded
    assert loaded.isdisjoint(HEAVY), loaded & set(HEAVY)


def test_torch_is_never_a_runtime_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = " ".join(project["dependencies"]).lower()
    assert "torch" not in runtime
    extras = project.get("optional-dependencies", {})
    assert [name for name, deps in extras.items() if any("torch" in d for d in deps)] == ["dev"]
    import ast

    for source in (ROOT / "src" / "backprop").rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(), str(source))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
                     else [])
            assert not any(n.split(".")[0] == "torch" for n in names), source
