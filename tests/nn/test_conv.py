"""Conv2d against PyTorch 2.13 in float64 (weights copied by state_dict), gradcheck, and errors."""

import math

import numpy as np
import pytest
import torch

import backprop as bp
import backprop.nn.functional as F
from backprop import nn
from backprop.ops import conv as conv_ops
from tests.reference.harness import (
    case,
    check_against_torch,
    check_float32,
    check_gradcheck,
    const,
    x,
)

pytestmark = pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel")


def conv(*args, **kwargs):
    return lambda L: L.nn.Conv2d(*args, **kwargs)


CASES = [
    case("Conv2d 3x3 odd sizes", [x(2, 3, 7, 9)], module=conv(3, 4, 3)),
    case("Conv2d stride 2 padding 1", [x(2, 3, 9, 8)], module=conv(3, 5, 3, stride=2, padding=1)),
    case("Conv2d 1x1", [x(3, 4, 5, 5)], module=conv(4, 6, 1)),
    case("Conv2d 1x1 stride 2", [x(2, 4, 5, 6)], module=conv(4, 3, 1, stride=2)),
    case("Conv2d non-square kernel, stride and padding", [x(2, 2, 8, 7)],
         module=conv(2, 3, (3, 2), stride=(2, 1), padding=(1, 0))),
    case("Conv2d batch 1 without bias", [x(1, 3, 6, 6)], module=conv(3, 2, 3, bias=False)),
    case("Conv2d groups 2", [x(2, 4, 6, 5)], module=conv(4, 6, 3, padding=1, groups=2)),
    case("Conv2d depthwise", [x(2, 3, 6, 6)], module=conv(3, 6, 3, groups=3, stride=2)),
    case("Conv2d dilation 2", [x(2, 2, 9, 8)], module=conv(2, 3, 3, dilation=2, padding=2)),
    case("Conv2d padding same, even kernel", [x(2, 2, 7, 6)],
         module=conv(2, 3, (4, 2), padding="same")),
    case("Conv2d padding valid", [x(2, 2, 5, 5)], module=conv(2, 3, 3, padding="valid")),
    case("Conv2d kernel as large as the input", [x(2, 2, 3, 4)], module=conv(2, 5, (3, 4))),
    case("Conv2d stride larger than kernel", [x(2, 2, 9, 9)], module=conv(2, 2, 2, stride=3)),
    case("Conv2d large padding", [x(1, 1, 3, 3)], module=conv(1, 2, 3, padding=3)),
    case("F.conv2d weight and bias as inputs", [x(2, 3, 6, 7), x(4, 3, 3, 2), x(4)],
         lambda L, a, w, b: L.F.conv2d(a, w, b, stride=2, padding=1)),
    case("F.conv2d groups, no bias", [x(2, 4, 5, 5), x(4, 2, 2, 2)],
         lambda L, a, w: L.F.conv2d(a, w, None, 1, 1, 1, 2)),
    case("F.conv2d frozen weight", [x(2, 3, 5, 5), const(4, 3, 3, 3), x(4)],
         lambda L, a, w, b: L.F.conv2d(a, w, b, padding=1)),
    case("F.conv2d frozen bias", [x(2, 3, 5, 5), x(4, 3, 3, 3), const(4)],
         lambda L, a, w, b: L.F.conv2d(a, w, b, padding=1)),
    case("F.conv2d only the bias learns", [const(2, 3, 5, 5), const(4, 3, 3, 3), x(4)],
         lambda L, a, w, b: L.F.conv2d(a, w, b, stride=2)),
    case("F.conv2d groups with bias", [x(2, 4, 5, 5), x(6, 2, 3, 3), x(6)],
         lambda L, a, w, b: L.F.conv2d(a, w, b, 1, 1, 1, 2)),
]


@pytest.mark.parametrize("c", CASES, ids=repr)
def test_against_torch(c):
    check_against_torch(c)


@pytest.mark.parametrize("c", CASES, ids=repr)
def test_row_blocks_of_one_output_row(c, monkeypatch):
    """Columns built and used one output row at a time (as for large inputs) give the same."""
    monkeypatch.setattr(conv_ops, "BLOCK_BYTES", 1)
    check_against_torch(c)


def test_row_blocks_cover_the_rows():
    assert conv_ops.row_blocks(7, 1) == [(0, 7)]
    assert conv_ops.row_blocks(2, 10**12) == [(0, 1), (1, 2)]
    assert conv_ops.row_blocks(7, conv_ops.BLOCK_BYTES // 3) == [(0, 3), (3, 6), (6, 7)]


@pytest.mark.parametrize("c", [CASES[1], CASES[6], CASES[14]], ids=repr)
def test_float32(c):
    check_float32(c)


TINY = [
    case("Conv2d tiny stride 2 padding 1", [x(1, 2, 4, 5)], module=conv(2, 2, 3, stride=2,
                                                                           padding=1)),
    case("Conv2d tiny groups dilation", [x(2, 2, 5, 4)], module=conv(2, 2, 2, groups=2,
                                                                       dilation=(2, 1))),
    case("F.conv2d tiny", [x(1, 2, 3, 3), x(2, 2, 2, 2), x(2)],
         lambda L, a, w, b: L.F.conv2d(a, w, b, padding=1)),
]


@pytest.mark.parametrize("c", TINY, ids=repr)
def test_gradcheck(c):
    check_gradcheck(c)


def test_chained_layers_keep_pytorch_values():
    """Conv outputs come back as (C, N, H, W)-ordered views; the layers after them must not care."""
    torch.manual_seed(0)
    layers = lambda L: [L.Conv2d(2, 4, 3, padding=1), L.ReLU(), L.MaxPool2d(2),  # noqa: E731
                        L.Conv2d(4, 3, 3, stride=2, padding=1), L.BatchNorm2d(3), L.ReLU(),
                        L.AvgPool2d(2, padding=1), L.Flatten(), L.Linear(3 * 2 * 2, 5)]
    tm = torch.nn.Sequential(*layers(torch.nn)).double()
    bp.set_default_dtype(bp.float64)
    bm = nn.Sequential(*layers(nn))
    bm.load_state_dict({k: v.numpy() for k, v in tm.state_dict().items()})
    rng = np.random.default_rng(1)
    data = rng.standard_normal((3, 2, 10, 11))
    target = rng.integers(0, 5, 3)
    tx, bx = torch.tensor(data, requires_grad=True), bp.tensor(data, requires_grad=True)
    tl = torch.nn.functional.cross_entropy(tm(tx), torch.tensor(target))
    bl = F.cross_entropy(bm(bx), bp.tensor(target))
    tl.backward()
    bl.backward()
    np.testing.assert_allclose(bl.item(), tl.item(), rtol=1e-12)
    np.testing.assert_allclose(bx.grad.data, tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    for (name, p), tp in zip(bm.named_parameters(), tm.parameters()):
        np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=name)


def test_state_dict_keys_and_shapes_equal_pytorchs():
    for kwargs in ({}, {"bias": False}, {"groups": 2}):
        ours = nn.Conv2d(4, 6, (3, 2), **kwargs).state_dict()
        theirs = torch.nn.Conv2d(4, 6, (3, 2), **kwargs).state_dict()
        assert list(ours) == list(theirs)
        assert [tuple(v.shape) for v in ours.values()] == [tuple(v.shape) for v in theirs.values()]


def test_attributes_equal_pytorchs():
    ours, theirs = nn.Conv2d(3, 8, 3, stride=2, padding=1), torch.nn.Conv2d(3, 8, 3, 2, 1)
    for name in ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation",
                 "groups", "padding_mode"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert nn.Conv2d(3, 8, 3, padding="same").padding == "same"


def test_default_init_is_kaiming_uniform_with_pytorchs_bounds():
    """kaiming_uniform_(a=√5) and the bias give U(−1/√fan_in, 1/√fan_in), fan_in = C/g·kh·kw."""
    bp.manual_seed(3)
    layer = nn.Conv2d(64, 32, 3, groups=2)
    bound = 1 / math.sqrt(32 * 3 * 3)
    w = layer.weight.data
    assert w.dtype == np.float32 and np.abs(w).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound  # the std of U(−b, b)
    assert np.abs(layer.bias.data).max() <= bound
    assert np.abs(layer.bias.data).max() > 0.5 * bound


def test_seeded_init_repeats():
    bp.manual_seed(7)
    first = nn.Conv2d(2, 3, 3).weight.data.copy()
    bp.manual_seed(7)
    np.testing.assert_array_equal(nn.Conv2d(2, 3, 3).weight.data, first)


def test_float32_stays_float32():
    layer = nn.Conv2d(2, 3, 3, padding=1)
    out = layer(bp.randn(2, 2, 5, 5, requires_grad=True))
    out.sum().backward()
    assert out.dtype == np.float32 and layer.weight.grad.dtype == np.float32


def test_no_im2col_buffer_is_kept_between_forward_and_backward():
    """Forward saves x itself (already alive) and the weight; backward unfolds x again."""
    layer = nn.Conv2d(2, 3, 3)
    data = bp.randn(2, 2, 6, 6, requires_grad=True)
    out = layer(data)
    node = out.grad_fn
    saved = [v for v in vars(node).values() if isinstance(v, np.ndarray)]
    assert any(v is data.data for v in saved)
    assert all(v is data.data or v.size <= layer.weight.data.size for v in saved)
    out.sum().backward()
    assert not any(isinstance(v, np.ndarray) for v in vars(node).values())


def test_first_layer_computes_no_input_gradient():
    layer = nn.Conv2d(1, 2, 3)
    data = bp.randn(2, 1, 5, 5)
    layer(data).sum().backward()
    assert data.grad is None and layer.weight.grad is not None


def test_errors_name_the_layer_and_the_shapes():
    layer = nn.Conv2d(3, 8, 3)
    with pytest.raises(RuntimeError, match=r"Conv2d\(3, 8.*3-D .* or 4-D .* input.*\(5, 5\)"):
        layer(bp.randn(5, 5))
    with pytest.raises(RuntimeError, match=r"Conv2d\(3, 8.*expected input with 3 channels.*"
                                           r"\(2, 4, 5, 5\) with 4 channels"):
        layer(bp.randn(2, 4, 5, 5))
    with pytest.raises(RuntimeError, match=r"conv2d: the kernel \(3, 3\).*does not fit"):
        layer(bp.randn(1, 3, 2, 2))
    with pytest.raises(RuntimeError, match="conv2d: expected input with 4 channels"):
        F.conv2d(bp.randn(1, 3, 5, 5), bp.randn(2, 2, 3, 3), groups=2)


@pytest.mark.parametrize("kwargs, message", [
    ({"groups": 2, "in_channels": 3}, "divisible by groups"),
    ({"stride": 2, "padding": "same"}, "padding='same'"),
    ({"padding": "full"}, "padding must be"),
    ({"stride": 0}, "must be positive"),
    ({"kernel_size": (1, 2, 3)}, "pair of ints"),
])
def test_bad_hyper_parameters_raise_value_error(kwargs, message):
    args = {"in_channels": 4, "out_channels": 4, "kernel_size": 3} | kwargs
    with pytest.raises(ValueError, match=message):
        nn.Conv2d(**args)


def test_im2col_and_col2im_are_adjoint():
    """⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩ for random x and c: col2im is im2col's transpose."""
    rng = np.random.default_rng(0)
    x_data = rng.standard_normal((2, 3, 7, 6))
    kernel, stride, dilation, pads = (3, 2), (2, 1), (1, 2), (1, 1, 2, 2)
    ho = conv_ops.output_size(7, 3, 2, 2, 1)
    wo = conv_ops.output_size(6, 2, 1, 4, 2)
    padded = conv_ops.pad_batch_last(x_data, pads)
    cols = conv_ops.im2col(padded, kernel, stride, dilation, (ho, wo))
    c = rng.standard_normal(cols.shape)
    back = np.zeros(padded.shape)
    for rows in ((0, 1), (1, ho)):  # two blocks of output rows, as backward goes
        block = c.reshape(3, *kernel, ho, wo, 2)[:, :, :, rows[0]:rows[1]]
        conv_ops.col2im(block, back, kernel, stride, dilation, rows)
    back = conv_ops.batch_first(back[:, 1:-1, 2:-2, :])
    np.testing.assert_allclose((cols * c).sum(), (x_data * back).sum(), rtol=1e-12)


@pytest.mark.parametrize("name", [
    "backprop.nn._functional_images", "backprop.nn.modules.conv", "backprop.nn.modules.pooling",
    "backprop.nn.modules.normalization", "backprop.nn.modules.dropout",
    "backprop.nn.modules.sparse",
])
def test_docstring_examples_of_the_image_layers_run(name):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0 and result.attempted > 0


def test_empty_batch_gives_empty_outputs_and_zero_parameter_gradients():
    layer = nn.Conv2d(3, 4, 3, padding=1)
    data = bp.zeros(0, 3, 5, 5, requires_grad=True)
    out = layer(data)
    assert out.shape == tuple(torch.nn.Conv2d(3, 4, 3, padding=1)(torch.zeros(0, 3, 5, 5)).shape)
    out.sum().backward()
    assert data.grad.shape == (0, 3, 5, 5)
    assert not np.any(layer.weight.grad.data) and not np.any(layer.bias.grad.data)
