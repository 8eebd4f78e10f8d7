"""Module: registration, traversal, modes, state_dict with PyTorch's keys, init, clipping."""

import math
from collections import OrderedDict

import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn


def _net(L):
    class Net(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = L.nn.Sequential(L.nn.Linear(4, 8), L.nn.Tanh(), L.nn.Linear(8, 6))
            self.head = L.nn.Linear(6, 3, bias=False)
            self.scale = L.nn.Parameter(L.t.ones(3))
            self.blocks = L.nn.ModuleList([L.nn.Linear(3, 3), L.nn.ReLU()])
            self.register_buffer("steps", L.t.zeros(1))
            self.register_buffer("cache", L.t.zeros(2), persistent=False)

        def forward(self, x):
            h = self.head(self.encoder(x)) * self.scale
            for block in self.blocks:
                h = block(h)
            return h

    return Net()


class _Lib:
    def __init__(self, t):
        self.t, self.nn = t, t.nn


BP, TORCH = _Lib(bp), _Lib(torch)


def test_named_parameters_and_state_dict_keys_match_torch():
    ours, theirs = _net(BP), _net(TORCH)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (n, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert p.shape == tuple(q.shape), n
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]


def test_children_and_modules_match_torch():
    ours, theirs = _net(BP), _net(TORCH)
    assert [type(m).__name__ for m in ours.children()] == \
        [type(m).__name__ for m in theirs.children()]
    assert [type(m).__name__ for m in ours.modules()] == \
        [type(m).__name__ for m in theirs.modules()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert len(list(ours.parameters())) == len(list(theirs.parameters())) == 8


def test_shared_parameter_counted_once():
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, nn.ReLU(), layer)
    assert len(list(model.parameters())) == 2


def test_load_torch_weights_from_numpy_and_match_outputs():
    torch.manual_seed(0)
    theirs = _net(TORCH).double()
    bp.set_default_dtype(bp.float64)
    ours = _net(BP)
    result = ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    assert list(result.missing_keys) == [] and list(result.unexpected_keys) == []
    x = np.random.default_rng(0).standard_normal((5, 4))
    np.testing.assert_allclose(ours(bp.tensor(x)).data,
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12)


def test_load_state_dict_takes_tensors_and_casts_dtype():
    src, dst = nn.Linear(3, 2), nn.Linear(3, 2)
    dst.load_state_dict(src.state_dict())
    np.testing.assert_array_equal(dst.weight.data, src.weight.data)
    dst.load_state_dict({"weight": np.ones((2, 3)), "bias": np.zeros(2)})
    assert dst.weight.dtype == bp.float32 and dst.weight.data.sum() == 6


def test_state_dict_values_are_detached_and_share_memory():
    layer = nn.Linear(2, 2)
    state = layer.state_dict()
    assert not state["weight"].requires_grad
    assert np.shares_memory(state["weight"].data, layer.weight.data)
    assert isinstance(state, OrderedDict)


def test_strict_load_names_missing_and_unexpected_keys():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    state = {k: v.numpy() for k, v in model.state_dict().items()}
    del state["2.bias"]
    state["3.weight"] = np.zeros((1, 1))
    with pytest.raises(RuntimeError, match=r"2\.bias") as info:
        model.load_state_dict(state)
    assert "3.weight" in str(info.value)
    assert "issing" in str(info.value) and "nexpected" in str(info.value)
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["2.bias"] and result.unexpected_keys == ["3.weight"]


def test_size_mismatch_names_key_and_both_shapes():
    model = nn.Sequential(nn.Linear(2, 3))
    with pytest.raises(RuntimeError, match=r"0\.weight.*\(3, 4\).*\(3, 2\)"):
        model.load_state_dict({"0.weight": np.zeros((3, 4)), "0.bias": np.zeros(3)})
    with pytest.raises(RuntimeError, match=r"size mismatch"):
        model.load_state_dict({"0.weight": np.zeros((3, 4)), "0.bias": np.zeros(3)},
                              strict=False)


def test_failed_strict_load_reports_every_problem():
    model = nn.Sequential(nn.Linear(2, 3))
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict({"0.weight": np.zeros((5, 5)), "extra": np.zeros(1)})
    message = str(info.value)
    assert "0.bias" in message and "extra" in message and "0.weight" in message


def test_assigning_a_non_parameter_to_a_parameter_name_raises():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError):
        layer.weight = bp.ones(2, 2)
    layer.weight = nn.Parameter(bp.ones(2, 2))
    assert layer.weight.data.sum() == 4 and len(list(layer.parameters())) == 2


def test_parameter_before_init_raises():
    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(bp.ones(1))

    with pytest.raises(AttributeError):
        Bad()


def test_parameter_is_a_leaf_requiring_grad():
    p = nn.Parameter(bp.ones(2))
    assert p.requires_grad and p.is_leaf and isinstance(p, bp.Tensor)
    assert not nn.Parameter(bp.ones(2), requires_grad=False).requires_grad


def test_train_eval_reach_every_module():
    model = _net(BP)
    assert model.training
    assert model.eval() is model
    assert all(not m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model.train(False)
    assert not model.blocks[0].training


def test_zero_grad_sets_grads_to_none_like_torch():
    model = nn.Linear(3, 2)
    model(bp.ones(4, 3)).sum().backward()
    assert model.weight.grad is not None
    model.zero_grad()
    assert model.weight.grad is None and model.bias.grad is None
    model(bp.ones(4, 3)).sum().backward()
    model.zero_grad(set_to_none=False)
    assert model.weight.grad is not None and not model.weight.grad.data.any()


def test_register_buffer_is_in_state_dict_but_not_parameters():
    model = _net(BP)
    assert "steps" in model.state_dict() and "cache" not in model.state_dict()
    assert all(p is not model.steps for p in model.parameters())


def test_module_to_double():
    model = nn.Linear(2, 2).double()
    assert model.weight.dtype == bp.float64
    assert model(bp.ones(1, 2, dtype=bp.float64)).dtype == bp.float64


# --- default initialisation -------------------------------------------------------------
@pytest.mark.parametrize("fan_in,fan_out", [(4, 3), (100, 200)])
def test_linear_default_init_bounds_are_torchs(fan_in, fan_out):
    bound = 1 / math.sqrt(fan_in)
    layer = nn.Linear(fan_in, fan_out)
    for p in (layer.weight, layer.bias):
        assert np.abs(p.data).max() <= bound
    if fan_in * fan_out >= 10000:  # enough samples to see U(−b, b): max near b, std b/√3
        w = layer.weight.data
        assert np.abs(w).max() > 0.99 * bound
        np.testing.assert_allclose(w.std(), bound / math.sqrt(3), rtol=0.03)
        np.testing.assert_allclose(w.mean(), 0, atol=0.02 * bound)
    torch_layer = torch.nn.Linear(fan_in, fan_out)
    assert torch_layer.weight.abs().max().item() <= bound


def _init_pair(name, shape, **kwargs):
    bp.manual_seed(0)
    torch.manual_seed(0)
    ours = getattr(nn.init, name)(bp.empty(*shape, dtype=bp.float64), **kwargs)
    theirs = getattr(torch.nn.init, name)(torch.empty(*shape, dtype=torch.float64), **kwargs)
    return ours.numpy(), theirs.numpy()


@pytest.mark.parametrize("name,kwargs", [
    ("xavier_uniform_", {}), ("xavier_uniform_", {"gain": 2.0}),
    ("kaiming_uniform_", {}), ("kaiming_uniform_", {"a": math.sqrt(5)}),
    ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("uniform_", {"a": -0.3, "b": 0.7}),
])
@pytest.mark.parametrize("shape", [(300, 200), (64, 16, 3, 3)])
def test_uniform_inits_match_torchs_distribution(name, kwargs, shape):
    ours, theirs = _init_pair(name, shape, **kwargs)
    # same bounds: both reach (almost) the same extremes; same mean and spread
    np.testing.assert_allclose(ours.max(), theirs.max(), rtol=0.01)
    np.testing.assert_allclose(ours.min(), theirs.min(), rtol=0.01)
    np.testing.assert_allclose(ours.std(), theirs.std(), rtol=0.02)
    assert abs(ours.mean() - theirs.mean()) < 0.03 * theirs.std()


@pytest.mark.parametrize("name,kwargs", [
    ("xavier_normal_", {}), ("xavier_normal_", {"gain": nn.init.calculate_gain("tanh")}),
    ("kaiming_normal_", {}), ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_normal_", {"a": 0.2, "nonlinearity": "leaky_relu"}),
    ("normal_", {"mean": 1.0, "std": 0.5}),
])
@pytest.mark.parametrize("shape", [(300, 200), (64, 16, 3, 3)])
def test_normal_inits_match_torchs_distribution(name, kwargs, shape):
    ours, theirs = _init_pair(name, shape, **kwargs)
    np.testing.assert_allclose(ours.std(), theirs.std(), rtol=0.02)
    assert abs(ours.mean() - theirs.mean()) < 0.03 * theirs.std()


@pytest.mark.parametrize("name,kwargs", [("zeros_", {}), ("ones_", {}),
                                         ("constant_", {"val": 0.25}), ("eye_", {})])
def test_constant_inits(name, kwargs):
    ours, theirs = _init_pair(name, (3, 4), **kwargs)
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("make", [lambda L: L.nn.Linear(0, 3), lambda L: L.nn.Linear(3, 0),
                                  lambda L: L.nn.Conv2d(0, 2, 3)])
def test_zero_size_layers_build_as_in_torch(make):
    with pytest.warns(UserWarning, match="zero-element"):
        theirs = make(torch)
    with pytest.warns(UserWarning, match="zero-element"):
        ours = make(bp)
    assert ours.weight.shape == tuple(theirs.weight.shape)


def test_eye_init_needs_two_dims():
    with pytest.raises(ValueError, match=r"eye_.*\(3,\)"):
        nn.init.eye_(nn.Parameter(bp.zeros(3)))


def test_init_returns_tensor_and_builds_no_graph():
    w = nn.Parameter(bp.empty(3, 4))
    out = nn.init.xavier_uniform_(w)
    assert out is w and w.grad_fn is None and w.requires_grad


@pytest.mark.parametrize("nonlinearity,param", [("linear", None), ("sigmoid", None),
                                                ("tanh", None), ("relu", None),
                                                ("leaky_relu", None), ("leaky_relu", 0.2),
                                                ("selu", None), ("conv2d", None)])
def test_calculate_gain_matches_torch(nonlinearity, param):
    assert nn.init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-12)


# --- gradient clipping ---------------------------------------------------------------
def _grads_pair(seed, scale):
    rng = np.random.default_rng(seed)
    grads = [rng.standard_normal(s) * scale for s in ((3, 4), (4,), (2, 2))]
    ours = [nn.Parameter(bp.tensor(np.zeros_like(g))) for g in grads]
    theirs = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in grads]
    for p, q, g in zip(ours, theirs, grads):
        p.grad = bp.tensor(g.copy())
        q.grad = torch.tensor(g.copy())
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1000.0])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    ours, theirs = _grads_pair(0, 2.0)
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, bp.Tensor)
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-12)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.data, q.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_of_a_single_tensor_and_a_generator():
    ours, theirs = _grads_pair(1, 1.0)
    nn.utils.clip_grad_norm_(ours[0], 0.1)
    torch.nn.utils.clip_grad_norm_(theirs[0], 0.1)
    np.testing.assert_allclose(ours[0].grad.data, theirs[0].grad.numpy(), rtol=1e-12)
    model = nn.Linear(3, 2)
    model(bp.ones(2, 3)).sum().backward()
    assert nn.utils.clip_grad_norm_(model.parameters(), 0.01).item() > 0.01


def test_clip_grad_norm_nonfinite_error():
    p = nn.Parameter(bp.ones(2))
    p.grad = bp.tensor([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def test_clip_grad_value_matches_torch():
    ours, theirs = _grads_pair(2, 3.0)
    nn.utils.clip_grad_value_(ours, 1.5)
    torch.nn.utils.clip_grad_value_(theirs, 1.5)
    for p, q in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad.data, q.grad.numpy())


def test_hooks_registered_after_modules_have_run_are_called():
    """Module.__call__ skips the hook tables until some hook has been registered: a hook
    added later, on a module that already ran, must still be called."""
    import subprocess
    import sys
    code = (
        "import backprop as bp\n"
        "m = bp.nn.Linear(2, 2)\n"
        "x = bp.ones(1, 2)\n"
        "m(x)\n"
        "seen = []\n"
        "s = bp.nn.Sequential(m, bp.nn.Sigmoid())\n"
        "s(x)\n"
        "m.register_forward_pre_hook(lambda mod, args: seen.append('pre'))\n"
        "m.register_forward_hook(lambda mod, args, out: seen.append('post'))\n"
        "m(x)\n"
        "s(x)\n"
        "print(seen)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "['pre', 'post', 'pre', 'post']"


def test_sequential_calls_a_module_with_its_own_call():
    """Without hooks, Sequential calls each child's forward itself, except for a module
    whose class (or a base) defines ``__call__``: that one is called."""

    class Doubling(nn.Module):
        def forward(self, x):
            return x

        def __call__(self, x):
            return x * 2

    class Inherits(Doubling):
        pass

    class TriplingMixin:  # a plain class, not a Module, giving __call__
        def __call__(self, x):
            return x * 3

    class Mixed(TriplingMixin, nn.Identity):
        pass

    assert nn.Linear._plain_call and nn.Identity._plain_call
    assert not Doubling._plain_call and not Inherits._plain_call and not Mixed._plain_call
    model = nn.Sequential(Doubling(), nn.Identity(), Inherits(), Mixed())
    np.testing.assert_array_equal(model(bp.ones(2)).data, [12.0, 12.0])
