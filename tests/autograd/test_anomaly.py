"""Anomaly mode (NaN/Inf named with the op and the creating line) and the saved-tensor
version check (an in-place change to a tensor backward still needs), the latter checked
case by case against PyTorch: we raise exactly where PyTorch raises."""

import inspect

import numpy as np
import pytest
import torch

import backprop as bp
from backprop.autograd.anomaly import anomaly_state


def _line_of(marker: str) -> int:
    """The line number in this file of the (unique) line containing ``marker``."""
    lines = inspect.getsource(inspect.getmodule(_line_of)).splitlines()
    hits = [i + 1 for i, line in enumerate(lines) if marker in line and "_line_of" not in line]
    assert len(hits) == 1, hits
    return hits[0]


# --- anomaly mode -----------------------------------------------------------------------
def test_forward_nan_names_the_op_and_the_line():
    x = bp.tensor([1.0, -2.0, 3.0], requires_grad=True)
    h = x * 2
    with pytest.raises(RuntimeError) as info:
        with bp.autograd.detect_anomaly():
            with np.errstate(invalid="ignore"):
                y = h.log()  # MARK-forward-log
            y.sum().backward()
    message = str(info.value)
    assert "LogBackward" in message and "NaN" in message and "forward" in message
    assert f"line {_line_of('MARK-forward-log')}" in message
    assert __file__ in message
    assert "y = h.log()" in message
    assert "all its inputs were finite" in message


def test_backward_inf_of_a_builtin_op_is_found():
    # √x has a finite value at 0 but an infinite derivative: only the backward is bad.
    # PyTorch agrees on the gradient (inf), which is what anomaly mode points at.
    x = bp.tensor([0.0, 4.0], requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        with bp.autograd.detect_anomaly(), np.errstate(divide="ignore"):
            y = x.sqrt()  # MARK-sqrt
            (y * 3).sum().backward()
    message = str(info.value)
    assert "SqrtBackward" in message and "Inf" in message and "gradient" in message
    assert f"line {_line_of('MARK-sqrt')}" in message
    assert "the gradient it received was finite" in message
    # Off: no error, and the gradient is PyTorch's (inf at 0).
    x2 = bp.tensor([0.0, 4.0], requires_grad=True)
    with np.errstate(divide="ignore"):
        (x2.sqrt() * 3).sum().backward()
    xt = torch.tensor([0.0, 4.0], requires_grad=True)
    (xt.sqrt() * 3).sum().backward()
    np.testing.assert_array_equal(x2.grad.numpy(), xt.grad.numpy())


class NaNBackward(bp.autograd.Function):
    """Identity whose backward is broken on purpose."""

    @staticmethod
    def forward(ctx, a):
        return a * 1.0

    @staticmethod
    def backward(ctx, grad):
        return grad * float("nan")


def test_custom_function_whose_backward_returns_nan():
    x = bp.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        with bp.autograd.detect_anomaly():
            y = NaNBackward.apply(x.exp())  # MARK-custom
            (y * y).sum().backward()
    message = str(info.value)
    # The broken op is named, not the multiplication inside its backward.
    assert "NaNBackwardBackward" in message and "NaN" in message
    assert "MulBackward" not in message.split("\n")[0]
    assert f"line {_line_of('MARK-custom')}" in message


def test_input_that_is_already_nan_is_reported_as_such():
    x = bp.tensor([1.0, float("nan")], requires_grad=True)
    with pytest.raises(RuntimeError, match="input 0 already held non-finite"):
        with bp.autograd.detect_anomaly():
            x.exp()


def test_off_by_default_and_state_restored():
    assert not bp.autograd.is_anomaly_enabled()
    x = bp.tensor([-1.0], requires_grad=True)
    with np.errstate(invalid="ignore"):
        y = x.log()  # NaN, but anomaly mode is off: no error
    assert np.isnan(y.item())
    with bp.autograd.detect_anomaly():
        assert bp.autograd.is_anomaly_enabled()
        with bp.autograd.detect_anomaly(check_nan=False):
            with np.errstate(invalid="ignore"):
                x.log()  # recorded, not checked
        assert anomaly_state.check_nan
    assert not bp.autograd.is_anomaly_enabled()
    bp.autograd.set_detect_anomaly(True)
    try:
        assert bp.autograd.is_anomaly_enabled()
    finally:
        bp.autograd.set_detect_anomaly(False)
    assert not bp.autograd.is_anomaly_enabled()


def test_decorator_form_and_clean_runs_pass():
    @bp.autograd.detect_anomaly()
    def step(w):
        loss = ((w * 2).sigmoid() - 0.5).pow(2).sum()
        loss.backward()
        return loss

    w = bp.tensor([0.3, -0.2], requires_grad=True)
    step(w)
    wt = torch.tensor([0.3, -0.2], requires_grad=True)
    ((wt * 2).sigmoid() - 0.5).pow(2).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), wt.grad.numpy(), rtol=1e-6)
    assert not bp.autograd.is_anomaly_enabled()


def test_ops_remember_their_creation_site_only_in_anomaly_mode():
    x = bp.tensor([1.0], requires_grad=True)
    assert "_anomaly_stack" not in (x * 2).grad_fn.__dict__
    with bp.autograd.detect_anomaly():
        y = x * 2  # MARK-site
    frames = y.grad_fn._anomaly_stack
    assert frames[0][0] == __file__ and frames[0][1] == _line_of("MARK-site")


# --- in-place changes to tensors that backward needs (always on) -------------------------
def _sigmoid_output_modified(lib):
    x = lib.tensor([0.5, -1.0], requires_grad=True)
    y = x.sigmoid()
    y.mul_(2)
    y.sum().backward()
    return x


def _exp_output_modified(lib):
    x = lib.tensor([0.5, -1.0], requires_grad=True)
    y = x.exp()
    y.add_(1)
    y.sum().backward()
    return x


def _relu_output_zeroed(lib):
    x = lib.tensor([0.5, -1.0], requires_grad=True)
    y = x.relu()
    y.zero_()
    y.sum().backward()
    return x


def _log_input_modified(lib):
    x = lib.tensor([0.5, 2.0], requires_grad=True)
    h = x * 1.0
    y = h.log()
    h.add_(1)
    y.sum().backward()
    return x


def _mul_constant_modified(lib):
    x = lib.tensor([0.5, 2.0], requires_grad=True)
    w = lib.tensor([3.0, 4.0])
    y = x * w
    w.add_(1)
    y.sum().backward()
    return x


def _matmul_constant_modified_by_setitem(lib):
    x = lib.tensor([[0.5, 2.0]], requires_grad=True)
    a = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
    y = x @ a
    a[0, 0] = 7.0
    y.sum().backward()
    return x


def _tanh_output_modified_then_used(lib):
    x = lib.tensor([0.5, -1.0], requires_grad=True)
    y = x.tanh()
    z = y * 2
    y.copy_(lib.tensor([0.0, 0.0]))
    z.sum().backward()
    return x


# legitimate: the modified tensor is not one that backward reads
def _add_constant_modified(lib):
    x = lib.tensor([0.5, 2.0], requires_grad=True)
    w = lib.tensor([3.0, 4.0])
    y = x + w
    w.add_(1)
    y.sum().backward()
    return x


def _multiplied_by_a_number_then_modified(lib):
    x = lib.tensor([0.5, 2.0], requires_grad=True)
    h = x * 1.0
    y = h * 3.0
    h.mul_(2)
    y.sum().backward()
    return x


def _factor_whose_partner_needs_no_gradient_modified(lib):
    x = lib.tensor([0.5, 2.0], requires_grad=True)
    w = lib.tensor([3.0, 4.0])
    h = x * 1.0
    y = h * w  # ∂y/∂h reads w only; h would be read only for ∂y/∂w, which nobody needs
    h.add_(1)
    y.sum().backward()
    return x


def _modified_after_backward(lib):
    x = lib.tensor([0.5, 2.0], requires_grad=True)
    w = lib.tensor([3.0, 4.0])
    (x * w).sum().backward()
    w.add_(1)
    (x * w).sum().backward()  # a new graph sees the new value
    return x


def _sgd_steps(lib):
    w = lib.tensor([0.5, -2.0], requires_grad=True)
    for _ in range(3):
        loss = (w * w).sum() + w.sigmoid().sum()
        loss.backward()
        with lib.no_grad():
            w.sub_(0.1 * w.grad)
        w.grad.zero_()
    loss = (w * w * w).sum()
    loss.backward()
    return w


def _clone_modified(lib):
    x = lib.tensor([0.5, 2.0], requires_grad=True)
    y = x.sigmoid()
    c = y.detach().clone()
    c.mul_(5)
    (y * c).sum().backward()
    return x


def _output_of_a_non_saving_op_modified(lib):
    x = lib.tensor([0.5, 2.0], requires_grad=True)
    y = x + 1
    z = y.sum()
    y.mul_(3)
    z.backward()
    return x


RAISES = [
    _sigmoid_output_modified, _exp_output_modified, _relu_output_zeroed, _log_input_modified,
    _mul_constant_modified, _matmul_constant_modified_by_setitem,
    _tanh_output_modified_then_used,
]
ALLOWED = [
    _add_constant_modified, _multiplied_by_a_number_then_modified,
    _factor_whose_partner_needs_no_gradient_modified, _modified_after_backward,
    _sgd_steps, _clone_modified, _output_of_a_non_saving_op_modified,
]


@pytest.mark.parametrize("scenario", RAISES, ids=lambda f: f.__name__.strip("_"))
def test_inplace_change_of_a_saved_tensor_raises_as_in_pytorch(scenario):
    with pytest.raises(RuntimeError, match="inplace|in-place"):
        scenario(torch)
    with pytest.raises(RuntimeError) as info:
        scenario(bp)
    message = str(info.value)
    assert "in-place" in message and "expected version 0" in message
    assert "Backward" in message.split(":")[0]
    assert "shape (" in message


@pytest.mark.parametrize("scenario", ALLOWED, ids=lambda f: f.__name__.strip("_"))
def test_legitimate_inplace_changes_pass_with_pytorchs_gradient(scenario):
    ours = scenario(bp)
    theirs = scenario(torch)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-6)


def test_message_names_op_shape_and_versions():
    x = bp.tensor(np.ones((2, 3), np.float32), requires_grad=True)
    w = bp.tensor(np.full((3, 4), 0.5, np.float32))
    y = x @ w
    w.mul_(2)
    w.mul_(2)
    with pytest.raises(RuntimeError) as info:
        y.sum().backward()
    message = str(info.value)
    assert message.startswith("MatMulBackward: its input 1 (shape (3, 4), float32)")
    assert "at version 2, expected version 0" in message


def test_inplace_message_gives_the_creation_line_in_anomaly_mode():
    x = bp.tensor([0.5, -1.0], requires_grad=True)
    with bp.autograd.detect_anomaly():
        y = x.sigmoid()  # MARK-inplace
        y.mul_(2)
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
    assert f"{__file__}:{_line_of('MARK-inplace')}" in str(info.value)


def test_retain_graph_second_backward_sees_the_change():
    x = bp.tensor([0.5, 2.0], requires_grad=True)
    w = bp.tensor([3.0, 4.0])
    y = (x * w).sum()
    y.backward(retain_graph=True)
    w.add_(1)
    with pytest.raises(RuntimeError, match="MulBackward"):
        y.backward()
