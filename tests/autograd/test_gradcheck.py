"""``bp.gradcheck``: passes on right gradients, and a wrong one is named precisely."""

import numpy as np
import pytest

import backprop as bp
from backprop.autograd import GradcheckError


class WrongMul(bp.autograd.Function):
    """a·b with a wrong gradient for b at one element (index 2): it gets 2a there."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        bump = np.ones(a.shape)
        bump[2] = 2.0
        return grad * b, grad * a * bp.tensor(bump)


def _inputs():
    rng = np.random.default_rng(0)
    return (bp.tensor(rng.standard_normal(4), requires_grad=True),
            bp.tensor(rng.uniform(0.5, 1.5, 4), requires_grad=True))


def test_gradcheck_passes_on_a_right_gradient():
    assert bp.gradcheck(lambda a, b: (a * b).tanh(), _inputs())


def test_gradcheck_names_input_and_element_of_a_wrong_gradient():
    a, b = _inputs()
    with pytest.raises(GradcheckError) as info:
        bp.gradcheck(WrongMul.apply, (a, b))
    message = str(info.value)
    assert "input 1" in message
    assert "(2,)" in message
    assert f"{a.data[2]:.6g}"[:5] in message  # the numerical value: ∂(ab)/∂b₂ = a₂
    assert f"{2 * a.data[2]:.6g}"[:5] in message  # and the analytical one, 2a₂


def test_gradcheck_error_is_a_runtime_error():
    with pytest.raises(RuntimeError):
        bp.gradcheck(WrongMul.apply, _inputs())


def test_gradcheck_can_return_false():
    assert bp.gradcheck(WrongMul.apply, _inputs(), raise_exception=False) is False


def test_gradcheck_wants_float64():
    x = bp.tensor([1.0, 2.0], dtype=bp.float32, requires_grad=True)
    with pytest.raises(GradcheckError, match="float64"):
        bp.gradcheck(lambda t: t * 2, (x,))


def test_gradcheck_on_non_contiguous_input():
    data = np.random.default_rng(1).standard_normal((3, 4)).T  # a transposed view
    x = bp.Tensor(data, requires_grad=True)
    assert not x.data.flags.c_contiguous
    assert bp.gradcheck(lambda t: (t * t).sum(dim=0), (x,))


def test_gradcheck_takes_a_single_tensor_and_skips_inputs_without_grad():
    x = bp.tensor(np.array([0.3, -0.2]), requires_grad=True)
    c = bp.tensor(np.array([2.0, 3.0]))
    assert bp.gradcheck(lambda t: t.exp() * 3, x)
    assert bp.gradcheck(lambda t, k: t * k, (x, c))


def test_gradcheck_leaves_grad_of_inputs_alone():
    x = bp.tensor(np.array([0.3, -0.2]), requires_grad=True)
    (x * 5).sum().backward()
    bp.gradcheck(lambda t: t.exp(), (x,))
    np.testing.assert_allclose(x.grad.data, [5.0, 5.0])
