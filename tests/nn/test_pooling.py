"""MaxPool2d and AvgPool2d against PyTorch 2.13 in float64, ties and NaN, gradcheck, errors."""

import numpy as np
import pytest
import torch

import backprop as bp
import backprop.nn.functional as F
from backprop import nn
from tests.reference.harness import (
    case,
    check_against_torch,
    check_float32,
    check_gradcheck,
    draw_inputs,
    x,
)


def maxpool(*args, **kwargs):
    return lambda L: L.nn.MaxPool2d(*args, **kwargs)


def avgpool(*args, **kwargs):
    return lambda L: L.nn.AvgPool2d(*args, **kwargs)


MAX_CASES = [
    case("MaxPool2d 2", [x(2, 3, 8, 8)], module=maxpool(2)),
    case("MaxPool2d 2 odd sizes", [x(2, 3, 7, 9)], module=maxpool(2)),
    case("MaxPool2d 3 stride 2 padding 1", [x(2, 3, 7, 9)], module=maxpool(3, 2, 1)),
    case("MaxPool2d 3 stride 1 (overlapping)", [x(2, 2, 6, 5)], module=maxpool(3, 1)),
    case("MaxPool2d non-square", [x(2, 2, 9, 8)], module=maxpool((3, 2), (2, 1), (1, 0))),
    case("MaxPool2d dilation", [x(2, 2, 9, 9)], module=maxpool(3, 2, 1, dilation=2)),
    case("MaxPool2d ceil_mode", [x(1, 2, 7, 7)], module=maxpool(2, ceil_mode=True)),
    case("MaxPool2d ceil_mode padding", [x(2, 2, 8, 9)],
         module=maxpool(3, 2, 1, ceil_mode=True)),
    case("MaxPool2d 1x1 stride 2", [x(2, 2, 5, 5)], module=maxpool(1, 2)),
    case("MaxPool2d batch 1 whole plane", [x(1, 4, 3, 5)], module=maxpool((3, 5))),
    case("F.max_pool2d", [x(2, 3, 6, 7)], lambda L, a: L.F.max_pool2d(a, 2, 1, 1)),
]

AVG_CASES = [
    case("AvgPool2d 2", [x(2, 3, 8, 8)], module=avgpool(2)),
    case("AvgPool2d 2 odd sizes", [x(2, 3, 7, 9)], module=avgpool(2)),
    case("AvgPool2d 3 stride 2 padding 1", [x(2, 3, 7, 9)], module=avgpool(3, 2, 1)),
    case("AvgPool2d padding, count_include_pad False", [x(2, 3, 7, 9)],
         module=avgpool(3, 2, 1, count_include_pad=False)),
    case("AvgPool2d 3 stride 1 (overlapping)", [x(2, 2, 6, 5)], module=avgpool(3, 1)),
    case("AvgPool2d non-square", [x(2, 2, 9, 8)], module=avgpool((3, 2), (2, 1), (1, 0))),
    case("AvgPool2d ceil_mode", [x(1, 2, 7, 7)], module=avgpool(2, ceil_mode=True)),
    case("AvgPool2d ceil_mode padding", [x(2, 2, 8, 9)],
         module=avgpool(3, 2, 1, ceil_mode=True)),
    case("AvgPool2d ceil_mode padding, count_include_pad False", [x(2, 2, 8, 9)],
         module=avgpool(3, 2, 1, ceil_mode=True, count_include_pad=False)),
    case("AvgPool2d divisor_override", [x(2, 2, 6, 6)], module=avgpool(2, divisor_override=3)),
    case("F.avg_pool2d", [x(2, 3, 6, 7)], lambda L, a: L.F.avg_pool2d(a, 2, 1, 1)),
]


@pytest.mark.parametrize("c", MAX_CASES + AVG_CASES, ids=repr)
def test_against_torch(c):
    check_against_torch(c)


@pytest.mark.parametrize("c", [MAX_CASES[2], AVG_CASES[3]], ids=repr)
def test_float32(c):
    check_float32(c)


@pytest.mark.parametrize("c", [
    case("MaxPool2d tiny overlapping padded", [x(1, 2, 5, 4)], module=maxpool(3, 2, 1)),
    case("AvgPool2d tiny ceil padded", [x(1, 2, 5, 4)],
         module=avgpool(3, 2, 1, ceil_mode=True, count_include_pad=False)),
], ids=repr)
def test_gradcheck(c):
    check_gradcheck(c)


@pytest.mark.parametrize("c", MAX_CASES[:5], ids=repr)
def test_max_pool_ties_go_to_the_first_maximum(c):
    """Integer-valued inputs tie often; the gradient must reach the same element as PyTorch's."""
    rng = np.random.default_rng(5)
    shape = c.inputs[0].shape
    check_against_torch(c, [rng.integers(0, 3, shape).astype(np.float64)])


def test_max_pool_nan_wins_as_in_pytorch():
    c = MAX_CASES[3]
    data = draw_inputs(c)[0]
    data[0, 0, 1:4, 1:4] = np.nan
    data[0, 0, 2, 2] = 10.0
    data[1, 1, 0, 0] = np.nan
    check_against_torch(c, [data])


def test_max_pool_of_a_conv_output():
    """The conv's (C, N, H, W)-ordered output and a gradient in another order."""
    torch.manual_seed(0)
    tc, tp = torch.nn.Conv2d(2, 3, 3, padding=1).double(), torch.nn.MaxPool2d(2)
    bp.set_default_dtype(bp.float64)
    bc, bpool = nn.Conv2d(2, 3, 3, padding=1), nn.MaxPool2d(2)
    bc.load_state_dict({k: v.numpy() for k, v in tc.state_dict().items()})
    data = np.random.default_rng(0).standard_normal((4, 2, 6, 6))
    tx, bx = torch.tensor(data, requires_grad=True), bp.tensor(data, requires_grad=True)
    (tp(tc(tx)).flatten(1) ** 2).sum().backward()
    (bpool(bc(bx)).flatten(1) ** 2).sum().backward()
    np.testing.assert_allclose(bx.grad.data, tx.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kwargs", [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": (3, 2), "stride": (1, 2), "padding": (1, 0), "dilation": (1, 2)},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
])
def test_return_indices_equal_pytorchs(kwargs):
    rng = np.random.default_rng(2)
    data = rng.integers(0, 4, (2, 3, 8, 9)).astype(np.float64)  # with ties
    out, index = nn.MaxPool2d(return_indices=True, **kwargs)(bp.tensor(data))
    t_out, t_index = torch.nn.MaxPool2d(return_indices=True, **kwargs)(torch.tensor(data))
    np.testing.assert_array_equal(out.data, t_out.numpy())
    np.testing.assert_array_equal(index.data, t_index.numpy())
    assert index.dtype == np.int64


def test_stride_defaults_to_kernel_size():
    assert nn.MaxPool2d(3).stride == 3 and nn.AvgPool2d((2, 3)).stride == (2, 3)
    assert F.max_pool2d(bp.randn(1, 1, 9, 9), 3).shape == (1, 1, 3, 3)


def test_pooling_has_no_state():
    assert nn.MaxPool2d(2).state_dict() == {} == dict(torch.nn.MaxPool2d(2).state_dict())
    assert nn.AvgPool2d(2).state_dict() == {}


def test_float32_stays_float32():
    data = bp.randn(2, 3, 6, 6, requires_grad=True)
    out = F.max_pool2d(data, 2) + F.avg_pool2d(data, 2)
    out.sum().backward()
    assert out.dtype == np.float32 and data.grad.dtype == np.float32


def test_errors_name_the_op_and_the_shapes():
    with pytest.raises(RuntimeError, match=r"max_pool2d: expected a 3-D .* or 4-D .* input.*"
                                           r"\(6, 6\)"):
        nn.MaxPool2d(2)(bp.randn(6, 6))
    with pytest.raises(ValueError, match="at most half of the effective kernel size"):
        nn.MaxPool2d(2, padding=2)(bp.randn(1, 1, 6, 6))
    with pytest.raises(RuntimeError, match=r"avg_pool2d: the window \(5, 5\).*does not fit"):
        nn.AvgPool2d(5)(bp.randn(1, 1, 3, 3))
    with pytest.raises(ValueError, match="divisor_override must be positive"):
        F.avg_pool2d(bp.randn(1, 1, 4, 4), 2, divisor_override=0)
