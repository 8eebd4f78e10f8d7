"""Shapes that do not broadcast give an error naming the op and both shapes, as PyTorch's."""

import pytest
import torch

import backprop as bp


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_broadcast_mismatch_names_op_and_shapes(op):
    a, b = bp.ones(2, 3), bp.ones(4)
    with pytest.raises(RuntimeError) as ours:
        getattr(a, op)(b)
    message = str(ours.value)
    assert op.capitalize() in message and "(2, 3)" in message and "(4,)" in message
    with pytest.raises(RuntimeError) as theirs:
        getattr(torch.ones(2, 3), op)(torch.ones(4))
    # PyTorch's wording for the dimension that does not fit appears in ours too.
    assert "must match the size of tensor b (4) at non-singleton dimension 1" in str(theirs.value)
    assert "must match the size of tensor b (4) at non-singleton dimension 1" in message


def test_ops_own_value_errors_pass_through():
    with pytest.raises(ValueError, match="reduction"):
        bp.nn.functional.mse_loss(bp.ones(2), bp.ones(2), reduction="avg")


class _Picky(bp.autograd.op.Op):
    """An op whose forward raises its own ValueError, for one, two or three inputs."""

    def forward(ctx, *arrays):
        raise ValueError("picky: no thanks")


@pytest.mark.parametrize("n_inputs", [1, 2, 3])
def test_own_value_errors_pass_through_for_any_number_of_inputs(n_inputs):
    inputs = [bp.ones(2, requires_grad=True) for _ in range(n_inputs)]
    with pytest.raises(ValueError, match="picky: no thanks"):
        _Picky.apply(*inputs)


def test_three_input_broadcast_mismatch_names_the_op_and_shapes():
    with pytest.raises(RuntimeError, match=r"Where: shapes .*\(2, 3\).*\(4,\)"):
        bp.where(bp.ones(2, 3) > 0, bp.ones(2, 3), bp.ones(4))
