"""Custom ops as in PyTorch: ``bp.autograd.Function`` with ctx, checked by gradcheck and
against built-in ops and the same Function written for PyTorch."""

import numpy as np
import pytest
import torch

import backprop as bp


def _make_functions(lib):
    """The same three custom Functions, for ``lib`` = backprop or torch."""

    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = x.exp()
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, grad_output):
            (out,) = ctx.saved_tensors
            return grad_output * out

    class MulAdd(lib.autograd.Function):
        """a·b + c·k for a constant k (a non-Tensor argument)."""

        @staticmethod
        def forward(ctx, a, b, c, k):
            ctx.save_for_backward(a, b)
            ctx.k = k
            return a * b + c * k

        @staticmethod
        def backward(ctx, grad_output):
            a, b = ctx.saved_tensors
            grad_a = grad_output * b if ctx.needs_input_grad[0] else None
            grad_b = grad_output * a if ctx.needs_input_grad[1] else None
            grad_c = grad_output * ctx.k if ctx.needs_input_grad[2] else None
            return grad_a, grad_b, grad_c, None

    class SinCos(lib.autograd.Function):
        """Two outputs: (x², x³)."""

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x, x * x * x

        @staticmethod
        def backward(ctx, grad_square, grad_cube):
            (x,) = ctx.saved_tensors
            return grad_square * 2 * x + grad_cube * 3 * x * x

    return Exp, MulAdd, SinCos


BP_FUNCS = _make_functions(bp)
TORCH_FUNCS = _make_functions(torch)


def _pair(shape, seed, requires_grad=True):
    a = np.random.default_rng(seed).standard_normal(shape)
    return (bp.tensor(a, requires_grad=requires_grad),
            torch.tensor(a, requires_grad=requires_grad))


def test_custom_exp_matches_builtin_and_torch():
    Exp, _, _ = BP_FUNCS
    TExp, _, _ = TORCH_FUNCS
    x, tx = _pair((3, 4), 0)
    y = Exp.apply(x)
    assert y.requires_grad and y.grad_fn is not None
    (y * bp.tensor(np.arange(12.0).reshape(3, 4))).sum().backward()
    (TExp.apply(tx) * torch.arange(12.0, dtype=torch.float64).reshape(3, 4)).sum().backward()
    np.testing.assert_allclose(y.data, np.exp(x.data), rtol=1e-14)
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12)
    builtin = bp.tensor(x.data, requires_grad=True)
    (builtin.exp() * bp.tensor(np.arange(12.0).reshape(3, 4))).sum().backward()
    np.testing.assert_allclose(x.grad.data, builtin.grad.data, rtol=1e-14)


def test_custom_functions_pass_gradcheck():
    Exp, MulAdd, SinCos = BP_FUNCS
    x, _ = _pair((2, 3), 1)
    a, _ = _pair((2, 3), 2)
    b, _ = _pair((2, 3), 3)
    c, _ = _pair((2, 3), 4)
    assert bp.gradcheck(Exp.apply, (x,))
    assert bp.gradcheck(lambda a, b, c: MulAdd.apply(a, b, c, 1.5), (a, b, c))
    assert bp.gradcheck(SinCos.apply, (x,))


def test_needs_input_grad_and_none_gradients():
    _, MulAdd, _ = BP_FUNCS
    _, TMulAdd, _ = TORCH_FUNCS
    a, ta = _pair((3,), 5)
    b, tb = _pair((3,), 6, requires_grad=False)
    c, tc = _pair((3,), 7)
    seen = {}

    class Spy(MulAdd):
        @staticmethod
        def backward(ctx, grad_output):
            seen["needs"] = tuple(ctx.needs_input_grad)
            return MulAdd.backward(ctx, grad_output)

    Spy.apply(a, b, c, -2.0).sum().backward()
    TMulAdd.apply(ta, tb, tc, -2.0).sum().backward()
    assert seen["needs"][:3] == (True, False, True)
    assert b.grad is None
    np.testing.assert_allclose(a.grad.data, ta.grad.numpy(), rtol=1e-14)
    np.testing.assert_allclose(c.grad.data, tc.grad.numpy(), rtol=1e-14)


def test_multiple_outputs_match_torch():
    _, _, SinCos = BP_FUNCS
    _, _, TSinCos = TORCH_FUNCS
    x, tx = _pair((4,), 8)
    sq, cu = SinCos.apply(x)
    tsq, tcu = TSinCos.apply(tx)
    (sq * 2 + cu).sum().backward()
    (tsq * 2 + tcu).sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12)


def test_multiple_outputs_one_unused():
    _, _, SinCos = BP_FUNCS
    _, _, TSinCos = TORCH_FUNCS
    x, tx = _pair((4,), 9)
    sq, _ = SinCos.apply(x)
    tsq, _ = TSinCos.apply(tx)
    sq.sum().backward()
    tsq.sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12)


def test_custom_function_inside_a_larger_graph():
    Exp, _, _ = BP_FUNCS
    TExp, _, _ = TORCH_FUNCS
    x, tx = _pair((2, 2), 10)
    (Exp.apply(x.tanh() * 2) @ x).sum().backward()
    (TExp.apply(tx.tanh() * 2) @ tx).sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12)


def test_custom_function_without_grad_inputs_records_nothing():
    Exp, _, _ = BP_FUNCS
    y = Exp.apply(bp.tensor([1.0, 2.0]))
    assert not y.requires_grad and y.grad_fn is None
    with bp.no_grad():
        assert not Exp.apply(bp.tensor([1.0], requires_grad=True)).requires_grad


def test_saved_tensors_freed_after_backward():
    Exp, _, _ = BP_FUNCS
    x = bp.tensor([1.0, 2.0], requires_grad=True)
    y = Exp.apply(x)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.sum().backward()


def test_forward_runs_without_recording():
    seen = {}

    class Probe(bp.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            inner = x * 2
            seen["inner_requires_grad"] = inner.requires_grad
            return inner

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    Probe.apply(bp.tensor([1.0], requires_grad=True))
    assert seen["inner_requires_grad"] is False


def test_wrong_number_of_gradients_is_an_error():
    class Bad(bp.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, grad):
            return grad

    a = bp.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="2 inputs|returned 1"):
        Bad.apply(a, a).sum().backward()


def test_needs_input_grad_is_readable_in_forward_and_saved_tensors_may_be_empty():
    seen = {}

    def scale(lib):
        class Scale(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                seen[lib.__name__] = tuple(ctx.needs_input_grad)
                return x * 2 + y

            @staticmethod
            def backward(ctx, grad):
                assert ctx.saved_tensors == ()
                return grad * 2, grad

        return Scale

    x = bp.tensor([1.0, 2.0], requires_grad=True)
    scale(bp).apply(x, bp.ones(2)).sum().backward()
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    scale(torch).apply(tx, torch.ones(2)).sum().backward()
    assert seen["backprop"] == seen["torch"] == (True, False)
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())
