"""JSON/TOML network specs: the examples load, equal their Python form, and errors are clear."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import backprop as bp
from backprop import nn
from backprop.explain.spec import load_spec

SPECS = Path(__file__).resolve().parents[2] / "examples" / "specs"


@pytest.mark.parametrize("path", sorted(SPECS.glob("*.*")), ids=lambda p: p.name)
def test_every_example_spec_explains(path):
    result = bp.explain(path)
    assert result.checked > 20
    assert "Every number above" in result


def test_the_mazur_spec_is_the_builtin():
    spec = bp.explain(SPECS / "mazur.json").derivation
    builtin = bp.explain("mazur").derivation
    assert spec.grads == builtin.grads and spec.errors == builtin.errors
    assert spec.problem.layers[1].bias.tolist() == [0.6, 0.6]  # one number → every neuron


def test_spec_dict_equals_sequential_model():
    bp.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1), nn.Sigmoid())
    state = {k: v.numpy().astype(np.float64) for k, v in model.state_dict().items()}
    spec = {"inputs": [0.2, -0.1], "targets": [1.0], "loss": "bce", "lr": 0.3, "steps": 2,
            "layers": [{"weight": state["0.weight"].tolist(), "bias": state["0.bias"].tolist(),
                        "activation": "tanh"},
                       {"weight": state["2.weight"].tolist(), "bias": state["2.bias"].tolist(),
                        "activation": "sigmoid"}]}
    from_spec = bp.explain(spec).derivation
    from_model = bp.explain(model, inputs=[0.2, -0.1], targets=[1.0], loss="bce", lr=0.3,
                            steps=2).derivation
    assert from_spec.grads == from_model.grads and from_spec.errors == from_model.errors
    out = torch.sigmoid(TF.linear(torch.tanh(TF.linear(
        torch.tensor([0.2, -0.1], dtype=torch.float64), torch.tensor(state["0.weight"]),
        torch.tensor(state["0.bias"]))), torch.tensor(state["2.weight"]),
        torch.tensor(state["2.bias"])))
    loss = TF.binary_cross_entropy(out, torch.tensor([1.0], dtype=torch.float64))
    assert abs(from_spec.first.loss - loss.item()) <= 1e-12 * loss.item()


def test_toml_and_json_give_the_same_problem(tmp_path):
    toml_text = """
loss = "cross_entropy"
inputs = [0.6, -0.4]
targets = [0, 1]
[[layers]]
weight = [[0.3, -0.2], [0.1, 0.4]]
activation = "identity"
"""
    (tmp_path / "a.toml").write_text(toml_text)
    (tmp_path / "a.json").write_text(json.dumps({
        "loss": "cross_entropy", "inputs": [0.6, -0.4], "targets": [0, 1],
        "layers": [{"weight": [[0.3, -0.2], [0.1, 0.4]], "activation": "identity"}]}))
    a, b = load_spec(tmp_path / "a.toml"), load_spec(tmp_path / "a.json")
    assert np.array_equal(a.layers[0].weight, b.layers[0].weight) and a.loss == b.loss
    assert bp.explain(tmp_path / "a.toml") == bp.explain(tmp_path / "a.json")


@pytest.mark.parametrize("spec, message", [
    ({"inputs": [1, 2], "targets": [1], "layers": [{"weight": [[1, 2, 3]]}]},
     r"layers\[0\].weight has 3 columns but its input has 2 values"),
    ({"inputs": [1], "targets": [1], "layers": [{"weight": [[1]], "activation": "gelu"}]},
     "activation must be one of sigmoid, tanh, relu, identity"),
    ({"inputs": [1], "targets": [1, 2], "layers": [{"weight": [[1]]}]}, "2 targets for 1"),
    ({"inputs": [1], "targets": [1], "layers": [{"weight": [[1]], "biass": [0]}]},
     r"unknown key\(s\) 'biass'"),
    ({"inputs": [1], "targets": [1], "loss": "hinge", "layers": [{"weight": [[1]]}]},
     "loss must be one of"),
    ({"inputs": [1], "targets": [1], "lr": -1, "layers": [{"weight": [[1]]}]}, "lr must be"),
    ({"inputs": [1], "targets": [5], "loss": "cross_entropy",
      "layers": [{"weight": [[1], [2]]}]}, "class-index target must be in 0..1"),
    ({"kind": "conv", "image": [[1, 2], [3, 4]], "kernel": [[1]], "target": [[1]]},
     "the target must be 2×2"),
    ({"inputs": [1], "targets": [1], "layers": [{"weight": [[1]]}],
      "input_names": ["a", "b"]}, "2 input names for 1 inputs"),
])
def test_bad_specs_say_what_is_wrong(spec, message):
    with pytest.raises(ValueError, match=message):
        bp.explain(spec)


def test_a_file_that_is_not_a_spec(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such spec file"):
        bp.explain(tmp_path / "missing.toml")
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(ValueError, match="cannot parse"):
        bp.explain(tmp_path / "broken.json")
    with pytest.raises(ValueError, match="neither a built-in example"):
        bp.explain("mazurr")


def test_models_outside_the_dense_family_are_refused():
    with pytest.raises(ValueError, match="model\\[1\\] is Dropout"):
        bp.explain(nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5)), inputs=[1, 2], targets=[0, 1])
    with pytest.raises(ValueError, match="inputs=... and targets=..."):
        bp.explain(nn.Linear(2, 1))


def test_explaining_does_not_change_the_model():
    bp.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid())
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    bp.explain(model, inputs=[1.0, 2.0], targets=[0.0, 1.0], steps=5)
    after = model.state_dict()
    assert all(np.array_equal(before[k], after[k].numpy()) for k in before)
