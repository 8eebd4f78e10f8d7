"""Dropout: inverted scaling, the fraction dropped, identity in eval, seeding, gradient, errors."""

import math

import numpy as np
import pytest
import torch

import backprop as bp
import backprop.nn.functional as F
from backprop import nn


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_fraction_dropped_and_scaling(p):
    n = 200_000
    data = bp.rand(n) + 0.5  # never zero by itself
    out = nn.Dropout(p)(data).data
    dropped = np.mean(out == 0)
    assert abs(dropped - p) < 5 * math.sqrt(p * (1 - p) / n)  # five binomial standard errors
    kept = out != 0
    np.testing.assert_allclose(out[kept], data.data[kept] / (1 - p), rtol=1e-6)
    assert out.dtype == np.float32


def test_expectation_is_kept():
    """E[y] = x: the mean over many draws approaches x (inverted dropout)."""
    data = bp.full((400, 50), 2.0, dtype=bp.float64)
    out = F.dropout(data, 0.3, training=True).data
    assert abs(out.mean() - 2.0) < 5 * 2.0 * math.sqrt(0.3 / 0.7 / out.size)


def test_gradient_is_the_same_mask_and_scale():
    data = bp.randn(50, 40, requires_grad=True, dtype=bp.float64)
    out = F.dropout(data, p=0.4)
    upstream = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(bp.tensor(upstream))
    mask = out.data != 0
    np.testing.assert_allclose(data.grad.data, upstream * mask / 0.6, rtol=1e-15)
    np.testing.assert_allclose(out.data, data.data * mask / 0.6, rtol=1e-15)


def test_matches_torch_given_the_same_mask():
    """PyTorch's output and gradient for our mask: y = x·m/(1−p), ∂L/∂x = g·m/(1−p)."""
    rng = np.random.default_rng(1)
    data, upstream = rng.standard_normal((6, 7)), rng.standard_normal((6, 7))
    x = bp.tensor(data, requires_grad=True)
    out = F.dropout(x, p=0.25)
    out.backward(bp.tensor(upstream))
    mask = torch.tensor(out.data != 0, dtype=torch.float64)
    tx = torch.tensor(data, requires_grad=True)
    # PyTorch's native_dropout_backward with our mask
    t_out = tx * mask / 0.75
    t_out.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-15)
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-15)
    np.testing.assert_allclose(
        torch.ops.aten.native_dropout_backward(torch.tensor(upstream), mask.bool(), 1 / 0.75)
        .numpy(), x.grad.data, rtol=1e-15)


def test_identity_in_eval_and_with_training_false():
    data = bp.randn(5, 6, requires_grad=True)
    layer = nn.Dropout(0.5).eval()
    assert layer(data) is data
    assert F.dropout(data, 0.5, training=False) is data
    assert F.dropout(data, 0.0) is data
    out = layer.train()(data)
    assert out is not data and np.any(out.data == 0)


def test_p_one_drops_everything():
    data = bp.randn(4, 4, requires_grad=True)
    out = F.dropout(data, 1.0)
    out.sum().backward()
    assert not np.any(out.data) and not np.any(data.grad.data)


def test_reproducible_with_manual_seed():
    data = bp.ones(1000)
    bp.manual_seed(42)
    first = nn.Dropout(0.5)(data).data
    second = nn.Dropout(0.5)(data).data
    bp.manual_seed(42)
    np.testing.assert_array_equal(nn.Dropout(0.5)(data).data, first)
    assert not np.array_equal(first, second)


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_bad_probability_raises_value_error(p):
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(p)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(bp.ones(3), p)


def test_no_state_and_pytorchs_repr():
    assert nn.Dropout(0.2).state_dict() == {}
    assert repr(nn.Dropout(0.2)) == repr(torch.nn.Dropout(0.2))
