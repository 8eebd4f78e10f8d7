"""The worked examples in examples/, checked against the tutorials' printed figures and
against references computed here independently: plain-Python float64, 50-digit
Decimal arithmetic, and PyTorch 2.13 in float64."""

import importlib.util
import math
from decimal import Decimal, getcontext
from pathlib import Path

import numpy as np
import pytest
import torch

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the 2-2-2 network with fixed biases (seed 000) ---------------------------------------
def _mazur_reference(steps, number=float, exp=math.exp):
    """Gradient descent on the 2-2-2 network written out by hand, one scalar at a time.

    Returns the forward figures of the first pass, the first gradients and updates, and
    E after every step."""
    one = number(1)
    x1, x2, t1, t2 = (number(v) for v in ("0.05", "0.10", "0.01", "0.99"))
    w = [number(v) for v in ("0.15", "0.20", "0.25", "0.30", "0.40", "0.45", "0.50", "0.55")]
    b1, b2, lr = number("0.35"), number("0.60"), number("0.5")

    def sig(z):
        return one / (one + exp(-z))

    first, errors = {}, []
    for step in range(steps + 1):
        w1, w2, w3, w4, w5, w6, w7, w8 = w
        h1, h2 = sig(w1 * x1 + w2 * x2 + b1), sig(w3 * x1 + w4 * x2 + b1)
        o1, o2 = sig(w5 * h1 + w6 * h2 + b2), sig(w7 * h1 + w8 * h2 + b2)
        errors.append((t1 - o1) ** 2 / 2 + (t2 - o2) ** 2 / 2)
        if step == steps:
            return first, errors, (o1, o2)
        d1, d2 = (o1 - t1) * o1 * (one - o1), (o2 - t2) * o2 * (one - o2)
        e1, e2 = (d1 * w5 + d2 * w7) * h1 * (one - h1), (d1 * w6 + d2 * w8) * h2 * (one - h2)
        grads = [e1 * x1, e1 * x2, e2 * x1, e2 * x2, d1 * h1, d1 * h2, d2 * h1, d2 * h2]
        if step == 0:
            first = {"out_o1": o1, "out_o2": o2, "E": errors[0], "dE/dw5": grads[4],
                     "dE/dw1": grads[0], "w5_new": w5 - lr * grads[4], "w1_new": w1 - lr * grads[0]}
        w = [wi - lr * gi for wi, gi in zip(w, grads, strict=True)]


def _decimal_reference(steps):
    getcontext().prec = 50
    return _mazur_reference(steps, number=Decimal, exp=lambda z: z.exp())


# figures as the tutorial prints them (they are all right)
SEED_FIRST_STEP = {"out_o1": "0.75136507", "out_o2": "0.772928465", "E": "0.298371109",
                   "dE/dw5": "0.082167041", "dE/dw1": "0.000438568", "w5_new": "0.35891648",
                   "w1_new": "0.149780716"}


def _fmt(value, printed):
    """``value`` rounded to as many decimals as ``printed`` has."""
    decimals = len(printed.split(".")[1])
    return f"{Decimal(str(value)):.{decimals}f}" if isinstance(value, float) else \
        f"{value:.{decimals}f}"


@pytest.fixture(scope="module")
def mazur():
    return _example("mazur_2_2_2")


def test_mazur_first_step_matches_tutorial_and_references(mazur):
    figures = mazur.first_step()
    exact, _, _ = _decimal_reference(1)
    plain, _, _ = _mazur_reference(1)
    for key, printed in SEED_FIRST_STEP.items():
        assert _fmt(figures[key], printed) == printed, key
        assert _fmt(exact[key], printed) == printed, key
        assert figures[key] == pytest.approx(float(exact[key]), rel=1e-13, abs=1e-17), key
        assert figures[key] == pytest.approx(plain[key], rel=1e-13, abs=1e-17), key


def test_mazur_first_step_matches_torch(mazur):
    w_hidden = torch.tensor([[0.15, 0.20], [0.25, 0.30]], dtype=torch.float64, requires_grad=True)
    w_output = torch.tensor([[0.40, 0.45], [0.50, 0.55]], dtype=torch.float64, requires_grad=True)
    x = torch.tensor([0.05, 0.10], dtype=torch.float64)
    y = torch.tensor([0.01, 0.99], dtype=torch.float64)
    optimizer = torch.optim.SGD([w_hidden, w_output], lr=0.5)
    out = torch.sigmoid(w_output @ torch.sigmoid(w_hidden @ x + 0.35) + 0.60)
    error = 0.5 * ((y - out) ** 2).sum()
    error.backward()
    figures = mazur.first_step()
    assert figures["E"] == pytest.approx(error.item(), rel=1e-14)
    assert figures["dE/dw5"] == pytest.approx(w_output.grad[0, 0].item(), rel=1e-13)
    assert figures["dE/dw1"] == pytest.approx(w_hidden.grad[0, 0].item(), rel=1e-13)
    optimizer.step()
    assert figures["w1_new"] == pytest.approx(w_hidden[0, 0].item(), rel=1e-14)
    assert figures["w5_new"] == pytest.approx(w_output[0, 0].item(), rel=1e-14)


def test_mazur_training_errors_are_exact_and_seed_figures_are_not(mazur):
    model, errors = mazur.train(10_000)
    _, plain_errors, (o1, o2) = _mazur_reference(10_000)
    _, exact_one, _ = _decimal_reference(1)
    # after one step: 0.291027774 (float64 and Decimal agree), not the tutorial's 0.291027924
    assert errors[1] == pytest.approx(float(exact_one[1]), rel=1e-13)
    assert f"{errors[1]:.9f}" == f"{exact_one[1]:.9f}" == "0.291027774"
    assert f"{errors[1]:.9f}" != "0.291027924"
    # after 10 000 steps, against the hand-written float64 loop
    assert len(errors) == 10_001
    assert errors[-1] == pytest.approx(plain_errors[-1], rel=1e-9)
    assert errors[100] == pytest.approx(plain_errors[100], rel=1e-11)
    assert f"{errors[-1]:.10f}" == f"{plain_errors[-1]:.10f}" == "0.0000351019"
    out = model(mazur.bp.tensor(mazur.X, dtype=mazur.bp.float64)).detach().numpy()
    np.testing.assert_allclose(out, [o1, o2], rtol=1e-9)
    assert [f"{v:.9f}" for v in out] == ["0.015913620", "0.984064274"]


def test_mazur_decimal_agrees_with_float64_over_10000_steps():
    _, decimal_errors, (o1, o2) = _decimal_reference(10_000)
    _, float_errors, (p1, p2) = _mazur_reference(10_000)
    assert float(decimal_errors[-1]) == pytest.approx(float_errors[-1], rel=1e-11)
    assert float(o1) == pytest.approx(p1, rel=1e-11) and float(o2) == pytest.approx(p2, rel=1e-13)


def test_mazur_seed_figures_come_from_backpropagating_through_updated_weights(mazur):
    error_one, _, _ = mazur.seed_variant(1)
    error_end, o1, o2 = mazur.seed_variant(10_000)
    assert f"{error_one:.9f}" == "0.291027924"
    assert f"{error_end:.9f}" == "0.000035085"
    assert (f"{o1:.9f}", f"{o2:.9f}") == ("0.015912196", "0.984065734")


def test_mazur_biases_stay_fixed(mazur):
    model, _ = mazur.train(3)
    assert [name for name, _ in model.named_parameters()] == ["hidden.weight", "output.weight"]
    assert model.b1.item() == 0.35 and model.b2.item() == 0.60


# --- the bias-free 2-2-2 network (seed 003) -----------------------------------------------
@pytest.fixture(scope="module")
def nobias():
    return _example("nobias_2_2_2")


def _torch_nobias():
    x = torch.tensor([0.05, 0.15], dtype=torch.float64)
    y = torch.tensor([0.1, 0.9], dtype=torch.float64)
    w1 = torch.tensor([[0.13, 0.15], [0.12, 0.20]], dtype=torch.float64, requires_grad=True)
    w2 = torch.tensor([[0.40, 0.25], [0.30, 0.20]], dtype=torch.float64, requires_grad=True)

    def loss_at(a, b):
        return 0.5 * ((y - torch.sigmoid(b @ torch.sigmoid(a @ x))) ** 2).sum()

    h = torch.sigmoid(w1 @ x)
    out = torch.sigmoid(w2 @ h)
    loss = loss_at(w1, w2)
    loss.backward()
    figures = {"W1x": w1 @ x, "h": h, "W2h": w2 @ h, "out": out, "loss": loss,
               "dL/dW2": w2.grad, "dL/dW1": w1.grad}
    with torch.no_grad():
        new1, new2 = w1 - 0.5 * w1.grad, w2 - 0.5 * w2.grad
        figures.update(W1_new=new1, W2_new=new2, loss_after=loss_at(new1, new2))
    return {k: v.detach().numpy() for k, v in figures.items()}, loss_at


def test_nobias_matches_torch(nobias):
    figures = nobias.one_step()
    reference, _ = _torch_nobias()
    for key, expected in reference.items():
        np.testing.assert_allclose(np.array(figures[key]), expected, rtol=1e-13, atol=1e-17,
                                   err_msg=key)


def test_nobias_forward_matches_tutorial_and_loss_does_not(nobias):
    figures = nobias.one_step()
    assert [f"{v:.3f}" for v in figures["W1x"]] == ["0.029", "0.036"]
    assert [f"{v:.5f}" for v in figures["h"]] == ["0.50725", "0.50900"]
    assert [f"{v:.5f}" for v in figures["W2h"]] == ["0.33015", "0.25397"]
    assert [f"{v:.6f}" for v in figures["out"]] == ["0.581796", "0.563155"]
    # the tutorial's loss, 0.274635, does not follow from its own outputs
    printed_out = np.array([0.581796, 0.563155])
    assert f"{0.5 * np.sum((np.array([0.1, 0.9]) - printed_out) ** 2):.6f}" == "0.172796"
    assert f"{figures['loss']:.6f}" == "0.172796"
    assert f"{figures['loss_after']:.8f}" == "0.16750960"


def test_nobias_seed_gradients_explain_the_printed_matrices(nobias):
    grad_w2, grad_w1 = nobias.seed_gradients()
    np.testing.assert_array_equal(grad_w2.round(8), [[0.11958562, 0.11999819],
                                                     [-0.08360763, -0.08389607]])
    np.testing.assert_array_equal(grad_w1.round(8), [[0.00132702, 0.00398105],
                                                     [0.00094377, 0.0028313]])
    # the tutorial's final loss is the true loss of the weights its gradients lead to
    _, loss_at = _torch_nobias()
    w1 = torch.tensor([[0.13, 0.15], [0.12, 0.20]], dtype=torch.float64)
    w2 = torch.tensor([[0.40, 0.25], [0.30, 0.20]], dtype=torch.float64)
    printed_grad_w1 = torch.tensor([[0.00132702, 0.00398105], [0.00094377, 0.0028313]],
                              dtype=torch.float64)
    printed_grad_w2 = torch.tensor([[0.11958562, 0.11999819], [-0.08360763, -0.08389607]],
                              dtype=torch.float64)
    loss = loss_at(w1 - 0.5 * printed_grad_w1, w2 - 0.5 * printed_grad_w2).item()
    assert f"{loss:.8f}" == "0.16227459"
    assert f"{0.25 - 0.5 * 0.11999819:.8f}" == "0.19000090"  # printed as 0.190009


# --- XOR and the digits ---------------------------------------------------------------------
def test_xor_learns_all_four_cases():
    xor = _example("xor")
    model, losses = xor.train()
    assert xor.predict(model) == [0, 1, 1, 0]
    assert losses[-1] < 0.01 < losses[0]
    model, _ = xor.train(seed=7)
    assert xor.predict(model) == [0, 1, 1, 0]


def test_digits_mlp_reaches_95_percent_held_out():
    digits = _example("digits_mlp")
    _, history = digits.train()
    assert history[-1] >= 0.95
    assert len(history) == 10


@pytest.mark.parametrize("name", ["mazur_2_2_2", "nobias_2_2_2", "xor", "digits_mlp"])
def test_scripts_run(name, capsys):
    _example(name).main()
    assert capsys.readouterr().out.strip()
