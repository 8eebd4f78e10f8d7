"""The engine: accumulation, freeing the graph, deep and diamond graphs, hooks, retain_grad."""

import numpy as np
import pytest
import torch

import backprop as bp


def _pair(array, requires_grad=True):
    return (bp.tensor(array, requires_grad=requires_grad),
            torch.tensor(array, requires_grad=requires_grad))


def test_gradients_accumulate_across_backward_calls():
    a = np.array([0.5, -1.5, 2.0])
    x, tx = _pair(a)
    for _ in range(3):
        (x * x).sum().backward()
        (tx * tx).sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.data, 3 * 2 * a, rtol=1e-12)


def test_second_backward_through_freed_graph_raises():
    x = bp.tensor([1.0, 2.0], dtype=bp.float64, requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward_and_accumulates():
    a = np.array([1.0, -2.0])
    x, tx = _pair(a)
    y, ty = (x.exp() * x).sum(), (tx.exp() * tx).sum()
    y.backward(retain_graph=True)
    ty.backward(retain_graph=True)
    y.backward()
    ty.backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12)


def test_graph_freed_after_backward_releases_saved_arrays():
    x = bp.tensor(np.ones(3), requires_grad=True)
    y = x.exp()
    node = y.grad_fn
    y.sum().backward()
    assert node.freed
    assert not hasattr(node, "out")


def test_deep_chain_has_no_recursion_limit():
    depth = 5000
    x = bp.tensor(0.3, dtype=bp.float64, requires_grad=True)
    y = x
    for _ in range(depth):
        y = y * 1.0001 + 0.0
    y.backward()
    np.testing.assert_allclose(x.grad.item(), 1.0001**depth, rtol=1e-9)


def test_deep_tanh_chain_matches_torch():
    x, tx = _pair(np.array([0.2, -0.4]))
    y, ty = x, tx
    for _ in range(3000):
        y, ty = y.tanh() + 0.01, ty.tanh() + 0.01
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-8)


def test_deep_graph_can_be_dropped_without_backward():
    x = bp.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(20000):
        y = y + 1.0
    del y  # freeing 20000 nested nodes must not overflow the stack


def test_diamond_graph_sums_both_branches():
    a = np.array([0.7, -1.3, 2.1])
    x, tx = _pair(a)
    left, tleft = x * 2.0, tx * 2.0
    right, tright = x**2, tx**2
    (left * right).sum().backward()
    (tleft * tright).sum().backward()
    np.testing.assert_allclose(x.grad.data, 6 * a**2, rtol=1e-12)
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12)


def test_node_shared_by_many_consumers():
    a = np.array([[0.5, -1.0], [1.5, 0.25]])
    x, tx = _pair(a)
    h, th = x.tanh(), tx.tanh()
    y = h.sum() + (h * h).sum() + h[0].sum() + (h @ h).sum()
    ty = th.sum() + (th * th).sum() + th[0].sum() + (th @ th).sum()
    y.backward()
    ty.backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12)


def test_same_tensor_twice_in_one_op():
    x, tx = _pair(np.array([1.5, -2.0]))
    (x * x + x / x + x - x).sum().backward()
    (tx * tx + tx / tx + tx - tx).sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12)


def test_unused_output_of_multi_output_op():
    x, tx = _pair(np.array([[1.0, 5.0, 2.0], [4.0, 0.0, 3.0]]))
    values, indices = x.max(dim=1)
    tvalues, tindices = tx.max(dim=1)
    (values * 2).sum().backward()
    (tvalues * 2).sum().backward()
    np.testing.assert_array_equal(indices.data, tindices.numpy())
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy())


def test_backward_on_non_scalar_without_gradient_says_so():
    x = bp.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="scalar"):
        (x * 2).backward()


def test_backward_on_non_scalar_with_gradient():
    x, tx = _pair(np.array([1.0, 2.0, 3.0]))
    g = np.array([0.1, -1.0, 2.0])
    (x * x).backward(bp.tensor(g))
    (tx * tx).backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12)


def test_backward_gradient_of_wrong_shape_raises():
    x = bp.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="shape"):
        (x * 2).backward(bp.ones(3))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        bp.tensor([1.0, 2.0]).sum().backward()


def test_backward_on_a_leaf():
    x = bp.tensor(3.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0


def test_scalar_backward_of_one_element_tensor():
    x, tx = _pair(np.array([[2.0]]))
    (x * 3).backward()
    (tx * 3).backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy())


# --- hooks and retain_grad ------------------------------------------------------------
def test_leaf_hook_sees_and_replaces_the_gradient():
    x = bp.tensor([1.0, 2.0], dtype=bp.float64, requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.data.copy()))
    x.register_hook(lambda g: g * 10)
    (x * 3).sum().backward()
    np.testing.assert_allclose(seen[0], [3.0, 3.0])
    np.testing.assert_allclose(x.grad.data, [30.0, 30.0])


def test_non_leaf_hook_replaces_the_gradient_flowing_upstream():
    a = np.array([1.0, -2.0, 0.5])
    x, tx = _pair(a)
    h, th = x * x, tx * tx
    h.register_hook(lambda g: g * 2 + 1)
    th.register_hook(lambda g: g * 2 + 1)
    (h.exp()).sum().backward()
    (th.exp()).sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12)


def test_hook_handle_remove():
    x = bp.tensor([1.0], requires_grad=True)
    handle = x.register_hook(lambda g: g * 0)
    handle.remove()
    (x * 2).sum().backward()
    assert x.grad.item() == 2.0


def test_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError):
        bp.tensor([1.0]).register_hook(lambda g: g)


def test_retain_grad_keeps_non_leaf_gradients():
    a = np.array([[1.0, -2.0], [0.5, 3.0]])
    x, tx = _pair(a)
    h, th = x.tanh(), tx.tanh()
    h.retain_grad()
    th.retain_grad()
    y, ty = h * 2, th * 2
    y.retain_grad()
    ty.retain_grad()
    (y * h).sum().backward()
    (ty * th).sum().backward()
    assert h.retains_grad and not x.retains_grad
    np.testing.assert_allclose(h.grad.data, th.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(y.grad.data, ty.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12)


def test_non_leaf_without_retain_grad_has_no_grad():
    x = bp.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.sum().backward()
    assert h.grad is None
    assert x.grad is not None


def test_retain_grad_accumulates_like_torch():
    x, tx = _pair(np.array([1.0, 2.0]))
    h, th = x * 3, tx * 3
    h.retain_grad()
    th.retain_grad()
    (h * h).sum().backward(retain_graph=True)
    (th * th).sum().backward(retain_graph=True)
    (h * h).sum().backward()
    (th * th).sum().backward()
    np.testing.assert_allclose(h.grad.data, th.grad.numpy(), rtol=1e-12)


# --- requires_grad, detach ---------------------------------------------------------------
def test_requires_grad_propagates():
    a = bp.tensor([1.0, 2.0], requires_grad=True)
    b = bp.tensor([3.0, 4.0])
    assert (a * b).requires_grad and not (b * b).requires_grad
    assert (a * b).grad_fn is not None and (b * b).grad_fn is None
    assert a.is_leaf and b.is_leaf and not (a + b).is_leaf
    assert (b + 1).is_leaf  # made without grad: a leaf, as in PyTorch


def test_detach_cuts_the_graph_and_shares_data():
    x = bp.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    assert np.shares_memory(d.data, y.data)
    (x * d).sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])


def test_detach_in_the_middle_of_a_graph_matches_torch():
    x, tx = _pair(np.array([0.5, 1.5]))
    y = x * x.detach().exp()
    ty = tx * tx.detach().exp()
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12)


def test_requires_grad_underscore():
    x = bp.tensor([1.0, 2.0])
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    with pytest.raises(RuntimeError, match="floating point"):
        bp.tensor([1, 2]).requires_grad_()
    y = bp.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError):
        y.requires_grad_(False)


def test_in_place_update_of_leaf_needing_grad_raises():
    x = bp.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        x.add_(1.0)
    with bp.no_grad():
        x.add_(1.0)
    np.testing.assert_allclose(x.data, [2.0, 3.0])


def test_leaf_gradients_never_share_memory():
    x = bp.tensor([1.0, 2.0], requires_grad=True)
    y = bp.tensor([3.0, 4.0], requires_grad=True)
    w = bp.tensor([0.5, -0.5], requires_grad=True)
    (x + y + w.relu()).sum().backward()
    assert not np.shares_memory(x.grad.data, y.grad.data)
    assert not np.shares_memory(x.grad.data, w.grad.data)
    x.grad.data[0] = 100.0
    assert y.grad.data[0] == 1.0


def test_user_gradient_is_not_aliased_by_grad():
    x = bp.tensor([1.0, 2.0], requires_grad=True)
    g = bp.tensor([1.0, 1.0])
    x.reshape(2, 1).backward(g.reshape(2, 1))
    g.data[0] = 7.0
    assert x.grad.data[0] == 1.0
    x.reshape(2).backward(g)
    assert x.grad.data[0] == 8.0 and g.data[0] == 7.0


def test_relu_in_place_backward_does_not_corrupt_shared_gradients():
    a = np.array([[-1.0, 2.0], [3.0, -4.0]])
    x, tx = _pair(a)
    h, th = x * 1.0, tx * 1.0
    y = h.relu() + h.tanh() + h.relu().exp()
    ty = th.relu() + th.tanh() + th.relu().exp()
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12)


def test_assignment_into_a_saved_output_is_refused_like_torch():
    x = bp.tensor([1.0, 2.0], requires_grad=True)
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    y, ty = x.tanh(), tx.tanh()
    y[0] = 0.0
    ty[0] = 0.0
    with pytest.raises(RuntimeError, match="in-place"):
        y.sum().backward()
    with pytest.raises(RuntimeError, match="inplace"):
        ty.sum().backward()


def test_assignment_builds_a_tensor_from_pieces_like_torch():
    w, tw = _pair(np.array([0.5, -1.0]))
    out, tout = bp.zeros(3, 2, dtype=bp.float64), torch.zeros(3, 2, dtype=torch.float64)
    for i in range(3):
        out[i] = (w * (i + 1)).tanh()
        tout[i] = (tw * (i + 1)).tanh()
    assert out.requires_grad and not out.is_leaf
    (out * out).sum().backward()
    (tout * tout).sum().backward()
    np.testing.assert_allclose(w.grad.data, tw.grad.numpy(), rtol=1e-12)


def test_assignment_without_grad_stays_in_place():
    t = bp.zeros(3)
    data = t.data
    t[1] = bp.tensor(2.0)
    assert t.data is data and t.is_leaf and not t.requires_grad
    with bp.no_grad():
        w = bp.tensor(1.0, requires_grad=True)
        t[0] = w
    assert not t.requires_grad and t.data[0] == 1.0


def test_augmented_assignment_on_a_parameter_raises_like_torch():
    w = bp.nn.Parameter(bp.ones(2))
    with pytest.raises(RuntimeError, match="in-place"):
        w += 1.0
    with bp.no_grad():
        w -= 0.5
    assert w.is_leaf and w.requires_grad and w.data[0] == 0.5


@pytest.mark.parametrize("lib", [bp, torch], ids=["backprop", "torch"])
def test_gradients_seen_by_hooks_are_not_changed_later(lib):
    w = lib.tensor([-1.0, 2.0], requires_grad=True)
    h = w.relu() + 1.0  # Add hands its gradient on unchanged; ReLU's backward may reuse it
    seen, seen_leaf = [], []
    h.register_hook(seen.append)
    w.register_hook(seen_leaf.append)
    (h * 3).sum().backward()
    np.testing.assert_array_equal(np.asarray(seen[0].detach()), [3.0, 3.0])
    np.testing.assert_array_equal(np.asarray(seen_leaf[0].detach()), [0.0, 3.0])
    x = lib.tensor([1.0], requires_grad=True)
    kept = []
    x.register_hook(kept.append)
    (x * 2).sum().backward()
    (x * 2).sum().backward()  # accumulates into x.grad: the hook's tensor stays as it was
    np.testing.assert_array_equal(np.asarray(kept[0].detach()), [2.0])
    np.testing.assert_array_equal(np.asarray(x.grad.detach()), [4.0])


def test_branches_of_different_depths_meet_in_the_right_order():
    """The engine runs nodes newest first: a node used by a short and a long branch must
    wait for both (a wrong order would run it with only the short branch's share)."""
    a = np.array([0.3, -0.8, 1.6])
    x, tx = _pair(a)
    h, th = x.sigmoid(), tx.sigmoid()
    long, tlong = h, th
    for _ in range(6):
        long, tlong = (long * 1.5).tanh(), (tlong * 1.5).tanh()
    y = (h * 3.0 + long).sum() + (h.exp() * long).sum()
    ty = (th * 3.0 + tlong).sum() + (th.exp() * tlong).sum()
    y.backward()
    ty.backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12)


def test_nodes_made_later_run_first_whatever_the_graph_shape():
    """Many roots summed in an order unrelated to when their parts were made."""
    rng = np.random.default_rng(5)
    a = rng.normal(size=(4, 3))
    x, tx = _pair(a)
    parts = [x[i] * x[(i + 1) % 4] for i in range(4)]
    tparts = [tx[i] * tx[(i + 1) % 4] for i in range(4)]
    y = parts[3].sum() + parts[0].tanh().sum() + (parts[2] @ parts[1]) + parts[0].exp().sum()
    ty = tparts[3].sum() + tparts[0].tanh().sum() + (tparts[2] @ tparts[1]) + tparts[0].exp().sum()
    y.backward()
    ty.backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12)


BINARY_CASES = {  # f(x, y, c): x and y need gradients, c does not; ops of two inputs where
    # both, one, the first or the second needs a gradient, chained and branching
    "second needs none": lambda x, y, c: ((x * c).sigmoid() * c).sum(),
    "first needs none": lambda x, y, c: (c - (c / x).tanh()).sum(),
    "constant first": lambda x, y, c: (0.5 * (2.0 - x) ** 2).sum(),
    "both": lambda x, y, c: ((x - y) * (y + x)).sum(),
    "one node twice": lambda x, y, c: ((x * y) * (x * y)).sum(),
    "same tensor twice": lambda x, y, c: ((x + x) * (y * y)).sum(),
    "branch then join": lambda x, y, c: ((x * c) + (x * c).exp() * y).sum(),
}


@pytest.mark.parametrize("case", sorted(BINARY_CASES))
def test_binary_ops_hand_gradients_to_the_inputs_that_need_them_like_torch(case):
    f = BINARY_CASES[case]
    rng = np.random.default_rng(7)
    xv, yv, cv = (rng.uniform(0.5, 1.5, size=(2, 3)) for _ in range(3))
    x, tx = _pair(xv)
    y, ty = _pair(yv)
    c, tc = _pair(cv, requires_grad=False)
    f(x, y, c).backward()
    f(tx, ty, tc).backward()
    for ours, theirs in ((x, tx), (y, ty)):
        if theirs.grad is None:
            assert ours.grad is None
        else:
            np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-12)
    assert c.grad is None


class _FirstOnly(bp.autograd.op.Op):
    """a + b whose backward gives input 1 no gradient although it needs one."""

    def forward(ctx, a, b):
        return a + b

    def backward(ctx, grad):
        return grad, None


def test_an_input_handed_no_gradient_keeps_none():
    a, b = bp.ones(2, requires_grad=True), bp.ones(2, requires_grad=True)
    (_FirstOnly.apply(a * 2, b * 3) * 1).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [2.0, 2.0])
    assert b.grad is None
