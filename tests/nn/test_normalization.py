"""BatchNorm1d/2d and LayerNorm against PyTorch 2.13 in float64: outputs, gradients, running
statistics over several training steps, eval mode, state_dict keys, gradcheck, errors."""

import numpy as np
import pytest
import torch

import backprop as bp
import backprop.nn.functional as F
from backprop import nn
from tests.reference.harness import case, check_against_torch, check_float32, check_gradcheck, x


def module(name, *args, **kwargs):
    return lambda L: getattr(L.nn, name)(*args, **kwargs)


CASES = [
    case("BatchNorm1d (N, C)", [x(8, 5)], module=module("BatchNorm1d", 5)),
    case("BatchNorm1d (N, C, L)", [x(4, 3, 7)], module=module("BatchNorm1d", 3)),
    case("BatchNorm2d", [x(3, 4, 5, 6)], module=module("BatchNorm2d", 4)),
    case("BatchNorm2d batch 1", [x(1, 2, 3, 3)], module=module("BatchNorm2d", 2)),
    case("BatchNorm2d affine=False", [x(2, 3, 4, 4)], module=module("BatchNorm2d", 3,
                                                                      affine=False)),
    case("BatchNorm2d track_running_stats=False", [x(2, 3, 4, 4)],
         module=module("BatchNorm2d", 3, track_running_stats=False)),
    case("BatchNorm2d eps momentum", [x(2, 3, 4, 4)],
         module=module("BatchNorm2d", 3, eps=0.1, momentum=None)),
    case("F.batch_norm weight and bias as inputs", [x(6, 3, 2), x(3), x(3)],
         lambda L, a, w, b: L.F.batch_norm(a, None, None, w, b, training=True)),
    case("F.batch_norm bias only", [x(6, 3), x(3)],
         lambda L, a, b: L.F.batch_norm(a, None, None, None, b, training=True)),
    case("LayerNorm last dim", [x(4, 6)], module=module("LayerNorm", 6)),
    case("LayerNorm last two dims", [x(2, 3, 4, 5)], module=module("LayerNorm", (4, 5))),
    case("LayerNorm no affine", [x(3, 7)], module=module("LayerNorm", 7,
                                                         elementwise_affine=False)),
    case("LayerNorm no bias", [x(3, 2, 5)], module=module("LayerNorm", 5, bias=False)),
    case("F.layer_norm weight and bias as inputs", [x(3, 4, 5), x(4, 5), x(4, 5)],
         lambda L, a, w, b: L.F.layer_norm(a, (4, 5), w, b, eps=1e-3)),
]


@pytest.mark.parametrize("c", CASES, ids=repr)
def test_against_torch(c):
    check_against_torch(c)


@pytest.mark.parametrize("c", [CASES[2], CASES[10]], ids=repr)
def test_float32(c):
    check_float32(c)


@pytest.mark.parametrize("c", [
    case("BatchNorm2d tiny", [x(2, 2, 2, 3)], module=module("BatchNorm2d", 2)),
    case("BatchNorm1d tiny", [x(4, 3)], module=module("BatchNorm1d", 3)),
    case("LayerNorm tiny", [x(2, 3, 4)], module=module("LayerNorm", (3, 4))),
    case("F.layer_norm tiny", [x(3, 4), x(4), x(4)],
         lambda L, a, w, b: L.F.layer_norm(a, (4,), w, b)),
], ids=repr)
def test_gradcheck(c):
    # the module's γ and β start at 1 and 0; gradcheck still checks their gradients
    check_gradcheck(c)


def _pair(name, *args, **kwargs):
    """PyTorch's float64 layer and ours with PyTorch's initial state."""
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    bp.set_default_dtype(bp.float64)
    ours = getattr(nn, name)(*args, **kwargs)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("name, shape, kwargs", [
    ("BatchNorm2d", (4, 3, 5, 5), {}),
    ("BatchNorm2d", (4, 3, 5, 5), {"momentum": None}),
    ("BatchNorm2d", (4, 3, 5, 5), {"momentum": 0.3, "affine": False}),
    ("BatchNorm1d", (6, 4), {}),
    ("BatchNorm1d", (3, 4, 5), {"momentum": None}),
])
def test_running_statistics_and_eval_mode_follow_pytorch(name, shape, kwargs):
    """Several training steps (forward, backward, an SGD step), then eval output and gradients."""
    ours, theirs = _pair(name, shape[1], **kwargs)
    rng = np.random.default_rng(4)
    for _ in range(5):
        data = 2.0 * rng.standard_normal(shape) + rng.standard_normal(shape[1:2] + (1,) * (
            len(shape) - 2))
        upstream = rng.standard_normal(shape)
        tx, bx = torch.tensor(data, requires_grad=True), bp.tensor(data, requires_grad=True)
        theirs(tx).backward(torch.tensor(upstream))
        ours(bx).backward(bp.tensor(upstream))
        np.testing.assert_allclose(bx.grad.data, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
        with torch.no_grad():
            for p in theirs.parameters():
                p -= 0.1 * p.grad
                p.grad = None
        for p in ours.parameters():
            p.data -= 0.1 * p.grad.data
            p.grad = None
    for key, value in theirs.state_dict().items():
        ours_value = ours.state_dict()[key].data
        assert ours_value.dtype == value.numpy().dtype, key
        np.testing.assert_allclose(ours_value, value.numpy(), rtol=1e-12, atol=1e-14,
                                   err_msg=key)
    assert int(ours.num_batches_tracked.item()) == 5
    ours.eval()
    theirs.eval()
    data, upstream = rng.standard_normal(shape), rng.standard_normal(shape)
    tx, bx = torch.tensor(data, requires_grad=True), bp.tensor(data, requires_grad=True)
    t_out, b_out = theirs(tx), ours(bx)
    np.testing.assert_allclose(b_out.data, t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    t_out.backward(torch.tensor(upstream))
    b_out.backward(bp.tensor(upstream))
    np.testing.assert_allclose(bx.grad.data, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    for (pname, p), tp in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=pname)
    before = ours.running_mean.data.copy()
    ours(bx)
    np.testing.assert_array_equal(ours.running_mean.data, before)  # eval leaves them alone
    assert int(ours.num_batches_tracked.item()) == 5


def test_without_running_stats_eval_uses_the_batch():
    ours, theirs = _pair("BatchNorm2d", 3, track_running_stats=False)
    ours.eval()
    theirs.eval()
    data = np.random.default_rng(0).standard_normal((2, 3, 4, 4))
    np.testing.assert_allclose(ours(bp.tensor(data)).data,
                               theirs(torch.tensor(data)).detach().numpy(), rtol=1e-10)


def test_f_batch_norm_updates_the_running_arrays_in_place():
    data = np.random.default_rng(1).standard_normal((5, 3, 2))
    ours_mean, ours_var = np.zeros(3), np.ones(3)
    torch_mean, torch_var = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    F.batch_norm(bp.tensor(data), ours_mean, ours_var, training=True, momentum=0.2)
    torch.nn.functional.batch_norm(torch.tensor(data), torch_mean, torch_var, training=True,
                                   momentum=0.2)
    np.testing.assert_allclose(ours_mean, torch_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours_var, torch_var.numpy(), rtol=1e-12)


@pytest.mark.parametrize("name, args, kwargs", [
    ("BatchNorm1d", (4,), {}),
    ("BatchNorm2d", (4,), {"affine": False}),
    ("BatchNorm2d", (4,), {"track_running_stats": False}),
    ("LayerNorm", ((3, 4),), {}),
    ("LayerNorm", (4,), {"bias": False}),
    ("LayerNorm", (4,), {"elementwise_affine": False}),
])
def test_state_dict_keys_shapes_and_dtypes_equal_pytorchs(name, args, kwargs):
    ours = getattr(nn, name)(*args, **kwargs).state_dict()
    theirs = getattr(torch.nn, name)(*args, **kwargs).state_dict()
    assert list(ours) == list(theirs)
    for key, value in theirs.items():
        assert ours[key].shape == tuple(value.shape), key
        np.testing.assert_array_equal(ours[key].data, value.numpy(), err_msg=key)
        assert (ours[key].dtype == np.int64) == (value.dtype == torch.int64), key


def test_loading_pytorch_state_then_training_continues_the_count():
    ours, theirs = _pair("BatchNorm1d", 2)
    theirs.num_batches_tracked.fill_(7)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    ours(bp.randn(4, 2))
    assert ours.num_batches_tracked.item() == 8 and ours.num_batches_tracked.dtype == np.int64


def test_float32_stays_float32():
    layer = nn.BatchNorm2d(3)
    out = layer(bp.randn(2, 3, 4, 4, requires_grad=True))
    out.sum().backward()
    assert out.dtype == np.float32 and layer.weight.grad.dtype == np.float32
    assert layer.running_var.dtype == np.float32
    out = nn.LayerNorm(4)(bp.randn(2, 4))
    assert out.dtype == np.float32


def test_errors_name_the_layer_and_the_shapes():
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\): expected 4D .*got shape \(2, 3\)"):
        nn.BatchNorm2d(3)(bp.randn(2, 3))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3\): expected 3 channels.*\(2, 4\)"):
        nn.BatchNorm1d(3)(bp.randn(2, 4))
    with pytest.raises(ValueError, match="more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(bp.randn(1, 3))
    with pytest.raises(RuntimeError, match=r"LayerNorm\(\(4,\)\).*trailing dims.*\(2, 5\)"):
        nn.LayerNorm(4)(bp.randn(2, 5))
    with pytest.raises(RuntimeError, match=r"layer_norm: normalized_shape \[3\] does not match"):
        F.layer_norm(bp.randn(2, 5), (3,))
    with pytest.raises(ValueError, match="momentum"):
        nn.BatchNorm2d(3, momentum=2.0)
