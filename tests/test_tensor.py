"""The Tensor API: attributes, conversions, comparisons, in-place updates, error messages."""

import numpy as np
import pytest
import torch

import backprop as bp


def test_attributes_match_torch():
    a = np.arange(6.0).reshape(2, 3)
    t, tt = bp.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    assert t.shape == tuple(tt.shape) == (2, 3)
    assert t.ndim == tt.ndim == 2 and t.dim() == 2
    assert t.dtype == bp.float64
    assert t.requires_grad and t.is_leaf and t.grad is None
    assert t.numel() == 6 and len(t) == 2 and t.size() == (2, 3) and t.size(1) == 3
    y = t * 2
    assert not y.is_leaf and y.requires_grad and y.grad_fn is not None


def test_grad_is_a_tensor_after_backward():
    t = bp.tensor([1.0, 2.0], requires_grad=True)
    (t * t).sum().backward()
    assert isinstance(t.grad, bp.Tensor) and t.grad.shape == (2,)
    assert not t.grad.requires_grad


def test_numpy_item_tolist_and_asarray():
    a = np.array([[1.5, -2.0], [3.0, 4.25]], dtype=np.float32)
    t = bp.tensor(a)
    assert isinstance(t.numpy(), np.ndarray)
    np.testing.assert_array_equal(t.numpy(), a)
    np.testing.assert_array_equal(np.asarray(t), a)
    assert np.asarray(t).dtype == np.float32
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert t.tolist() == torch.tensor(a).tolist()
    assert bp.tensor([[2.5]]).item() == 2.5 and isinstance(bp.tensor(3).item(), int)
    with pytest.raises(RuntimeError, match="4 elements"):
        t.item()


def test_numpy_of_a_tensor_requiring_grad_says_detach():
    t = bp.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        t.numpy()
    np.testing.assert_array_equal(t.detach().numpy(), [1.0])


def test_tensor_copies_its_data():
    a = np.zeros(3)
    t = bp.tensor(a)
    a[0] = 1
    assert t.data[0] == 0
    assert np.shares_memory(bp.from_numpy(a).data, a)


def test_python_conversions():
    t = bp.tensor(2.5)
    assert float(t) == 2.5 and int(bp.tensor(3)) == 3 and bool(bp.tensor(1.0))
    assert [float(v) for v in bp.tensor([1.0, 2.0])] == [1.0, 2.0]
    assert list(range(10))[bp.tensor(3)] == 3


def test_repr_mentions_grad():
    assert "requires_grad=True" in repr(bp.tensor([1.0], requires_grad=True))
    assert "grad_fn" in repr(bp.tensor([1.0], requires_grad=True) * 2)


@pytest.mark.parametrize("op", ["__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"])
def test_comparisons_are_boolean_without_grad(op):
    a = np.array([1.0, 2.0, 3.0])
    b = np.array([2.0, 2.0, 1.0])
    t = bp.tensor(a, requires_grad=True)
    for other, torch_other in ((bp.tensor(b), torch.tensor(b)), (2.0, 2.0)):
        result = getattr(t, op)(other)
        expected = getattr(torch.tensor(a), op)(torch_other)
        assert result.dtype == np.bool_ and not result.requires_grad
        np.testing.assert_array_equal(result.numpy(), expected.numpy())


def test_comparison_broadcasts_and_combines():
    t = bp.tensor([[1.0, -1.0], [0.5, 2.0]])
    mask = (t > 0) & (t < 1.5)
    np.testing.assert_array_equal(mask.numpy(), [[True, False], [True, False]])
    np.testing.assert_array_equal((~mask).numpy(), [[False, True], [False, True]])
    np.testing.assert_array_equal(((t > 1) | (t < 0)).numpy(), [[False, True], [False, True]])


def test_reverse_operators_with_numpy_arrays():
    a = np.array([1.0, 2.0])
    t = bp.tensor([3.0, 4.0], dtype=bp.float64, requires_grad=True)
    for result in (a + t, a * t, a - t, a / t):
        assert isinstance(result, bp.Tensor) and result.requires_grad


def test_in_place_helpers_under_no_grad():
    t = bp.tensor([1.0, 2.0], requires_grad=True)
    with bp.no_grad():
        t.mul_(2).add_(1).sub_(bp.tensor([1.0, 1.0]), alpha=2).div_(2)
    np.testing.assert_allclose(t.data, [0.5, 1.5])
    with bp.no_grad():
        t.zero_()
    assert not t.data.any()


def test_setitem_and_clone():
    t = bp.zeros(3)
    t[1] = 5.0
    np.testing.assert_array_equal(t.numpy(), [0.0, 5.0, 0.0])
    c = t.clone()
    c[0] = 1.0
    assert t.data[0] == 0.0


def test_clone_keeps_the_graph():
    x = bp.tensor([1.0, 2.0], requires_grad=True)
    (x.clone() * 3).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 3.0])


def test_split_and_chunk_match_torch():
    a = np.arange(10.0).reshape(5, 2)
    for b_parts, t_parts in ((bp.tensor(a).split(2), torch.tensor(a).split(2)),
                             (bp.tensor(a).chunk(3), torch.tensor(a).chunk(3)),
                             (bp.tensor(a).split([1, 4]), torch.tensor(a).split([1, 4]))):
        assert len(b_parts) == len(t_parts)
        for b, t in zip(b_parts, t_parts):
            np.testing.assert_array_equal(b.numpy(), t.numpy())


# --- error messages name the op and both shapes ------------------------------------------
def test_matmul_shape_mismatch_names_op_and_shapes():
    with pytest.raises(RuntimeError, match=r"matmul.*\(2, 3\).*\(4, 5\)"):
        bp.ones(2, 3) @ bp.ones(4, 5)
    with pytest.raises(RuntimeError, match=r"matmul.*\(3,\).*\(2,\)"):
        bp.matmul(bp.ones(3), bp.ones(2))


def test_linear_shape_mismatch_names_op_and_shapes():
    layer = bp.nn.Linear(3, 2)
    with pytest.raises(RuntimeError, match=r"[Ll]inear.*\(4, 5\).*\(2, 3\)"):
        layer(bp.ones(4, 5))


def test_broadcast_mismatch_names_shapes():
    with pytest.raises((RuntimeError, ValueError), match=r"\(2, ?3\).*\(4,\)"):
        bp.ones(2, 3) + bp.ones(4)


def test_reshape_error_names_shapes():
    with pytest.raises(RuntimeError, match=r"\(4, 4\).*\(2, 3\)|\(2, 3\).*\(4, 4\)"):
        bp.ones(2, 3).reshape(4, 4)


def test_cat_and_stack_errors_name_shapes():
    with pytest.raises(RuntimeError, match=r"\(2, 3\).*\(2, 4\)"):
        bp.cat([bp.ones(2, 3), bp.ones(2, 4)])
    with pytest.raises(RuntimeError, match=r"\(2, 3\).*\(3, 3\)"):
        bp.stack([bp.ones(2, 3), bp.ones(3, 3)])
    with pytest.raises(RuntimeError):
        bp.cat([])


def test_index_error_names_shape():
    with pytest.raises(IndexError, match=r"\(2, 3\)"):
        bp.ones(2, 3)[5]


def test_dim_out_of_range():
    with pytest.raises(IndexError):
        bp.ones(2, 3).sum(dim=2)


@pytest.mark.parametrize("call", [
    lambda t: t.unsqueeze(4), lambda t: t.unsqueeze(-5), lambda t: t.squeeze(3),
    lambda t: t.transpose(0, 3), lambda t: t.sum(dim=-4), lambda t: t.softmax(dim=3),
])
def test_dim_out_of_range_raises_index_error_like_torch(call):
    with pytest.raises(IndexError):
        call(torch.ones(2, 1, 3))
    with pytest.raises(IndexError):
        call(bp.ones(2, 1, 3))


def test_repeated_dims_are_an_error_like_torch():
    with pytest.raises(RuntimeError):
        torch.ones(2, 3).sum(dim=(0, -2))
    with pytest.raises(RuntimeError, match="more than once"):
        bp.ones(2, 3).sum(dim=(0, -2))


def test_np_array_copies_and_np_asarray_shares():
    t = bp.tensor([1.0, 2.0])
    a = np.array(t)
    a[0] = 5.0
    assert t.data[0] == 1.0
    assert np.shares_memory(np.asarray(t), t.data)
    b = np.array(t, dtype=np.float64)
    b[1] = 9.0
    assert t.data[1] == 2.0
