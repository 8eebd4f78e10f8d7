"""`explain` on the built-ins reproduces the published figures of the classic worked examples.

The figures below are printed in Mazur's "A Step by Step Backpropagation Example"
and its Chinese retellings (shared/seeds/000, 003): an outside reference. Each is
compared to within half a unit of its last printed digit (the tutorials round).
Figures the tutorials got wrong are not asserted here; see docs/worked_examples.md.
"""

import math

import pytest

import backprop as bp


def close_to_print(value: float, printed: str, units: float = 0.5) -> bool:
    """``value`` rounds to ``printed`` (within half a unit of its last printed digit)."""
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    return abs(value - float(printed)) <= units * 10.0 ** -decimals + 1e-15


@pytest.fixture(scope="module")
def mazur():
    return bp.explain("mazur")


def test_mazur_forward_pass(mazur):
    d = mazur.derivation.first
    for value, printed in [
        (d.z[0][0], "0.3775"), (d.a[0][0], "0.593269992"), (d.a[0][1], "0.596884378"),
        (d.z[1][0], "1.105905967"), (d.a[1][0], "0.75136507"), (d.a[1][1], "0.772928465"),
        (d.terms[0], "0.274811083"), (d.terms[1], "0.023560026"), (d.loss, "0.298371109"),
    ]:
        assert close_to_print(value, printed), (value, printed)


def test_mazur_output_weight_chain_rule(mazur):
    d = mazur.derivation
    p = d.first
    # ∂E/∂w5 = ∂E/∂out_o1 · ∂out_o1/∂net_o1 · ∂net_o1/∂w5 = 0.74136507 · 0.186815602 · 0.593269992
    assert close_to_print(p.dE_da[1][0], "0.74136507")
    assert close_to_print(p.fprime[1][0], "0.186815602")
    assert close_to_print(d.grads["w5"], "0.082167041")
    for name, printed in [("w5", "0.35891648"), ("w6", "0.408666186"), ("w7", "0.511301270"),
                          ("w8", "0.561370121")]:
        assert close_to_print(d.updated[name], printed), name


def test_mazur_hidden_weight_sums_over_both_outputs(mazur):
    d = mazur.derivation
    p = d.first
    # ∂E_o1/∂out_h1 = 0.055399425, ∂E_o2/∂out_h1 = −0.019049119, sum 0.036350306
    assert close_to_print(p.paths[0][0][0], "0.055399425")
    # printed from the rounded δ_o2 = −0.038098237 times w7 = 0.5 (exact: −0.0190491183)
    assert close_to_print(p.paths[0][1][0], "-0.019049119", units=1)
    assert close_to_print(p.dE_da[0][0], "0.036350306")
    assert close_to_print(p.fprime[0][0], "0.241300709")
    assert close_to_print(d.grads["w1"], "0.000438568")
    for name, printed in [("w1", "0.149780716"), ("w2", "0.19956143"), ("w3", "0.24975114"),
                          ("w4", "0.29950229")]:
        assert close_to_print(d.updated[name], printed), name


def test_mazur_biases_stay_fixed(mazur):
    d = mazur.derivation
    assert set(d.grads) == {f"w{i}" for i in range(1, 9)}
    assert d.new_biases == d.biases == [[0.35, 0.35], [0.6, 0.6]]


def test_nobias_forward_numbers_of_the_tutorial():
    d = bp.explain("nobias").derivation.first
    assert close_to_print(d.z[0][0], "0.029") and close_to_print(d.z[0][1], "0.036")
    assert close_to_print(d.a[0][0], "0.50725") and close_to_print(d.a[0][1], "0.50900")
    assert close_to_print(d.z[1][0], "0.33015") and close_to_print(d.z[1][1], "0.25397")
    assert close_to_print(d.a[1][0], "0.581796") and close_to_print(d.a[1][1], "0.563155")
    # the tutorial prints S(0.33015) = 0.581796, S(0.25397) = 0.563155: the sigmoid itself
    assert math.isclose(d.a[1][0], 1 / (1 + math.exp(-d.z[1][0])), rel_tol=1e-15)


def test_nobias_weights_keep_the_tutorials_names():
    d = bp.explain("nobias").derivation
    layer = d.problem.layers[0]
    assert layer.weight_names == [["w1", "w3"], ["w2", "w4"]]  # W1 = [[ω1, ω3], [ω2, ω4]]
    assert d.grads["w3"] == d.first.grad_W[0][0][1]


def test_printed_text_carries_the_figures(mazur):
    text = str(mazur)
    for fragment in ["net_h1 = w1·i1 + w2·i2 + b1·1 = 0.15·0.05 + 0.2·0.1 + 0.35·1 = 0.3775",
                     "out_h1 = σ(net_h1) = σ(0.3775) = 0.593269992",
                     "E_total = E_o1 + E_o2 = 0.274811083 + 0.0235600256 = 0.298371109",
                     "0.74136507 · 0.186815602 · 0.593269992", "= 0.0821670406",
                     "w5⁺ = w5 − η·∂E/∂w5 = 0.4 − 0.5·0.0821670406 = 0.35891648",
                     "0.000438567734", "0.149780716"]:
        assert fragment in text, fragment
