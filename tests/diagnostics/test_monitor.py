"""GradientMonitor: what it records is checked against PyTorch (same weights, float64,
hooks on the same tensors); what it flags is checked on nets built to show each problem."""

import math

import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn
from backprop.diagnostics import Finding, GradientMonitor, text


def _pair(seed=0):
    """The same small net in backprop and PyTorch, float64, with some sigmoid units
    driven into saturation and some ReLUs dead."""
    bp.set_default_dtype(bp.float64)
    torch.manual_seed(seed)
    theirs = torch.nn.Sequential(
        torch.nn.Linear(5, 8), torch.nn.Sigmoid(), torch.nn.Linear(8, 8), torch.nn.ReLU(),
        torch.nn.Linear(8, 3), torch.nn.Tanh(),
    ).double()
    with torch.no_grad():
        theirs[0].weight[:3] *= 12.0  # these sigmoid units saturate
        theirs[2].bias[:3] = -6.0  # these ReLUs die
        theirs[4].weight *= 3.0  # some tanh units saturate
    ours = nn.Sequential(nn.Linear(5, 8), nn.Sigmoid(), nn.Linear(8, 8), nn.ReLU(),
                         nn.Linear(8, 3), nn.Tanh())
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def test_records_match_pytorch():
    ours, theirs = _pair()
    monitor = GradientMonitor(ours, saturation_eps=0.02)
    rng = np.random.default_rng(1)
    expected = {name: {"grad": [], "update": []} for name, _ in theirs.named_parameters()}
    acts = {"1": ("sigmoid", []), "3": ("relu", []), "5": ("tanh", [])}
    for name, (_, _) in acts.items():
        acts[name] = (acts[name][0], {"share": [], "grad": []})
    outputs = {}

    def keep(name):
        def hook(module, inputs, output):
            outputs[name] = output
            output.register_hook(lambda g: acts[name][1]["grad"].append(g.norm().item()))
        return hook

    for name in acts:
        theirs[int(name)].register_forward_hook(keep(name))
    lr = 0.3
    for _ in range(3):
        x = rng.standard_normal((16, 5))
        y = rng.standard_normal((16, 3))
        loss = ((ours(bp.tensor(x)) - bp.tensor(y)) ** 2).mean()
        loss.backward()
        tloss = ((theirs(torch.tensor(x)) - torch.tensor(y)) ** 2).mean()
        tloss.backward()
        before = {n: p.detach().clone() for n, p in theirs.named_parameters()}
        with torch.no_grad():
            for p in theirs.parameters():
                p -= lr * p.grad
        with bp.no_grad():
            for p in ours.parameters():
                p.sub_(lr * p.grad)
        monitor.step()
        for n, p in theirs.named_parameters():
            expected[n]["grad"].append(p.grad.norm().item())
            expected[n]["update"].append(((p - before[n]).norm() / before[n].norm()).item())
            p.grad = None
        for p in ours.parameters():
            p.grad = None
        for name, (kind, record) in acts.items():
            out = outputs[name].detach()
            if kind == "sigmoid":
                share = ((out < 0.02) | (out > 0.98)).double().mean()
            elif kind == "tanh":
                share = (out.abs() > 0.98).double().mean()
            else:
                share = (out == 0).all(dim=0).double().mean()
            record["share"].append(share.item())
    assert list(monitor.layers) == ["0.weight", "0.bias", "1", "2.weight", "2.bias", "3",
                                    "4.weight", "4.bias", "5"]
    for name, values in expected.items():
        history = monitor.layers[name]
        np.testing.assert_allclose(history.grad_norm, values["grad"], rtol=1e-10)
        np.testing.assert_allclose(history.update_ratio, values["update"], rtol=1e-10)
        assert history.kind == ("weight" if name.endswith("weight") else "bias")
    for name, (kind, record) in acts.items():
        history = monitor.layers[name]
        assert history.kind == kind
        np.testing.assert_allclose(history.grad_norm, record["grad"], rtol=1e-10)
        shares = history.dead if kind == "relu" else history.saturated
        np.testing.assert_allclose(shares, record["share"], rtol=1e-12)
        assert [len(calls) for calls in history.time_grad_norms] == [1, 1, 1]
    # the planted problems are really there, so the shares test something
    assert 0 < monitor.layers["1"].saturated[0] < 1 and 0 < monitor.layers["3"].dead[0] < 1
    total = [math.sqrt(sum(expected[n]["grad"][s] ** 2 for n in expected)) for s in range(3)]
    np.testing.assert_allclose(monitor.total_grad_norm, total, rtol=1e-10)
    rows = {row["layer"]: row for row in monitor.summary()}
    ratio = np.median(expected["0.weight"]["grad"]) / np.median(expected["4.weight"]["grad"])
    np.testing.assert_allclose(rows["0.weight"]["ratio_to_last"], ratio, rtol=1e-10)
    np.testing.assert_allclose(rows["3"]["unit_share"], np.mean(acts["3"][1]["share"]))


def test_module_called_per_time_step_records_the_gradient_through_time():
    # h_t = W h_(t-1) + x_t with W = ρ·Q, Q orthogonal, loss on h_T only:
    # ∂L/∂h_t = (Wᵀ)^(T−t) ∂L/∂h_T, so the norms grow exactly like ρ^(T−t).
    bp.set_default_dtype(bp.float64)
    q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((6, 6)))
    cell = nn.Linear(6, 6, bias=False)
    cell.weight.data[...] = 1.3 * q
    model = nn.Sequential(cell)
    monitor = GradientMonitor(model, track=[cell])
    x = bp.tensor(np.random.default_rng(1).standard_normal((7, 4, 6)))
    h = bp.zeros(4, 6)
    for t in range(7):
        h = cell(h) + x[t]
    (h ** 2).sum().backward()
    monitor.step()
    norms = monitor.layers["0"].time_grad_norms[0]
    assert monitor.layers["0"].kind == "output"
    np.testing.assert_allclose(np.array(norms[:-1]) / np.array(norms[1:]), 1.3, rtol=1e-10)
    name, growth, calls = monitor.time_growth()
    assert (name, calls) == ("0", 7)
    np.testing.assert_allclose(growth, 1.3 ** 6, rtol=1e-10)


def test_nonfinite_gradients_are_flagged_in_both_languages():
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 1))
    monitor = GradientMonitor(model)
    x = bp.tensor(np.ones((2, 3), np.float32))
    model(x).sum().backward()
    monitor.step()
    model.zero_grad()
    with np.errstate(invalid="ignore", divide="ignore"):
        (model(x) * 0).log().sum().backward()  # ln 0 = −inf, and its gradient is inf
    monitor.step()
    found = {f.kind: f for f in monitor.findings()}
    assert "nonfinite" in found
    finding = found["nonfinite"]
    assert finding.step == 1
    assert finding.details["layers"] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert monitor.layers["1.weight"].nonfinite == [False, True]
    assert "NaN or Inf" in finding.message("en") and "step 2" in finding.message("en")
    assert "detect_anomaly" in finding.message("en")
    assert "非有限" in finding.message("zh") and "第 2 步" in finding.message("zh")
    assert str(finding) == finding.message("en")


def test_exploding_by_threshold_and_by_growth():
    model = nn.Sequential(nn.Linear(2, 2))
    x = bp.tensor(np.ones((1, 2), np.float32))

    def run(scales, **options):
        monitor = GradientMonitor(model, **options)
        for scale in scales:
            model.zero_grad()
            (model(x).sum() * scale).backward()
            monitor.step()
        monitor.remove()
        return monitor

    calm = run([1.0, 2.0, 5.0])
    assert calm.findings() == []
    grown = run([1e-3, 1e-2, 1.0])
    (finding,) = grown.findings()
    assert finding.kind == "exploding" and finding.step == 2
    np.testing.assert_allclose(finding.value, 1000 * grown.total_grad_norm[0], rtol=1e-6)
    assert "1e+03× its value at step 1" in finding.message("en")
    big = run([1.0], exploding_norm=0.5)
    (finding,) = big.findings()
    assert "above the limit of 0.5" in finding.message("en")
    assert "超过了上限 0.5" in finding.message("zh")


def test_saturated_and_dead_units_are_flagged():
    model = nn.Sequential(nn.Linear(4, 6), nn.Sigmoid(), nn.Linear(6, 6), nn.ReLU(),
                          nn.Linear(6, 1))
    with bp.no_grad():
        model[0].weight.mul_(50.0)
        model[2].bias.fill_(-100.0)
    monitor = GradientMonitor(model)
    x = bp.randn(32, 4)
    model(x).sum().backward()
    monitor.step()
    found = {f.kind: f for f in monitor.findings()}
    with np.errstate(over="ignore"):
        sigmoid_out = 1 / (1 + np.exp(-(x.numpy() @ model[0].weight.detach().numpy().T
                                        + model[0].bias.detach().numpy())))
    share = np.mean((sigmoid_out < 0.01) | (sigmoid_out > 0.99))
    assert share > 0.5
    np.testing.assert_allclose(found["saturated"].value, share, rtol=1e-6)
    assert found["saturated"].layer == "1"
    assert found["dead_relu"].value == 1.0 and found["dead_relu"].layer == "3"
    assert "output 0 for the whole batch" in found["dead_relu"].message("en")
    assert "ReLU 死亡" in found["dead_relu"].message("zh")
    assert "output < 0.01 or > 0.99" in found["saturated"].message("en")


def test_no_grad_forwards_and_removed_hooks_are_not_recorded():
    model = nn.Sequential(nn.Linear(3, 3), nn.Tanh())
    monitor = GradientMonitor(model)
    with bp.no_grad():
        model(bp.randn(2, 3))
    monitor.step()
    assert math.isnan(monitor.layers["1"].saturated[0])
    assert math.isnan(monitor.layers["0.weight"].grad_norm[0])  # no .grad yet
    with monitor:
        pass  # leaving the block removes the hooks
    model(bp.randn(2, 3)).sum().backward()
    monitor.step()
    assert math.isnan(monitor.layers["1"].saturated[1])
    assert not math.isnan(monitor.layers["0.weight"].grad_norm[1])


def test_arguments_are_checked():
    with pytest.raises(TypeError, match="watches a Module"):
        GradientMonitor(bp.randn(2))
    with pytest.raises(ValueError, match="vanishing_ratio must be positive"):
        GradientMonitor(nn.Linear(2, 2), vanishing_ratio=0)
    with pytest.raises(ValueError, match="saturation_eps"):
        GradientMonitor(nn.Linear(2, 2), saturation_eps=0.7)
    with pytest.raises(ValueError, match="unit_share"):
        GradientMonitor(nn.Linear(2, 2), unit_share=0)
    with pytest.raises(ValueError, match="lang must be one of"):
        text("healthy", "fr")
    with pytest.raises(ValueError, match="unknown finding kind"):
        Finding("sideways", "0", 0, 1.0).message()
    assert GradientMonitor(nn.Linear(2, 2)).findings() == []


def test_docstring_examples_run():
    import doctest

    from backprop.diagnostics import monitor

    result = doctest.testmod(monitor, extraglobs={"bp": bp}, raise_on_error=True)
    assert result.attempted > 0
