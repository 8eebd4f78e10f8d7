"""``bp.manual_seed`` reproducibility and ``bp.autograd.grad``."""

import numpy as np
import pytest
import torch

import backprop as bp


def test_manual_seed_repeats_rand_and_randn():
    bp.manual_seed(123)
    a, b = bp.rand(3, 4), bp.randn(5)
    bp.manual_seed(123)
    np.testing.assert_array_equal(a.numpy(), bp.rand(3, 4).numpy())
    np.testing.assert_array_equal(b.numpy(), bp.randn(5).numpy())
    bp.manual_seed(124)
    assert not np.array_equal(a.numpy(), bp.rand(3, 4).numpy())


def test_manual_seed_repeats_initialisation():
    bp.manual_seed(7)
    first = [p.data.copy() for p in bp.nn.Linear(4, 3).parameters()]
    bp.manual_seed(7)
    second = [p.data.copy() for p in bp.nn.Linear(4, 3).parameters()]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_rng_state_round_trip():
    bp.manual_seed(5)
    state = bp.get_rng_state()
    a = bp.randn(4)
    bp.set_rng_state(state)
    np.testing.assert_array_equal(a.numpy(), bp.randn(4).numpy())


def test_generator_argument():
    g = bp.Generator().manual_seed(3)
    a = bp.randn(4, generator=g)
    g.manual_seed(3)
    np.testing.assert_array_equal(a.numpy(), bp.randn(4, generator=g).numpy())


def test_random_draws_have_the_right_distribution():
    bp.manual_seed(0)
    u = bp.rand(20000).numpy()
    n = bp.randn(20000).numpy()
    assert u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.01
    assert abs(n.mean()) < 0.03 and abs(n.std() - 1) < 0.03


def _pair(array):
    return bp.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)


def test_autograd_grad_matches_torch_and_leaves_grad_alone():
    a = np.array([0.5, -1.0, 2.0])
    x, tx = _pair(a)
    w, tw = _pair(a[::-1].copy())
    (gx, gw) = bp.autograd.grad((x * w).exp().sum(), [x, w])
    (tgx, tgw) = torch.autograd.grad((tx * tw).exp().sum(), [tx, tw])
    np.testing.assert_allclose(gx.data, tgx.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gw.data, tgw.numpy(), rtol=1e-12)
    assert x.grad is None and w.grad is None


def test_autograd_grad_of_a_non_leaf_with_grad_outputs():
    a = np.array([[0.5, -1.0], [2.0, 0.1]])
    x, tx = _pair(a)
    h, th = x.tanh(), tx.tanh()
    g = np.array([[1.0, 2.0], [-1.0, 0.5]])
    (gh,) = bp.autograd.grad(h * h, [h], grad_outputs=bp.tensor(g))
    (tgh,) = torch.autograd.grad(th * th, [th], grad_outputs=torch.tensor(g))
    np.testing.assert_allclose(gh.data, tgh.numpy(), rtol=1e-12)
    assert x.grad is None


def test_autograd_grad_single_input_keeps_existing_grad():
    x = bp.tensor([1.0, 2.0], dtype=bp.float64, requires_grad=True)
    (x * 4).sum().backward()
    (g,) = bp.autograd.grad((x * x).sum(), x)  # a tuple, as torch.autograd.grad's
    np.testing.assert_allclose(g.data, [2.0, 4.0])
    np.testing.assert_allclose(x.grad.data, [4.0, 4.0])


def test_autograd_grad_of_an_unused_input():
    x = bp.tensor([1.0], requires_grad=True)
    unused = bp.tensor([2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused"):
        bp.autograd.grad((x * 2).sum(), [x, unused])
    gx, gu = bp.autograd.grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert gu is None and gx.item() == 2.0


def test_autograd_backward_of_several_roots_matches_torch():
    x, tx = _pair(np.array([0.5, 1.5]))
    h, th = x.exp(), tx.exp()
    bp.autograd.backward([h.sum(), (h * h).sum()])
    torch.autograd.backward([th.sum(), (th * th).sum()])
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError, match="retain_graph"):
        h.sum().backward()  # the shared part of the graph was freed by the last root
