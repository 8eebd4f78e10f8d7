"""Embedding against PyTorch 2.13 in float64: lookup, scatter-add gradient with repeats,
padding_idx, scale_grad_by_freq, max_norm; init, state_dict, errors."""

import numpy as np
import pytest
import torch

import backprop as bp
import backprop.nn.functional as F
from backprop import nn
from tests.reference.harness import case, check_against_torch, check_float32, labels, x


def embedding(*args, **kwargs):
    return lambda L: L.nn.Embedding(*args, **kwargs)


CASES = [
    case("Embedding 1-D indices", [labels(12, classes=5)], module=embedding(5, 3)),
    case("Embedding batch of sequences", [labels(4, 7, classes=10)], module=embedding(10, 6)),
    case("Embedding scale_grad_by_freq", [labels(3, 9, classes=4)],
         module=embedding(4, 2, scale_grad_by_freq=True)),
    case("Embedding a single index", [labels(classes=3)], module=embedding(3, 4)),
]


@pytest.mark.parametrize("c", CASES, ids=repr)
def test_against_torch(c):
    check_against_torch(c)


def test_float32():
    check_float32(CASES[1])


@pytest.mark.parametrize("padding_idx", [0, 3, -1])
def test_padding_row_gets_no_gradient(padding_idx):
    c = case(f"Embedding padding_idx {padding_idx}", [labels(5, 6, classes=6)],
             module=embedding(6, 4, padding_idx=padding_idx))
    indices = np.random.default_rng(0).integers(0, 6, (5, 6))
    indices[0, :3] = padding_idx % 6  # used, and repeated
    check_against_torch(c, [indices])
    layer = nn.Embedding(6, 4, padding_idx=padding_idx)
    assert not np.any(layer.weight.data[padding_idx])  # starts at zero, as PyTorch's
    layer(bp.tensor(indices)).sum().backward()
    assert not np.any(layer.weight.grad.data[padding_idx])
    assert layer.padding_idx == torch.nn.Embedding(6, 4, padding_idx=padding_idx).padding_idx


def test_repeated_indices_add_up():
    layer = nn.Embedding(3, 2)
    layer(bp.tensor([1, 1, 1, 2])).sum().backward()
    np.testing.assert_array_equal(layer.weight.grad.data, [[0, 0], [3, 3], [1, 1]])


def test_functional_weight_as_input_against_torch():
    check_against_torch(case("F.embedding weight as input", [labels(4, 5, classes=7), x(7, 3)],
                             lambda L, i, weight: L.F.embedding(i, weight, padding_idx=2)))


@pytest.mark.parametrize("norm_type", [2.0, 1.0])
def test_max_norm_renormalises_used_rows_in_place_like_pytorch(norm_type):
    rng = np.random.default_rng(5)
    table = 3 * rng.standard_normal((8, 4))
    indices = np.array([[0, 2, 2], [5, 7, 0]])
    ours = nn.Embedding(8, 4, max_norm=1.5, norm_type=norm_type,
                        _weight=bp.tensor(table.copy()))
    theirs = torch.nn.Embedding(8, 4, max_norm=1.5, norm_type=norm_type,
                                _weight=torch.tensor(table.copy()))
    out, t_out = ours(bp.tensor(indices)), theirs(torch.tensor(indices))
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.weight.data, theirs.weight.detach().numpy(), rtol=1e-12)
    upstream = rng.standard_normal(out.shape)
    out.backward(bp.tensor(upstream))
    t_out.backward(torch.tensor(upstream))
    np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(), rtol=1e-12)


def test_default_init_is_standard_normal():
    bp.manual_seed(0)
    weight = nn.Embedding(2000, 50).weight.data
    assert weight.dtype == np.float32
    assert abs(weight.mean()) < 0.01 and abs(weight.std() - 1) < 0.01


def test_from_pretrained_freezes_by_default():
    table = np.arange(6.0).reshape(3, 2)
    layer = nn.Embedding.from_pretrained(bp.tensor(table))
    assert not layer.weight.requires_grad
    np.testing.assert_array_equal(layer(bp.tensor([2, 0])).data, [[4, 5], [0, 1]])
    assert nn.Embedding.from_pretrained(bp.tensor(table), freeze=False).weight.requires_grad


def test_state_dict_keys_equal_pytorchs():
    ours, theirs = nn.Embedding(5, 3, padding_idx=1), torch.nn.Embedding(5, 3, padding_idx=1)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    np.testing.assert_array_equal(ours.weight.data, theirs.weight.detach().numpy())


def test_errors_name_the_layer_and_the_indices():
    layer = nn.Embedding(5, 3)
    with pytest.raises(IndexError, match=r"Embedding\(5, 3\): index out of range.*\[0, 5\]"):
        layer(bp.tensor([0, 5]))
    with pytest.raises(IndexError, match="out of range"):
        layer(bp.tensor([-1, 2]))
    with pytest.raises(TypeError, match=r"Embedding\(5, 3\): indices must be integers"):
        layer(bp.tensor([0.0, 1.0]))
    with pytest.raises(IndexError, match="embedding: index 9 is out of range for 5"):
        F.embedding(bp.tensor([9]), layer.weight)
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(5, 3, padding_idx=5)
