"""The classic demonstrations: the monitor flags vanishing gradients in the deep sigmoid
MLP and not in its fixes, exploding gradients in the RNN and not once clipped."""

import math

import numpy as np
import pytest
import torch

import backprop as bp
from backprop.diagnostics import demos, plot

STEPS = 6


@pytest.fixture(scope="module")
def vanishing_runs():
    return {run.name: run for run in demos.vanishing_demo(steps=STEPS)}


@pytest.fixture(scope="module")
def exploding_runs():
    return {run.name: run for run in demos.exploding_demo(steps=STEPS)}


def test_deep_sigmoid_net_has_vanishing_gradients(vanishing_runs):
    run = vanishing_runs["sigmoid"]
    kinds = [f.kind for f in run.findings]
    assert kinds == ["vanishing"]
    finding = run.findings[0]
    assert finding.layer == "0.weight" and finding.details["last"] == "18.weight"
    # the first layer learns at least 100× slower than the last one
    assert finding.value < 1e-2
    ratios = list(run.monitor.gradient_ratios().values())
    assert all(a < b for a, b in zip(ratios, ratios[1:]))  # shrinking layer by layer
    updates = [np.median(h.update_ratio) for h in run.monitor.weights]
    assert updates[0] < 1e-2 * updates[-1]
    message = finding.message("en")
    assert "σ'(z) = σ(z)(1 − σ(z)) ≤ 0.25" in message and "9 sigmoid layers" in message
    assert "梯度消失" in finding.message("zh") and "残差连接" in finding.message("zh")


@pytest.mark.parametrize("variant", ["relu_he", "batchnorm", "residual"])
def test_fixes_have_no_vanishing_gradients(vanishing_runs, variant):
    run = vanishing_runs[variant]
    assert run.findings == []
    ratios = run.monitor.gradient_ratios()
    assert min(ratios.values()) > 1e-2
    assert run.monitor.steps == STEPS and len(run.losses) == STEPS


def test_sigmoid_ratio_matches_pytorch_on_the_same_weights():
    # A fresh sigmoid net, copied into PyTorch: one batch, the first/last gradient ratio.
    bp.manual_seed(3)
    model = demos.deep_mlp("sigmoid")
    layers = []
    for module in model:
        if isinstance(module, bp.nn.Linear):
            layers.append(torch.nn.Linear(module.in_features, module.out_features))
        else:
            layers.append(torch.nn.Sigmoid())
    reference = torch.nn.Sequential(*layers)
    reference.load_state_dict({k: torch.tensor(v.detach().numpy())
                               for k, v in model.state_dict().items()})
    x, y = bp.data.datasets.load_digits()
    monitor = bp.diagnostics.GradientMonitor(model)
    bp.nn.CrossEntropyLoss()(model(x[:64]), y[:64]).backward()
    monitor.step()
    torch.nn.CrossEntropyLoss()(reference(torch.tensor(x[:64].numpy())),
                                torch.tensor(y[:64].numpy())).backward()
    expected = reference[0].weight.grad.norm().item() / reference[18].weight.grad.norm().item()
    np.testing.assert_allclose(monitor.gradient_ratios()["0.weight"], expected, rtol=1e-3)
    assert expected < 1e-2


def test_rnn_gradients_explode_and_clipping_fixes_it(exploding_runs):
    plain, clipped = exploding_runs["rnn"], exploding_runs["rnn_clipped"]
    kinds = {f.kind for f in plain.findings}
    assert "exploding" in kinds and "nonfinite" in kinds
    assert not math.isfinite(plain.losses[-1]) and len(plain.losses) < STEPS
    exploding = next(f for f in plain.findings if f.kind == "exploding")
    # BPTT multiplies by Wᵀ = ρQᵀ per step: growth ρ^(T−1) exactly (ρ = 1.2, T = 30)
    np.testing.assert_allclose(exploding.details["time_growth"], 1.2 ** 29, rtol=1e-4)
    assert exploding.details["time_calls"] == 30
    assert "spectral radius exceeds 1" in exploding.message("en")
    assert "梯度爆炸" in exploding.message("zh")
    # with clipping: the same first gradient, but the updates stay bounded
    assert clipped.findings == []
    assert clipped.settings["raw_grad_norms"][0] == pytest.approx(plain.monitor.total_grad_norm[0])
    np.testing.assert_allclose(clipped.monitor.total_grad_norm, 1.0, rtol=1e-5)
    assert all(math.isfinite(loss) for loss in clipped.losses)
    assert len(clipped.losses) == STEPS


def test_clipped_training_converges_with_more_steps():
    (plain, clipped) = demos.exploding_demo(steps=40, time_steps=20)
    assert not math.isfinite(plain.losses[-1])
    assert clipped.losses[-1] < 1e-2 * clipped.losses[0]
    assert clipped.findings == []


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown variant"):
        demos.deep_mlp("swish")
    with pytest.raises(ValueError, match="depth must be at least 3"):
        demos.deep_mlp("sigmoid", depth=2)
    with pytest.raises(ValueError, match="steps must be at least 1"):
        demos.vanishing_demo(steps=0)
    with pytest.raises(ValueError, match="nonlinearity"):
        demos.UnrolledRNN(1, 2, 1.0, "relu")


def test_plots_are_png_files(vanishing_runs, exploding_runs, tmp_path):
    from matplotlib.image import imread

    runs = [vanishing_runs["sigmoid"], vanishing_runs["relu_he"]]
    paths = plot.plot_vanishing(runs, tmp_path / "v")
    paths += plot.plot_exploding(list(exploding_runs.values()), tmp_path / "e")
    names = sorted(p.split("/")[-1] for p in paths)
    assert names == ["exploding.png", "vanishing_layers.png", "vanishing_relu_he.png",
                     "vanishing_sigmoid.png"]
    for path in paths:
        with open(path, "rb") as handle:
            assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
        height, width, _ = imread(path).shape
        assert width > 1000 and height > 400
