"""Helpers for stepping our optimizers side by side with ``torch.optim``.

Every optimizer test runs twice: on the NumPy path and, where numba is
installed, on the fused loops of ``backprop.optim._fused``.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import backprop as bp
from backprop.optim import _fused

PATHS = ["numpy"] + (["fused"] if _fused.available() else [])
SHAPES = [(4, 3), (3,), (2, 3, 5), ()]  # the work arrays grow mid-step
ATOL = 1e-10  # float64 parameters and state agree with PyTorch's to this


@pytest.fixture(params=PATHS)
def path(request):
    """Run the test with the fused loops on ("fused") or off ("numpy")."""
    before = _fused._state["enabled"]
    _fused.enable(request.param == "fused")
    yield request.param
    _fused.enable(before)


@pytest.fixture
def fused_on():
    """The fused loops switched on for one test."""
    before = _fused._state["enabled"]
    _fused.enable(True)
    yield
    _fused.enable(before)


def torch_fma_rounding() -> bool:
    """True when PyTorch's CPU kernels fuse ``a + alpha * b`` (AVX2/AVX512 builds)."""
    return torch.backends.cpu.get_cpu_capability() in ("AVX2", "AVX512")


def make_params(seed=0, dtype=np.float64, shapes=SHAPES):
    """The same random parameters as ours and as PyTorch leaf tensors."""
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    ours = [bp.nn.Parameter(a.copy()) for a in arrays]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    return ours, theirs


def set_grads(ours, theirs, rng, skip=()):
    """Give both sets of parameters the same random gradients (none for indices in skip)."""
    for i, (p, q) in enumerate(zip(ours, theirs)):
        if i in skip:
            p.grad, q.grad = None, None
            continue
        g = rng.standard_normal(p.shape).astype(p.data.dtype)
        p.grad = bp.Tensor(g.copy())
        q.grad = torch.tensor(g.copy())


def set_our_grads(ours, rng):
    """Random gradients for our parameters only."""
    for p in ours:
        p.grad = bp.Tensor(rng.standard_normal(p.shape).astype(p.data.dtype))


def assert_params_match(ours, theirs, atol=ATOL, exact=False):
    for p, q in zip(ours, theirs):
        a, b = p.data, q.detach().numpy()
        assert a.dtype == b.dtype
        if exact:
            np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_allclose(a, b, rtol=0, atol=atol)


def assert_state_match(opt, topt, ours, theirs, atol=ATOL):
    """Same state keys per parameter, same values (and dtypes) as PyTorch's."""
    for p, q in zip(ours, theirs):
        mine, ref = opt.state.get(p, {}), topt.state.get(q, {})
        assert sorted(mine) == sorted(ref)
        for key, value in ref.items():
            assert isinstance(mine[key], bp.Tensor), key
            expected = value.detach().numpy()
            assert mine[key].data.dtype == expected.dtype, key
            np.testing.assert_allclose(mine[key].data, expected, rtol=0, atol=atol)


def step_both(opt, topt, ours, theirs, steps, seed=1, skip_at=None):
    """``steps`` steps with identical random gradients; ``skip_at[i]`` lists params without grad."""
    rng = np.random.default_rng(seed)
    for i in range(steps):
        set_grads(ours, theirs, rng, skip=(skip_at or {}).get(i, ()))
        opt.step()
        topt.step()
