"""Dense layers, activations, losses and containers: what the reference table does not cover
(attributes, validation, errors, numerical extremes). Their values and gradients against
PyTorch are in ``tests/reference/table.py``."""

import numpy as np
import pytest
import torch

import backprop as bp
import backprop.nn.functional as F
from backprop import nn


def test_linear_attributes():
    layer = nn.Linear(3, 5)
    assert layer.in_features == 3 and layer.out_features == 5
    assert layer.weight.shape == (5, 3) and layer.bias.shape == (5,)
    assert nn.Linear(3, 5, bias=False).bias is None
    assert list(nn.Linear(3, 5, bias=False).state_dict()) == ["weight"]
    assert "in_features=3, out_features=5, bias=True" in repr(layer)
    assert layer(bp.ones(2, 3)).shape == (2, 5)
    assert layer(bp.ones(3)).shape == (5,)


def test_linear_zero_batch():
    assert nn.Linear(3, 2)(bp.ones(0, 3)).shape == (0, 2)


def test_linear_rejects_negative_sizes():
    with pytest.raises(ValueError):
        nn.Linear(-1, 3)


def test_activation_repr_and_defaults_match_torch():
    assert nn.LeakyReLU().negative_slope == torch.nn.LeakyReLU().negative_slope
    assert nn.ELU().alpha == torch.nn.ELU().alpha
    assert nn.GELU().approximate == torch.nn.GELU().approximate
    with pytest.raises(ValueError):
        nn.GELU(approximate="fast")


@pytest.mark.filterwarnings("error")  # extreme inputs are legitimate: no warnings
def test_softmax_extreme_logits_match_torch():
    a = np.array([[1000.0, 0.0, -1000.0], [-1e4, -1e4, -1e4 + 1]])
    for ours, theirs in ((F.softmax, torch.nn.functional.softmax),
                         (F.log_softmax, torch.nn.functional.log_softmax)):
        np.testing.assert_allclose(ours(bp.tensor(a), dim=1).data,
                                   theirs(torch.tensor(a), dim=1).numpy(), rtol=1e-12)
    np.testing.assert_allclose(bp.tensor(a).logsumexp(dim=1).data,
                               torch.tensor(a).logsumexp(dim=1).numpy(), rtol=1e-12)


@pytest.mark.filterwarnings("error")  # extreme inputs are legitimate: no warnings
def test_logsumexp_of_minus_infinity_rows():
    a = np.array([[-np.inf, -np.inf], [0.0, -np.inf]])
    np.testing.assert_array_equal(bp.tensor(a).logsumexp(dim=1).data,
                                  torch.tensor(a).logsumexp(dim=1).numpy())


def test_sigmoid_tanh_saturate_without_warnings_in_float32():
    x = bp.tensor([-1000.0, -90.0, 0.0, 90.0, 1000.0], requires_grad=True)
    with np.errstate(all="raise"):
        y = x.sigmoid() + x.tanh()
        y.sum().backward()
    t = torch.tensor([-1000.0, -90.0, 0.0, 90.0, 1000.0], requires_grad=True)
    (t.sigmoid() + t.tanh()).sum().backward()
    np.testing.assert_allclose(y.data, (t.sigmoid() + t.tanh()).detach().numpy(), atol=1e-7)
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), atol=1e-7)


@pytest.mark.filterwarnings("error")  # extreme inputs are legitimate: no warnings
def test_cross_entropy_extreme_logits_match_torch():
    a = np.array([[1000.0, -1000.0, 0.0], [0.0, 0.0, 800.0]])
    y = np.array([1, 2])
    x, t = bp.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    loss, tloss = F.cross_entropy(x, bp.tensor(y)), torch.nn.functional.cross_entropy(
        t, torch.tensor(y))
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), atol=1e-12)


@pytest.mark.filterwarnings("error")  # extreme inputs are legitimate: no warnings
def test_bce_clamps_log_at_minus_100_like_torch():
    a, y = np.array([0.0, 1.0, 1e-50, 0.5]), np.array([1.0, 0.0, 1.0, 1.0])
    loss = F.binary_cross_entropy(bp.tensor(a), bp.tensor(y), reduction="none")
    expected = torch.nn.functional.binary_cross_entropy(torch.tensor(a), torch.tensor(y),
                                                        reduction="none")
    np.testing.assert_allclose(loss.data, expected.numpy(), rtol=1e-12)


@pytest.mark.filterwarnings("error")  # extreme inputs are legitimate: no warnings
def test_bce_with_logits_extreme_logits_match_torch():
    a, y = np.array([-800.0, 800.0, 50.0, -50.0]), np.array([1.0, 0.0, 1.0, 0.0])
    x, t = bp.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, bp.tensor(y), reduction="sum")
    tloss = torch.nn.functional.binary_cross_entropy_with_logits(t, torch.tensor(y),
                                                                 reduction="sum")
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-12)


@pytest.mark.filterwarnings("error")  # extreme inputs are legitimate: no warnings
def test_cross_entropy_all_targets_ignored_is_nan_like_torch():
    a = np.zeros((2, 3))
    y = np.array([-100, -100])
    ours = F.cross_entropy(bp.tensor(a), bp.tensor(y))
    theirs = torch.nn.functional.cross_entropy(torch.tensor(a), torch.tensor(y))
    assert np.isnan(ours.item()) and np.isnan(theirs.item())


# --- validation and errors -------------------------------------------------------------
@pytest.mark.parametrize("loss", [nn.MSELoss, nn.L1Loss, nn.CrossEntropyLoss, nn.NLLLoss,
                                  nn.BCELoss, nn.BCEWithLogitsLoss])
def test_bad_reduction_is_a_value_error(loss):
    with pytest.raises(ValueError, match="reduction"):
        loss(reduction="average")


def test_loss_modules_keep_weights_as_buffers_like_torch():
    w = [1.0, 2.0, 3.0]
    for ours, theirs in ((nn.CrossEntropyLoss(weight=bp.tensor(w)),
                          torch.nn.CrossEntropyLoss(weight=torch.tensor(w))),
                         (nn.NLLLoss(weight=bp.tensor(w)), torch.nn.NLLLoss(torch.tensor(w))),
                         (nn.BCELoss(weight=bp.tensor(w)), torch.nn.BCELoss(torch.tensor(w))),
                         (nn.BCEWithLogitsLoss(pos_weight=bp.tensor(w)),
                          torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(w))),
                         (nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss())):
        assert list(ours.state_dict()) == list(theirs.state_dict())


def test_cross_entropy_target_out_of_range():
    with pytest.raises(IndexError, match="out of bounds"):
        F.cross_entropy(bp.zeros(2, 3), bp.tensor([0, 3]))
    with pytest.raises(IndexError, match="out of bounds"):
        F.nll_loss(bp.zeros(2, 3), bp.tensor([-1, 0]))


def test_cross_entropy_target_shape_error_names_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3,\)"):
        F.cross_entropy(bp.zeros(2, 3), bp.tensor([0, 1, 2]))


def test_float_class_indices_are_rejected():
    with pytest.raises((TypeError, ValueError)):
        F.nll_loss(bp.zeros(2, 3), bp.tensor([0.0, 1.0]))


def test_bce_rejects_values_outside_0_1():
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(bp.tensor([1.5]), bp.tensor([1.0]))


@pytest.mark.parametrize("fn", [F.mse_loss, F.l1_loss, F.binary_cross_entropy,
                                F.binary_cross_entropy_with_logits])
def test_elementwise_losses_reject_shape_mismatch(fn):
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3, 2\)"):
        fn(bp.full((2, 3), 0.5), bp.full((3, 2), 0.5))


def test_label_smoothing_range():
    with pytest.raises(ValueError):
        F.cross_entropy(bp.zeros(2, 3), bp.tensor([0, 1]), label_smoothing=1.5)


# --- containers ------------------------------------------------------------------------
def test_sequential_indexing_len_iter_append():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(model) == 3 and isinstance(model[1], nn.ReLU) and isinstance(model[-1], nn.Linear)
    head = model[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2
    assert head(bp.ones(4, 2)).shape == (4, 3)
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear"]
    model.append(nn.Sigmoid())
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(model) == 4


def test_sequential_ordered_dict_names_like_torch():
    from collections import OrderedDict

    ours = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    theirs = torch.nn.Sequential(OrderedDict([("fc", torch.nn.Linear(2, 2)),
                                              ("act", torch.nn.Tanh())]))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert isinstance(ours.fc, nn.Linear)


def test_module_list_and_dict_register_parameters():
    layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])
    layers.append(nn.Linear(2, 1))
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    assert list(layers.state_dict())[:2] == ["0.weight", "0.bias"]
    table = nn.ModuleDict({"a": nn.Linear(1, 1)})
    table["b"] = nn.Linear(1, 2)
    assert sorted(table.keys()) == ["a", "b"] and len(list(table.parameters())) == 4


def test_identity_and_flatten():
    x = bp.randn(2, 3, 4)
    assert nn.Identity(54, unused="x")(x) is x
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0, 1)(x).shape == (6, 4)


def test_softmax_without_dim_warns_and_picks_torchs_dim():
    x = bp.randn(2, 3, 4)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        y = nn.Softmax()(x)
    np.testing.assert_allclose(y.data.sum(axis=0), np.ones((3, 4)), rtol=1e-6)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        y = F.log_softmax(bp.randn(2, 3))
    np.testing.assert_allclose(np.exp(y.data).sum(axis=1), np.ones(2), rtol=1e-6)
