"""The check against autograd catches a wrong number, and then nothing is rendered."""

import numpy as np
import pytest

import backprop as bp
from backprop.explain import conv, derivation, rnn
from backprop.explain.verify import ExplainCheckError, agree


def test_a_planted_slip_in_the_hand_walk_is_an_error(monkeypatch):
    original = derivation.activate_prime
    monkeypatch.setattr(derivation, "activate_prime",
                        lambda name, z, a: original(name, z, a) * (1 + 1e-11))
    with pytest.raises(ExplainCheckError, match="f′\\(net\\)"):
        bp.explain("mazur")


def test_the_classic_stale_weight_slip_is_caught(monkeypatch):
    """Backpropagating to the hidden layer through already-updated output weights
    (the slip behind the published 'error after one step') is flagged."""
    original = derivation.run_pass

    def stale(problem, weights, biases, backward=True):
        p = original(problem, weights, biases, backward)
        if backward and p.paths:
            stale_w = [[w - problem.lr * g for w, g in zip(rw, rg)]
                       for rw, rg in zip(weights[1], p.grad_W[1])]
            p.dE_da[0] = [sum(p.delta[1][j] * stale_w[j][k] for j in range(2))
                          for k in range(2)]
        return p

    monkeypatch.setattr(derivation, "run_pass", stale)
    with pytest.raises(ExplainCheckError, match="∂E/∂out"):
        bp.explain("mazur")


@pytest.mark.parametrize("relative", [1e-10, 2e-12])
def test_the_check_is_relative_1e_12(relative):
    d = derivation.derive(bp.explain.problem_of("nobias"))
    d.first.grad_W[1][0][0] *= 1 + relative
    with pytest.raises(ExplainCheckError, match="∂E/∂W\\[0, 0\\]"):
        bp.explain.verify.check_dense(d)


def test_conv_and_rnn_walks_are_checked(monkeypatch):
    input_gradient = conv.input_gradient
    monkeypatch.setattr(conv, "input_gradient", lambda delta, k: [
        [v * (1 + 1e-9) for v in r] for r in input_gradient(delta, k)])
    with pytest.raises(ExplainCheckError, match="∂E/∂X"):
        bp.explain("conv")
    run_rnn = rnn.run_rnn

    def slipped(*args, **kwargs):
        p = run_rnn(*args, **kwargs)
        p.h[2] *= 1 + 1e-11
        return p

    monkeypatch.setattr(rnn, "run_rnn", slipped)
    with pytest.raises(ExplainCheckError, match="h"):
        bp.explain("rnn")


def test_agree_allows_only_float64_noise_where_values_cancel():
    # 1 − a for a saturated unit: relative noise 1e-8, but tiny against the operands
    a, b = 7.885407525692538e-09, 7.885407523407133e-09
    assert not agree(a, b).item()
    assert agree(a, b, size=1.0).item()
    assert not agree(1.0, 1.0 + 1e-11, size=1.0).item()
    assert agree(0.0, 0.0).item()
    assert np.array_equal(agree([1.0, 2.0], [1.0, 2.0 * (1 + 5e-13)]), [True, True])


def test_divergent_training_is_reported_not_printed():
    with pytest.raises(ValueError, match="diverged"):
        bp.explain({"layers": [{"weight": [[3.0]], "activation": "identity"}],
                    "inputs": [10.0], "targets": [1.0], "lr": 5.0, "steps": 100})
