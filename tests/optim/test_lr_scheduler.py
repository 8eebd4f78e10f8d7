"""Learning-rate schedules: the same lr sequence as torch.optim.lr_scheduler, step by step."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import backprop as bp
from backprop import optim
from backprop.optim import lr_scheduler

EPOCHS = 30


def _pair(lrs=(0.1, 0.03)):
    """Our SGD and PyTorch's, each with one parameter group per learning rate."""
    ours = optim.SGD([{"params": [bp.nn.Parameter(np.zeros(2))], "lr": lr} for lr in lrs],
                     lr=0.5, momentum=0.9)
    theirs = torch.optim.SGD(
        [{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs],
        lr=0.5, momentum=0.9)
    return ours, theirs


class _Warmup:
    """A callable object with state (saved by LambdaLR.state_dict)."""

    def __init__(self, n):
        self.n = n

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.n)


SCHEDULES = [
    ("StepLR", dict(step_size=7, gamma=0.3)),
    ("StepLR", dict(step_size=1, gamma=0.9)),
    ("MultiStepLR", dict(milestones=[3, 8, 8, 20], gamma=0.5)),
    ("ExponentialLR", dict(gamma=0.93)),
    ("CosineAnnealingLR", dict(T_max=10)),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.005)),
    ("CosineAnnealingLR", dict(T_max=1, eta_min=0.01)),
    ("LambdaLR", dict(lr_lambda=lambda epoch: 0.95 ** epoch)),
    ("LambdaLR", dict(lr_lambda=[lambda e: 1 / (1 + e), _Warmup(5)])),
]


def _run(opt, sched, epochs):
    lrs = [sched.get_last_lr()]
    for _ in range(epochs):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr())
        assert [g["lr"] for g in opt.param_groups] == lrs[-1]
    return lrs


@pytest.mark.parametrize("name,kwargs", SCHEDULES,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(SCHEDULES)])
def test_lr_sequence_equals_torch(name, kwargs):
    """30 epochs (past T_max for the cosine): every learning rate equal, not just close."""
    ours, theirs = _pair()
    sched = getattr(lr_scheduler, name)(ours, **kwargs)
    tsched = getattr(torch.optim.lr_scheduler, name)(theirs, **kwargs)
    got, expected = _run(ours, sched, EPOCHS), _run(theirs, tsched, EPOCHS)
    assert got == expected
    assert sched.last_epoch == tsched.last_epoch == EPOCHS
    assert sched.base_lrs == tsched.base_lrs


@pytest.mark.parametrize("name,kwargs", SCHEDULES[:7], ids=[f"{n}" for n, _ in SCHEDULES[:7]])
def test_state_dict_resumes_schedule(name, kwargs):
    """A scheduler saved at epoch 12 and loaded into a new one continues as the first."""
    ours, _ = _pair()
    sched = getattr(lr_scheduler, name)(ours, **kwargs)
    _run(ours, sched, 12)
    saved_sched, saved_opt = sched.state_dict(), ours.state_dict()
    assert "optimizer" not in saved_sched and saved_sched["last_epoch"] == 12
    rest = _run(ours, sched, 10)

    ours2, _ = _pair()
    sched2 = getattr(lr_scheduler, name)(ours2, **kwargs)
    ours2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved_sched)
    assert _run(ours2, sched2, 10)[1:] == rest[1:]


def test_lambda_state_dict_saves_callable_objects():
    ours, theirs = _pair()
    sched = lr_scheduler.LambdaLR(ours, [lambda e: 1.0, _Warmup(4)])
    tsched = torch.optim.lr_scheduler.LambdaLR(theirs, [lambda e: 1.0, _Warmup(4)])
    assert sched.state_dict()["lr_lambdas"] == tsched.state_dict()["lr_lambdas"] == [
        None, {"n": 4}]
    other, _ = _pair()
    sched2 = lr_scheduler.LambdaLR(other, [lambda e: 1.0, _Warmup(9)])
    sched2.load_state_dict(sched.state_dict())
    assert sched2.lr_lambdas[1].n == 4


def test_closed_form_with_epoch_argument_equals_torch():
    ours, theirs = _pair()
    sched = lr_scheduler.CosineAnnealingLR(ours, T_max=10, eta_min=0.001)
    tsched = torch.optim.lr_scheduler.CosineAnnealingLR(theirs, T_max=10, eta_min=0.001)
    ours.step()
    theirs.step()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in (3, 17, 5):
            sched.step(epoch)
            tsched.step(epoch)
            assert sched.get_last_lr() == tsched.get_last_lr()


def test_resume_with_last_epoch_needs_initial_lr():
    ours, theirs = _pair()
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(ours, step_size=2, last_epoch=4)
    for group in ours.param_groups:
        group["initial_lr"] = group["lr"]
    for group in theirs.param_groups:
        group["initial_lr"] = group["lr"]
    sched = lr_scheduler.ExponentialLR(ours, gamma=0.5, last_epoch=4)
    tsched = torch.optim.lr_scheduler.ExponentialLR(theirs, gamma=0.5, last_epoch=4)
    assert _run(ours, sched, 5) == _run(theirs, tsched, 5)


def test_warns_when_scheduler_steps_before_optimizer():
    ours, _ = _pair()
    sched = lr_scheduler.StepLR(ours, step_size=2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    ours2, _ = _pair()
    sched2 = lr_scheduler.StepLR(ours2, step_size=2)
    ours2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched2.step()


def test_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lr_scheduler.StepLR(object(), step_size=1)
