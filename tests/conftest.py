"""Shared fixtures: every test starts with float32 as default dtype, grad mode on, seed 0."""

import pytest

import backprop as bp
from backprop.autograd.grad_mode import grad_state


@pytest.fixture(autouse=True)
def _fresh_state():
    bp.set_default_dtype(bp.float32)
    grad_state.enabled = True
    bp.manual_seed(0)
    yield
    bp.set_default_dtype(bp.float32)
    grad_state.enabled = True
