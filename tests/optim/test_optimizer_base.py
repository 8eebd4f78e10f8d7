"""The Optimizer base: groups, zero_grad, state_dict round trips, errors (against PyTorch's)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from safetensors.numpy import load as st_load
from safetensors.numpy import save as st_save

import backprop as bp
from backprop import optim

from .conftest import (
    assert_params_match,
    assert_state_match,
    make_params,
    set_grads,
    set_our_grads,
    step_both,
)

ALL = [
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-2)),
    ("Adam", dict(lr=1e-2, amsgrad=True, weight_decay=1e-2)),
    ("AdamW", dict(lr=1e-2)),
    ("RMSprop", dict(lr=1e-2, momentum=0.9, centered=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)),
]


def _groups(ps):
    return [{"params": ps[:2], "lr": 0.02}, {"params": ps[2:]}]


@pytest.mark.parametrize("name,kwargs", ALL)
def test_state_dict_round_trip_continues_identically(name, kwargs, path):
    """Save after 3 steps, load into a fresh optimizer, go on: same as never stopping."""
    ours, _ = make_params()
    opt = getattr(optim, name)(_groups(ours), **kwargs)
    rng = np.random.default_rng(5)
    for _ in range(3):
        set_our_grads(ours, rng)
        opt.step()
    saved = opt.state_dict()
    assert set(saved) == {"state", "param_groups"}
    assert [g["params"] for g in saved["param_groups"]] == [[0, 1], [2, 3]]
    assert all(isinstance(v, bp.Tensor) for s in saved["state"].values() for v in s.values())

    resumed = [bp.nn.Parameter(p.data.copy()) for p in ours]
    opt2 = getattr(optim, name)(_groups(resumed), **kwargs)
    opt2.load_state_dict(saved)
    for _ in range(3):
        g = [rng.standard_normal(p.shape) for p in ours]
        for p, q, gi in zip(ours, resumed, g):
            p.grad, q.grad = bp.Tensor(gi.copy()), bp.Tensor(gi.copy())
        opt.step()
        opt2.step()
    for p, q in zip(ours, resumed):
        np.testing.assert_array_equal(p.data, q.data)
    assert opt2.param_groups[0]["lr"] == 0.02
    assert opt2.param_groups[0]["params"][0] is resumed[0]


@pytest.mark.parametrize("name,kwargs", ALL)
def test_state_dict_interchanges_with_torch(name, kwargs, path):
    """PyTorch's state dict loads into ours and ours into PyTorch's; both go on alike."""
    ours, theirs = make_params()
    opt = getattr(optim, name)(_groups(ours), **kwargs)
    topt = getattr(torch.optim, name)(_groups(theirs), foreach=False, **kwargs)
    step_both(opt, topt, ours, theirs, 3)

    # torch -> ours: a new optimizer of ours resumes from PyTorch's state
    ours2 = [bp.nn.Parameter(q.detach().numpy().copy()) for q in theirs]
    opt2 = getattr(optim, name)(_groups(ours2), **kwargs)
    opt2.load_state_dict(topt.state_dict())
    # ours -> torch: a new PyTorch optimizer resumes from our state
    theirs2 = [torch.tensor(p.data.copy(), requires_grad=True) for p in ours]
    topt2 = getattr(torch.optim, name)(_groups(theirs2), foreach=False, **kwargs)
    sd = opt.state_dict()
    topt2.load_state_dict({
        "state": {i: {k: torch.from_numpy(v.data.copy()) for k, v in s.items()}
                  for i, s in sd["state"].items()},
        "param_groups": sd["param_groups"],
    })
    step_both(opt2, topt, ours2, theirs, 3, seed=9)
    step_both(opt, topt2, ours, theirs2, 3, seed=9)
    assert_params_match(ours2, theirs)
    assert_params_match(ours, theirs2)
    assert_state_match(opt2, topt, ours2, theirs)


def test_state_dict_layout_matches_torch():
    ours, theirs = make_params()
    opt = optim.Adam(_groups(ours), lr=1e-2)
    topt = torch.optim.Adam(_groups(theirs), lr=1e-2, foreach=False)
    step_both(opt, topt, ours, theirs, 2)
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert list(sd["state"]) == list(tsd["state"])
    for i in sd["state"]:
        assert list(sd["state"][i]) == list(tsd["state"][i])
        assert sd["state"][i]["step"].item() == tsd["state"][i]["step"].item()
    for g, tg in zip(sd["param_groups"], tsd["param_groups"]):
        assert g["params"] == tg["params"]
        for key, value in g.items():
            assert tg[key] == value, key


def test_state_saves_as_safetensors():
    """State buffers are Tensors whose arrays safetensors writes and reads back."""
    ours, _ = make_params(dtype=np.float32)
    opt = optim.Adam(ours, lr=1e-2)
    set_our_grads(ours, np.random.default_rng(0))
    opt.step()
    sd = opt.state_dict()
    flat = {f"state.{i}.{k}": np.ascontiguousarray(v.numpy())
            for i, s in sd["state"].items() for k, v in s.items()}
    back = st_load(st_save(flat))
    opt2 = optim.Adam([bp.nn.Parameter(p.data.copy()) for p in ours], lr=1e-2)
    state = {}
    for key, value in back.items():
        _, i, name = key.split(".")
        state.setdefault(int(i), {})[name] = value
    opt2.load_state_dict({"state": state, "param_groups": sd["param_groups"]})
    for i, s in opt2.state_dict()["state"].items():
        for k, v in s.items():
            assert isinstance(v, bp.Tensor)
            np.testing.assert_array_equal(v.data, sd["state"][i][k].data)
            assert v.data.dtype == sd["state"][i][k].data.dtype


def test_load_state_dict_copies_and_casts():
    p = bp.nn.Parameter(np.zeros(3, np.float32))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    buf = np.arange(3.0)  # float64 buffer for a float32 parameter
    opt.load_state_dict({"state": {0: {"momentum_buffer": buf}},
                         "param_groups": [{"lr": 0.5, "params": [0]}]})
    loaded = opt.state[p]["momentum_buffer"]
    assert isinstance(loaded, bp.Tensor) and loaded.data.dtype == np.float32
    buf[0] = 7.0
    assert loaded.data[0] == 0.0  # a copy
    group = opt.param_groups[0]
    assert group["lr"] == 0.5 and group["momentum"] == 0.9  # missing keys take the defaults


def test_load_state_dict_rejects_mismatched_groups():
    ours, theirs = make_params()
    opt = optim.SGD(_groups(ours), lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict(optim.SGD(ours, lr=0.1).state_dict())
    other = optim.SGD([{"params": ours[:1]}, {"params": ours[1:]}], lr=0.1)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        opt.load_state_dict(other.state_dict())


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    ours, theirs = make_params()
    opt = optim.SGD(ours, lr=0.1)
    topt = torch.optim.SGD(theirs, lr=0.1)
    set_grads(ours, theirs, np.random.default_rng(0), skip=(1,))
    opt.zero_grad(set_to_none=set_to_none)
    topt.zero_grad(set_to_none=set_to_none)
    for p, q in zip(ours, theirs):
        assert (p.grad is None) == (q.grad is None)
        if q.grad is not None:
            np.testing.assert_array_equal(p.grad.data, q.grad.numpy())


def test_add_param_group_and_defaults():
    ours, _ = make_params()
    opt = optim.SGD(ours[:2], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": ours[2], "lr": 0.01})
    assert opt.param_groups[1]["params"] == [ours[2]]
    assert opt.param_groups[1]["momentum"] == 0.9 and opt.param_groups[1]["lr"] == 0.01
    with pytest.raises(ValueError, match="some parameters appear in more than one"):
        opt.add_param_group({"params": [ours[0]]})
    with pytest.raises(TypeError, match="ordered collections"):
        opt.add_param_group({"params": {ours[3]}})


def test_named_parameters_are_accepted():
    model = bp.nn.Linear(3, 2)
    opt = optim.SGD(model.named_parameters(), lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]


def test_bad_params():
    w = bp.nn.Parameter(np.ones(2))
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        optim.SGD(w, lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        optim.SGD([np.ones(2)], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([w * 2], lr=0.1)


def test_required_hyperparameter():
    class Plain(optim.Optimizer):
        def __init__(self, params, lr=optim.required):
            super().__init__(params, {"lr": lr})

    w = bp.nn.Parameter(np.ones(2))
    with pytest.raises(ValueError, match="didn't specify a value of required optimization "
                                         "parameter lr"):
        Plain([w])
    assert Plain([{"params": [w], "lr": 0.1}]).param_groups[0]["lr"] == 0.1


def test_custom_optimizer_subclass():
    """A user's optimizer written as in PyTorch's tutorials works on the base class."""
    class PlainSGD(optim.Optimizer):
        def __init__(self, params, lr):
            super().__init__(params, {"lr": lr})

        @bp.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.data -= group["lr"] * p.grad.data

    w = bp.nn.Parameter(np.array([1.0, 2.0]))
    opt = PlainSGD([w], lr=0.5)
    (w * w).sum().backward()
    opt.step()
    np.testing.assert_array_equal(w.data, [0.0, 0.0])


BAD = [
    ("SGD", dict(lr=-0.1)), ("SGD", dict(lr=0.1, momentum=-0.5)),
    ("SGD", dict(lr=0.1, weight_decay=-1e-4)), ("SGD", dict(lr=0.1, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)),
    ("Adam", dict(lr=-1.0)), ("Adam", dict(eps=-1e-8)), ("Adam", dict(betas=(1.0, 0.999))),
    ("Adam", dict(betas=(0.9, -0.1))), ("Adam", dict(weight_decay=-0.1)),
    ("AdamW", dict(betas=(0.9, 1.0))), ("AdamW", dict(lr=-1e-3)),
    ("RMSprop", dict(lr=-1.0)), ("RMSprop", dict(eps=-1.0)), ("RMSprop", dict(momentum=-1.0)),
    ("RMSprop", dict(weight_decay=-1.0)), ("RMSprop", dict(alpha=-0.5)),
    ("Adagrad", dict(lr=-1.0)), ("Adagrad", dict(lr_decay=-1.0)),
    ("Adagrad", dict(weight_decay=-1.0)), ("Adagrad", dict(initial_accumulator_value=-1.0)),
    ("Adagrad", dict(eps=-1.0)),
]


@pytest.mark.parametrize("name,kwargs", BAD, ids=[f"{n}-{k}" for n, k in BAD])
def test_bad_hyperparameters_raise_torch_messages(name, kwargs):
    with pytest.raises(ValueError) as expected:
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kwargs)
    with pytest.raises(ValueError) as got:
        getattr(optim, name)([bp.nn.Parameter(np.zeros(2))], **kwargs)
    assert str(got.value) == str(expected.value)


def test_repr_lists_groups():
    ours, _ = make_params()
    text = repr(optim.SGD(_groups(ours), lr=0.1, momentum=0.9))
    assert text.startswith("SGD (\nParameter Group 0\n") and "    lr: 0.02" in text
    assert "Parameter Group 1" in text and "    momentum: 0.9" in text


def test_defaults_match_torch():
    """Constructor defaults (lr, betas, eps, weight decay ...) are PyTorch 2.13's."""
    for name in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad"):
        ours = getattr(optim, name)([bp.nn.Parameter(np.zeros(2))]).defaults
        theirs = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)]).defaults
        for key, value in ours.items():
            assert theirs[key] == value, (name, key)
