"""Each optimizer, each option combination, stepped side by side with torch.optim (float64)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import backprop as bp
from backprop import optim
from backprop.optim import _fused

from .conftest import (
    assert_params_match,
    assert_state_match,
    make_params,
    step_both,
    torch_fma_rounding,
)

STEPS = 6
SKIP = {2: (1,), 4: (0, 3)}  # some steps leave some parameters without a gradient


def _sgd_options():
    out = []
    for momentum, dampening, wd, nesterov, maximize in itertools.product(
        (0.0, 0.9), (0.0, 0.3), (0.0, 0.05), (False, True), (False, True)
    ):
        if nesterov and (momentum == 0 or dampening != 0):
            continue
        out.append(dict(lr=0.1, momentum=momentum, dampening=dampening, weight_decay=wd,
                        nesterov=nesterov, maximize=maximize))
    return out


def _adam_options():
    return [
        dict(lr=lr, betas=betas, eps=eps, weight_decay=wd, amsgrad=ams, maximize=mx)
        for (lr, betas, eps), wd, ams, mx in itertools.product(
            [(1e-2, (0.9, 0.999), 1e-8), (0.3, (0.3, 0.6), 1e-3)], (0.0, 0.1), (False, True),
            (False, True),
        )
    ]


def _rmsprop_options():
    return [
        dict(lr=1e-2, alpha=alpha, eps=1e-8, weight_decay=wd, momentum=m, centered=c,
             maximize=mx)
        for alpha, wd, m, c, mx in itertools.product(
            (0.99, 0.4), (0.0, 0.1), (0.0, 0.9), (False, True), (False, True)
        )
    ]


def _adagrad_options():
    return [
        dict(lr=0.1, lr_decay=decay, weight_decay=wd, initial_accumulator_value=init,
             eps=1e-10, maximize=mx)
        for decay, wd, init, mx in itertools.product((0.0, 0.05), (0.0, 0.1), (0.0, 0.5),
                                                     (False, True))
    ]


CASES = (
    [("SGD", kw) for kw in _sgd_options()]
    + [("Adam", kw) for kw in _adam_options()]
    + [("AdamW", kw) for kw in _adam_options()]
    + [("RMSprop", kw) for kw in _rmsprop_options()]
    + [("Adagrad", kw) for kw in _adagrad_options()]
)


def _id(case):
    name, kw = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in kw.items())


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_matches_torch_float64(case, path):
    name, kwargs = case
    ours, theirs = make_params()
    opt = getattr(optim, name)(ours, **kwargs)
    topt = getattr(torch.optim, name)(theirs, foreach=False, **kwargs)
    step_both(opt, topt, ours, theirs, STEPS, skip_at=SKIP)
    assert_params_match(ours, theirs)
    assert_state_match(opt, topt, ours, theirs)


if _fused.available():  # numba installed (``backprop[fast]``): the fused loops exist

    @pytest.mark.parametrize("kwargs", _sgd_options())
    @pytest.mark.parametrize("dtype", [np.float64, np.float32])
    def test_fused_sgd_is_bit_exact(kwargs, dtype, fused_on):
        """The fused SGD loop rounds as PyTorch's FMA kernels do: every bit equal."""
        ours, theirs = make_params(dtype=dtype)
        opt = optim.SGD(ours, **kwargs)
        topt = torch.optim.SGD(theirs, foreach=False, **kwargs)
        step_both(opt, topt, ours, theirs, STEPS, skip_at=SKIP)
        # PyTorch fuses a + alpha*b only in its AVX2/AVX512 kernels
        assert_params_match(ours, theirs, exact=torch_fma_rounding())
        assert_state_match(opt, topt, ours, theirs, atol=0 if torch_fma_rounding() else 1e-10)


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("Adam", dict(lr=1e-2, amsgrad=True)),
    ("AdamW", dict(lr=1e-2)),
    ("RMSprop", dict(lr=1e-2, momentum=0.9, centered=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
])
def test_float32_stays_float32(name, kwargs, path):
    """float32 parameters keep float32 state and stay close to PyTorch's float32 run."""
    ours, theirs = make_params(dtype=np.float32)
    opt = getattr(optim, name)(ours, **kwargs)
    topt = getattr(torch.optim, name)(theirs, foreach=False, **kwargs)
    step_both(opt, topt, ours, theirs, STEPS)
    for p in ours:
        assert p.data.dtype == np.float32
        for key, value in opt.state[p].items():
            expected = np.float32 if key != "step" else np.float32  # default dtype float32
            assert value.data.dtype == expected, key
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_step_dtype_follows_default_dtype():
    """``state["step"]`` is float64 when the default dtype is float64, as in PyTorch."""
    bp.set_default_dtype(bp.float64)
    ours, _ = make_params(dtype=np.float32)
    opt = optim.Adam(ours)
    for p in ours:
        p.grad = bp.Tensor(np.ones(p.shape, np.float32))
    opt.step()
    assert opt.state[ours[0]]["step"].data.dtype == np.float64
    assert opt.state[ours[0]]["exp_avg"].data.dtype == np.float32


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("Adam", dict(lr=1e-2, weight_decay=0.1)),
    ("AdamW", dict(lr=1e-2)),
    ("RMSprop", dict(lr=1e-2, momentum=0.5, centered=True)),
    ("Adagrad", dict(lr=0.1)),
])
def test_param_groups_match_torch(name, kwargs, path):
    """Groups with their own lr (and other overrides) step as PyTorch's groups do."""
    ours, theirs = make_params()
    extra = {"SGD": {"momentum": 0.5, "dampening": 0.1}, "Adam": {"betas": (0.5, 0.9)},
             "AdamW": {"weight_decay": 0.3}, "RMSprop": {"alpha": 0.5},
             "Adagrad": {"lr_decay": 0.1}}[name]

    def groups(ps):
        return [{"params": ps[:2], "lr": 0.03}, {"params": ps[2:3]},
                {"params": ps[3:], "lr": 0.2, **extra}]

    opt = getattr(optim, name)(groups(ours), **kwargs)
    topt = getattr(torch.optim, name)(groups(theirs), foreach=False, **kwargs)
    assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in topt.param_groups]
    step_both(opt, topt, ours, theirs, STEPS, skip_at=SKIP)
    assert_params_match(ours, theirs)
    assert_state_match(opt, topt, ours, theirs)


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)),
    ("Adam", dict(lr=1e-2)),
    ("AdamW", dict(lr=1e-2, amsgrad=True)),
    ("RMSprop", dict(lr=1e-3, momentum=0.9)),
    ("Adagrad", dict(lr=0.05)),
])
def test_mlp_training_matches_torch(name, kwargs, path):
    """A small MLP trained with real backward passes: same weights as PyTorch's after 5 steps."""
    torch.manual_seed(0)
    tmodel = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    tmodel = tmodel.double()
    model = bp.nn.Sequential(bp.nn.Linear(4, 8), bp.nn.Tanh(), bp.nn.Linear(8, 3))
    model.load_state_dict({k: v.detach().numpy().copy() for k, v in tmodel.state_dict().items()})
    model.to(bp.float64)
    opt = getattr(optim, name)(model.parameters(), **kwargs)
    topt = getattr(torch.optim, name)(tmodel.parameters(), foreach=False, **kwargs)
    rng = np.random.default_rng(3)
    for _ in range(5):
        x = rng.standard_normal((16, 4))
        y = rng.integers(0, 3, 16)
        opt.zero_grad()
        loss = bp.nn.functional.cross_entropy(model(bp.tensor(x)), bp.tensor(y))
        loss.backward()
        opt.step()
        topt.zero_grad()
        tloss = torch.nn.functional.cross_entropy(tmodel(torch.tensor(x)), torch.tensor(y))
        tloss.backward()
        topt.step()
        assert abs(loss.item() - tloss.item()) < 1e-10
    for (k, v), (tk, tv) in zip(model.state_dict().items(), tmodel.state_dict().items()):
        assert k == tk
        np.testing.assert_allclose(np.asarray(v), tv.numpy(), rtol=0, atol=1e-10)


def test_closure_is_evaluated_with_grad_enabled(path):
    w = bp.nn.Parameter(np.array([1.0, -2.0]))
    opt = optim.SGD([w], lr=0.1)
    calls = []

    def closure():
        calls.append(bp.is_grad_enabled())
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with bp.no_grad():
        loss = opt.step(closure)
    assert calls == [True]
    assert loss.item() == 5.0
    np.testing.assert_allclose(w.data, [0.8, -1.6], rtol=0, atol=1e-15)


def test_step_bumps_parameter_version(path):
    """An in-place update is visible to autograd's saved-tensor check, as in PyTorch."""
    w = bp.nn.Parameter(np.array([1.0, 2.0]))
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    w.grad = bp.Tensor(np.ones(2))
    before = w._version
    opt.step()
    assert w._version == before + 1


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
    ("Adam", dict(lr=1e-2, amsgrad=True)),
    ("RMSprop", dict(lr=1e-2, momentum=0.9, centered=True)),
    ("Adagrad", dict(lr=0.1)),
])
def test_non_contiguous_parameters(name, kwargs, path):
    """A parameter held in Fortran order (or as a strided view) takes the NumPy path."""
    rng = np.random.default_rng(0)
    base = rng.standard_normal((6, 5))
    ours = [bp.nn.Parameter(np.asfortranarray(base)), bp.nn.Parameter(base.copy()[:, ::2])]
    assert not ours[0].data.flags.c_contiguous and not ours[1].data.flags.c_contiguous
    theirs = [torch.tensor(p.data.copy(), requires_grad=True) for p in ours]
    opt = getattr(optim, name)(ours, **kwargs)
    topt = getattr(torch.optim, name)(theirs, foreach=False, **kwargs)
    step_both(opt, topt, ours, theirs, STEPS)
    assert_params_match(ours, theirs)


def test_environment_variable_turns_the_fused_loops_off():
    import os
    import subprocess
    import sys

    code = "from backprop.optim import _fused; print(_fused.kernels() is None)"
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "BACKPROP_NUMBA": "0"},
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_takes_gradients_of_any_layout_and_parameters_of_any_shape(momentum, path):
    """A transposed (non-contiguous) gradient, 1-d to 3-d parameters: the same update as
    PyTorch's; a parameter's array replaced between steps is checked again."""
    rng = np.random.default_rng(3)
    shapes = [(5,), (4, 3), (2, 3, 2)]
    ours = [bp.nn.Parameter(rng.standard_normal(s)) for s in shapes]
    theirs = [torch.tensor(p.data.copy(), requires_grad=True) for p in ours]
    opt = optim.SGD(ours, lr=0.1, momentum=momentum)
    topt = torch.optim.SGD(theirs, lr=0.1, momentum=momentum, foreach=False)
    for step in range(3):
        if step == 2:  # a new array for one parameter (a strided view: the NumPy path)
            ours[1].data = np.ascontiguousarray(ours[1].data.T).T
        for p, t in zip(ours, theirs):
            g = rng.standard_normal(p.shape[::-1]).T  # a transposed view
            p.grad = bp.tensor(g)
            t.grad = torch.tensor(g.copy())
        opt.step()
        topt.step()
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-12, atol=1e-15)


def test_sgd_refuses_a_gradient_of_another_shape(path):
    p = bp.nn.Parameter(np.ones((2, 3)))
    p.grad = bp.tensor(np.ones(6))
    with pytest.raises((ValueError, RuntimeError)):
        optim.SGD([p], lr=0.1).step()


def test_sgd_steps_after_a_deep_copy(path):
    """Pickling or copying keeps only defaults, state and groups: the copy still steps."""
    import copy
    p = bp.nn.Parameter(np.ones((2, 2)))
    opt = optim.SGD([p], lr=0.5, momentum=0.9)
    p.grad = bp.tensor(np.full((2, 2), 0.1))
    opt.step()
    clone = copy.deepcopy(opt)
    q = clone.param_groups[0]["params"][0]
    q.grad = bp.tensor(np.full((2, 2), 0.1))
    clone.step()
    opt.step()  # the original takes the same step
    np.testing.assert_allclose(q.data, p.data, rtol=0, atol=1e-15)
