"""RNN, LSTM, GRU and their cells against PyTorch 2.13 (float64, weights copied by state_dict),
central differences, and the unfused composition of primitive ops; both the NumPy and the
compiled (numba) point-wise paths."""

import math

import numpy as np
import pytest
import torch

import backprop as bp
import backprop.nn.functional as F
from backprop import nn
from backprop.ops import rnn as rnn_ops

RTOL, ATOL = 1e-10, 1e-12


@pytest.fixture(params=["numpy", "compiled"])
def path(request, monkeypatch):
    """Run a test on the NumPy point-wise path and on the numba kernels."""
    monkeypatch.setattr(rnn_ops, "use_compiled_kernels", request.param == "compiled")
    return request.param


def _np(t):
    return t.detach().numpy()


def _close(ours, theirs, rtol=RTOL, atol=ATOL, what=""):
    np.testing.assert_allclose(_np(ours), _np(theirs), rtol=rtol, atol=atol, err_msg=what)


def _pair(kind, input_size, hidden, **kw):
    """A PyTorch float64 layer and ours with the same weights."""
    torch_layer = getattr(torch.nn, kind)(input_size, hidden, **kw).double()
    ours = getattr(nn, kind)(input_size, hidden, dtype=bp.float64, **kw)
    ours.load_state_dict({k: v.detach().numpy() for k, v in torch_layer.state_dict().items()})
    return ours, torch_layer


def _leaf(array):
    return (bp.tensor(array.copy(), requires_grad=True),
            torch.tensor(array.copy(), requires_grad=True))


LAYER_CASES = [
    # (seq_len, batch, input_size, hidden, num_layers, batch_first, bidirectional, bias)
    (5, 3, 4, 6, 1, False, False, True),
    (4, 2, 3, 5, 2, True, False, True),     # 2-layer batch_first
    (1, 1, 2, 3, 1, False, False, True),    # seq len 1, batch 1
    (3, 4, 5, 4, 2, False, True, False),    # bidirectional, no bias
    (6, 1, 3, 4, 1, True, True, True),      # batch 1, batch_first, bidirectional
    (7, 5, 2, 9, 3, True, False, True),     # 3 layers
]
KINDS = [("RNN", {"nonlinearity": "tanh"}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}),
         ("GRU", {})]


@pytest.mark.parametrize("kind,extra", KINDS, ids=["rnn_tanh", "rnn_relu", "lstm", "gru"])
@pytest.mark.parametrize("case", LAYER_CASES, ids=lambda c: "x".join(map(str, c)))
@pytest.mark.parametrize("initial", [True, False], ids=["h0", "zeros"])
def test_layer_matches_torch(kind, extra, case, initial, path):
    steps, batch, features, hidden, layers, batch_first, bidirectional, bias = case
    ours, theirs = _pair(kind, features, hidden, num_layers=layers, batch_first=batch_first,
                         bidirectional=bidirectional, bias=bias, **extra)
    rng = np.random.default_rng(sum(case) + len(kind))
    shape = (batch, steps, features) if batch_first else (steps, batch, features)
    x, x_t = _leaf(rng.standard_normal(shape))
    state_shape = (layers * (2 if bidirectional else 1), batch, hidden)
    states = [_leaf(rng.standard_normal(state_shape)) for _ in range(2 if kind == "LSTM" else 1)]
    if not initial:
        hx = hx_t = None
    elif kind == "LSTM":
        hx, hx_t = (states[0][0], states[1][0]), (states[0][1], states[1][1])
    else:
        hx, hx_t = states[0]
    out, final = ours(x, hx)
    out_t, final_t = theirs(x_t, hx_t)
    finals = final if kind == "LSTM" else (final,)
    finals_t = final_t if kind == "LSTM" else (final_t,)
    _close(out, out_t, what="output")
    for ours_state, their_state in zip(finals, finals_t):
        _close(ours_state, their_state, what="final state")
    # random upstream gradients on the output sequence and on every final state
    grads = [rng.standard_normal(tuple(o.shape)) for o in (out, *finals)]
    loss = sum((o * bp.tensor(g)).sum() for o, g in zip((out, *finals), grads))
    loss_t = sum((o * torch.tensor(g)).sum() for o, g in zip((out_t, *finals_t), grads))
    loss.backward()
    loss_t.backward()
    _close(x.grad, x_t.grad, what="input gradient")
    if initial:
        for (s, s_t) in states:
            _close(s.grad, s_t.grad, what="initial state gradient")
    torch_params = dict(theirs.named_parameters())
    names = [name for name, _ in ours.named_parameters()]
    assert names == list(torch_params)
    for name, p in ours.named_parameters():
        _close(p.grad, torch_params[name].grad, what=name)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_unbatched_input_matches_torch(kind, batch_first, path):
    ours, theirs = _pair(kind, 3, 4, num_layers=2, batch_first=batch_first)
    rng = np.random.default_rng(1)
    x, x_t = _leaf(rng.standard_normal((5, 3)))
    h, h_t = _leaf(rng.standard_normal((2, 4)))
    c, c_t = _leaf(rng.standard_normal((2, 4)))
    hx, hx_t = ((h, c), (h_t, c_t)) if kind == "LSTM" else (h, h_t)
    out, final = ours(x, hx)
    out_t, final_t = theirs(x_t, hx_t)
    assert out.shape == tuple(out_t.shape) == (5, 4)
    _close(out, out_t)
    h_n, h_n_t = (final[0], final_t[0]) if kind == "LSTM" else (final, final_t)
    assert h_n.shape == (2, 4)
    _close(h_n, h_n_t)
    (out.sum() + (h_n * h_n).sum()).backward()
    (out_t.sum() + (h_n_t * h_n_t).sum()).backward()
    _close(x.grad, x_t.grad)
    _close(h.grad, h_t.grad)


def test_gradient_through_c_n_only(path):
    ours, theirs = _pair("LSTM", 3, 4, num_layers=2)
    rng = np.random.default_rng(2)
    x, x_t = _leaf(rng.standard_normal((6, 2, 3)))
    _, (_, c_n) = ours(x)
    _, (_, c_n_t) = theirs(x_t)
    (c_n * c_n).sum().backward()
    (c_n_t * c_n_t).sum().backward()
    _close(x.grad, x_t.grad)
    for (name, p), p_t in zip(ours.named_parameters(), theirs.parameters()):
        _close(p.grad, p_t.grad, what=name)


def test_float32_matches_torch(path):
    """float32 stays float32 and agrees with PyTorch to float32 precision (the compiled
    path uses a rational tanh there)."""
    for kind in ("LSTM", "GRU", "RNN"):
        torch_layer = getattr(torch.nn, kind)(8, 16, num_layers=2, batch_first=True)
        ours = getattr(nn, kind)(8, 16, num_layers=2, batch_first=True)
        ours.load_state_dict({k: v.detach().numpy() for k, v in torch_layer.state_dict().items()})
        rng = np.random.default_rng(3)
        data = (3 * rng.standard_normal((4, 12, 8))).astype(np.float32)  # saturating gates too
        x, x_t = _leaf(data)
        out, _ = ours(x)
        out_t, _ = torch_layer(x_t)
        assert out.dtype == bp.float32
        np.testing.assert_allclose(_np(out), _np(out_t), rtol=1e-4, atol=2e-6)
        g = rng.standard_normal(out.shape).astype(np.float32)
        (out * bp.tensor(g)).sum().backward()
        (out_t * torch.tensor(g)).sum().backward()
        assert x.grad.dtype == bp.float32
        np.testing.assert_allclose(_np(x.grad), _np(x_t.grad), rtol=1e-4, atol=1e-5)
        for (name, p), p_t in zip(ours.named_parameters(), torch_layer.parameters()):
            assert p.grad.dtype == bp.float32
            np.testing.assert_allclose(_np(p.grad), _np(p_t.grad), rtol=1e-4, atol=5e-5,
                                       err_msg=name)


# --- gradcheck of the fused ops on tiny cases --------------------------------------------
def _tiny_inputs(gates, states, bias=True, seed=0):
    rng = np.random.default_rng(seed)
    steps, batch, features, hidden = 3, 2, 2, 2
    arrays = [rng.standard_normal((steps, batch, features))]
    arrays += [rng.standard_normal((batch, hidden)) for _ in range(states)]
    arrays += [rng.standard_normal((gates * hidden, features)) * 0.8,
               rng.standard_normal((gates * hidden, hidden)) * 0.8]
    if bias:
        arrays += [rng.standard_normal(gates * hidden) * 0.5 for _ in range(2)]
    return [bp.tensor(a, requires_grad=True) for a in arrays]


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_gradcheck_fused_ops(reverse, bias, path):
    cases = [
        (rnn_ops.LSTMLayer, 4, 2, {}),
        (rnn_ops.GRULayer, 3, 1, {}),
        (rnn_ops.RNNLayer, 1, 1, {"nonlinearity": "tanh"}),
        (rnn_ops.RNNLayer, 1, 1, {"nonlinearity": "relu"}),
    ]
    for op, gates, states, options in cases:
        inputs = _tiny_inputs(gates, states, bias, seed=gates)
        assert bp.gradcheck(lambda *a, op=op, o=options: op.apply(*a, reverse=reverse, **o),
                            inputs)


def test_gradcheck_module_with_dropout_free_stack(path):
    """Two layers, bidirectional: the stacking, cat and state indexing around the ops."""
    lstm = nn.LSTM(2, 2, num_layers=2, bidirectional=True, dtype=bp.float64)
    rng = np.random.default_rng(5)
    x = bp.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    h = bp.tensor(rng.standard_normal((4, 2, 2)), requires_grad=True)
    c = bp.tensor(rng.standard_normal((4, 2, 2)), requires_grad=True)

    def run(x, h, c):
        out, (h_n, c_n) = lstm(x, (h, c))
        return out, h_n, c_n

    assert bp.gradcheck(run, (x, h, c))


# --- the fused ops against their composition from primitive ops --------------------------
def _unfused_layer(kind, x, h, c, w_ih, w_hh, b_ih, b_hh, nonlinearity="tanh"):
    """The same recurrence written step by step with F.linear, sigmoid, tanh, *, + and stack."""
    hidden = w_hh.shape[1]
    outputs = []
    for t in range(x.shape[0]):
        gi = F.linear(x[t], w_ih, b_ih)
        gh = F.linear(h, w_hh, b_hh)
        if kind == "LSTM":
            pre = gi + gh
            i = pre[:, :hidden].sigmoid()
            f = pre[:, hidden:2 * hidden].sigmoid()
            g = pre[:, 2 * hidden:3 * hidden].tanh()
            o = pre[:, 3 * hidden:].sigmoid()
            c = f * c + i * g
            h = o * c.tanh()
        elif kind == "GRU":
            r = (gi[:, :hidden] + gh[:, :hidden]).sigmoid()
            z = (gi[:, hidden:2 * hidden] + gh[:, hidden:2 * hidden]).sigmoid()
            n = (gi[:, 2 * hidden:] + r * gh[:, 2 * hidden:]).tanh()
            h = (1 - z) * n + z * h
        else:
            pre = gi + gh
            h = pre.tanh() if nonlinearity == "tanh" else pre.relu()
        outputs.append(h)
    return bp.stack(outputs), h, c


@pytest.mark.parametrize("kind,gates,nonlinearity",
                         [("LSTM", 4, "tanh"), ("GRU", 3, "tanh"), ("RNN", 1, "tanh"),
                          ("RNN", 1, "relu")])
def test_fused_op_matches_unfused_composition(kind, gates, nonlinearity, path):
    rng = np.random.default_rng(7)
    steps, batch, features, hidden = 6, 3, 4, 5
    arrays = {
        "x": rng.standard_normal((steps, batch, features)),
        "h": rng.standard_normal((batch, hidden)),
        "c": rng.standard_normal((batch, hidden)),
        "w_ih": rng.standard_normal((gates * hidden, features)) * 0.5,
        "w_hh": rng.standard_normal((gates * hidden, hidden)) * 0.5,
        "b_ih": rng.standard_normal(gates * hidden) * 0.5,
        "b_hh": rng.standard_normal(gates * hidden) * 0.5,
    }
    upstream_out = rng.standard_normal((steps, batch, hidden))
    upstream_h = rng.standard_normal((batch, hidden))
    results = []
    for fused in (True, False):
        t = {k: bp.tensor(v, requires_grad=True) for k, v in arrays.items()}
        weights = (t["w_ih"], t["w_hh"], t["b_ih"], t["b_hh"])
        if not fused:
            out, h_n, _ = _unfused_layer(kind, t["x"], t["h"], t["c"], *weights,
                                         nonlinearity=nonlinearity)
        elif kind == "LSTM":
            out, h_n, _ = rnn_ops.LSTMLayer.apply(t["x"], t["h"], t["c"], *weights)
        elif kind == "GRU":
            out, h_n = rnn_ops.GRULayer.apply(t["x"], t["h"], *weights)
        else:
            out, h_n = rnn_ops.RNNLayer.apply(t["x"], t["h"], *weights,
                                              nonlinearity=nonlinearity)
        ((out * bp.tensor(upstream_out)).sum() + (h_n * bp.tensor(upstream_h)).sum()).backward()
        used = [k for k in arrays if not (k == "c" and kind != "LSTM")]
        results.append((out.detach().numpy(), h_n.detach().numpy(),
                        {k: t[k].grad.numpy() for k in used}))
    (out_f, h_f, grads_f), (out_u, h_u, grads_u) = results
    np.testing.assert_allclose(out_f, out_u, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(h_f, h_u, rtol=RTOL, atol=ATOL)
    for name in grads_u:
        np.testing.assert_allclose(grads_f[name], grads_u[name], rtol=1e-9, atol=1e-11,
                                   err_msg=name)


def test_compiled_kernels_match_numpy_path_float32(monkeypatch):
    """The numba kernels (rational tanh in float32) against the NumPy path, op by op."""
    rng = np.random.default_rng(11)
    for op, gates, states in ((rnn_ops.LSTMLayer, 4, 2), (rnn_ops.GRULayer, 3, 1)):
        arrays = [rng.standard_normal((9, 4, 6)) * 2]
        arrays += [rng.standard_normal((4, 8)) for _ in range(states)]
        arrays += [rng.standard_normal((gates * 8, 6)), rng.standard_normal((gates * 8, 8)),
                   rng.standard_normal(gates * 8), rng.standard_normal(gates * 8)]
        upstream = rng.standard_normal((9, 4, 8)).astype(np.float32)
        results = []
        for compiled in (True, False):
            monkeypatch.setattr(rnn_ops, "use_compiled_kernels", compiled)
            inputs = [bp.tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
            out = op.apply(*inputs)
            (out[0] * bp.tensor(upstream)).sum().backward()
            results.append([o.detach().numpy() for o in out] + [i.grad.numpy() for i in inputs])
        for got, expected in zip(*results):
            assert got.dtype == np.float32
            np.testing.assert_allclose(got, expected, rtol=2e-5, atol=2e-5)


def test_rational_tanh_of_the_kernels_is_accurate():
    import numba

    from backprop.ops import rnn_kernels

    @numba.njit
    def apply(x, out_tanh, out_sigmoid):
        for j in range(x.size):
            out_tanh[j] = rnn_kernels.tanh(x[j])
            out_sigmoid[j] = rnn_kernels.sigmoid(x[j])

    x = np.concatenate([np.linspace(-20, 20, 400_001), [0.0, 1e-30, -1e-7, 9.0, -9.0, 50.0]])
    x = x.astype(np.float32)
    tanh, sigmoid = np.empty_like(x), np.empty_like(x)
    apply(x, tanh, sigmoid)
    exact = np.tanh(x.astype(np.float64))
    ulp = np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
    assert (np.abs(tanh - exact) / ulp).max() <= 6
    assert np.abs(tanh).max() <= 1
    exact_sigmoid = 1 / (1 + np.exp(-x.astype(np.float64)))
    assert np.abs(sigmoid - exact_sigmoid).max() < 3e-7


# --- cells -------------------------------------------------------------------------------
@pytest.mark.parametrize("kind,extra", [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}),
                                        ("LSTMCell", {}), ("GRUCell", {}),
                                        ("LSTMCell", {"bias": False})])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("initial", [True, False])
def test_cells_match_torch(kind, extra, batched, initial, path):
    theirs = getattr(torch.nn, kind)(3, 5, **extra).double()
    ours = getattr(nn, kind)(3, 5, dtype=bp.float64, **extra)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    rng = np.random.default_rng(13)
    lead = (4,) if batched else ()
    x, x_t = _leaf(rng.standard_normal(lead + (3,)))
    states = [_leaf(rng.standard_normal(lead + (5,))) for _ in range(2 if kind == "LSTMCell"
                                                                    else 1)]
    hx = hx_t = None
    if initial:
        hx = tuple(s[0] for s in states) if kind == "LSTMCell" else states[0][0]
        hx_t = tuple(s[1] for s in states) if kind == "LSTMCell" else states[0][1]
    # two steps, so the state feeds back into the cell
    out, out_t = ours(x, hx), theirs(x_t, hx_t)
    out, out_t = ours(x * 0.5, out), theirs(x_t * 0.5, out_t)
    outs = out if kind == "LSTMCell" else (out,)
    outs_t = out_t if kind == "LSTMCell" else (out_t,)
    for o, o_t in zip(outs, outs_t):
        assert o.shape == tuple(o_t.shape)
        _close(o, o_t)
    grads = [rng.standard_normal(o.shape) for o in outs]
    sum((o * bp.tensor(g)).sum() for o, g in zip(outs, grads)).backward()
    sum((o * torch.tensor(g)).sum() for o, g in zip(outs_t, grads)).backward()
    _close(x.grad, x_t.grad)
    if initial:
        for s, s_t in states:
            _close(s.grad, s_t.grad)
    for (name, p), p_t in zip(ours.named_parameters(), theirs.parameters()):
        _close(p.grad, p_t.grad, what=name)


# --- parameters, state_dict, initialisation -------------------------------------------------
def test_state_dict_keys_and_shapes_are_torchs():
    for kind, kw in (("LSTM", {"num_layers": 2, "bidirectional": True}),
                     ("GRU", {"num_layers": 3, "bias": False}),
                     ("RNN", {"nonlinearity": "relu", "bidirectional": True})):
        ours = getattr(nn, kind)(7, 5, **kw).state_dict()
        theirs = getattr(torch.nn, kind)(7, 5, **kw).state_dict()
        assert list(ours) == list(theirs)
        for key in theirs:
            assert tuple(ours[key].shape) == tuple(theirs[key].shape), key
    for kind in ("RNNCell", "LSTMCell", "GRUCell"):
        ours = getattr(nn, kind)(7, 5).state_dict()
        theirs = getattr(torch.nn, kind)(7, 5).state_dict()
        assert list(ours) == list(theirs)
        assert all(tuple(ours[k].shape) == tuple(theirs[k].shape) for k in theirs)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU", "LSTMCell"])
def test_default_init_is_uniform_in_one_over_sqrt_hidden(kind):
    layer = getattr(nn, kind)(30, 64)
    bound = 1 / math.sqrt(64)
    values = np.concatenate([p.detach().numpy().ravel() for p in layer.parameters()])
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.99 * bound
    assert abs(values.mean()) < 0.02 * bound
    assert abs(values.std() - bound / math.sqrt(3)) < 0.02 * bound  # std of U(−a, a) is a/√3


def test_init_is_seeded_by_manual_seed():
    bp.manual_seed(3)
    a = nn.LSTM(4, 5, num_layers=2)
    bp.manual_seed(3)
    b = nn.LSTM(4, 5, num_layers=2)
    for p, q in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_repr_is_torchs():
    assert repr(nn.LSTM(10, 20, num_layers=2, batch_first=True)) == \
        repr(torch.nn.LSTM(10, 20, num_layers=2, batch_first=True))
    assert repr(nn.RNN(3, 4, nonlinearity="relu")) == repr(torch.nn.RNN(3, 4, nonlinearity="relu"))
    assert repr(nn.GRUCell(3, 4, bias=False)) == repr(torch.nn.GRUCell(3, 4, bias=False))
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == \
        repr(torch.nn.RNNCell(3, 4, nonlinearity="relu"))


# --- inter-layer dropout ----------------------------------------------------------------------
def test_dropout_between_layers():
    lstm = nn.LSTM(3, 4, num_layers=2, dropout=0.5, dtype=bp.float64)
    x = bp.tensor(np.random.default_rng(0).standard_normal((5, 2, 3)))
    lstm.eval()
    evaluated = lstm(x)[0].detach().numpy()
    no_dropout = nn.LSTM(3, 4, num_layers=2, dtype=bp.float64)
    no_dropout.load_state_dict(lstm.state_dict())
    np.testing.assert_array_equal(evaluated, no_dropout(x)[0].detach().numpy())
    lstm.train()
    bp.manual_seed(1)
    first = lstm(x)[0].detach().numpy()
    bp.manual_seed(1)
    again = lstm(x)[0].detach().numpy()
    bp.manual_seed(2)
    other = lstm(x)[0].detach().numpy()
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)
    assert not np.allclose(first, evaluated)


def test_dropout_one_zeroes_the_second_layers_input_as_torch():
    """With p = 1 every unit between the layers is dropped: deterministic, so PyTorch in
    training mode must give the same output."""
    ours, theirs = _pair("GRU", 3, 4, num_layers=2, dropout=1.0)
    ours.train()
    theirs.train()
    x, x_t = _leaf(np.random.default_rng(4).standard_normal((5, 2, 3)))
    out, h_n = ours(x)
    out_t, h_n_t = theirs(x_t)
    _close(out, out_t)
    _close(h_n, h_n_t)
    out.sum().backward()
    out_t.sum().backward()
    _close(x.grad, x_t.grad)  # zero: nothing reaches the first layer's input
    for (name, p), p_t in zip(ours.named_parameters(), theirs.parameters()):
        _close(p.grad, p_t.grad, what=name)


# --- errors -----------------------------------------------------------------------------------
def test_wrong_input_size_names_layer_and_sizes():
    lstm = nn.LSTM(10, 20)
    with pytest.raises(RuntimeError, match=r"LSTM: input.size\(-1\) must be equal to input_size"
                                           r". Expected 10, got 7"):
        lstm(bp.randn(5, 3, 7))


def test_wrong_h0_shape_names_expected_shape():
    gru = nn.GRU(4, 6, num_layers=2)
    with pytest.raises(RuntimeError, match=r"GRU: Expected h_0 of shape .* = \(2, 3, 6\), "
                                           r"got \(1, 3, 6\)"):
        gru(bp.randn(5, 3, 4), bp.zeros(1, 3, 6))
    lstm = nn.LSTM(4, 6)
    with pytest.raises(RuntimeError, match=r"LSTM: Expected c_0 of shape .* = \(1, 3, 6\), "
                                           r"got \(1, 2, 6\)"):
        lstm(bp.randn(5, 3, 4), (bp.zeros(1, 3, 6), bp.zeros(1, 2, 6)))
    with pytest.raises(RuntimeError, match=r"for batched 3-D input, h_0 should also be 3-D"):
        gru(bp.randn(5, 3, 4), bp.zeros(3, 6))


def test_other_errors():
    with pytest.raises(ValueError, match="RNN: Expected input to be 2D or 3D, got 4D"):
        nn.RNN(3, 4)(bp.randn(2, 2, 2, 3))
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sigmoid'"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.LSTM(3, 4, dropout=1.5)
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        nn.GRU(3, 0)
    with pytest.raises(ValueError, match=r"input dtype \(float64\) does not match weight dtype"):
        nn.LSTM(3, 4)(bp.tensor(np.zeros((2, 1, 3))))
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.2)
    with pytest.raises(RuntimeError, match=r"LSTMCell: input has 2 features"):
        nn.LSTMCell(3, 4)(bp.randn(5, 2))
    with pytest.raises(RuntimeError, match=r"GRUCell: hidden state 0 has shape \(5, 3\), "
                                           r"expected \(batch, hidden_size\) = \(5, 4\)"):
        nn.GRUCell(3, 4)(bp.randn(5, 3), bp.randn(5, 3))


def test_op_level_shape_errors():
    x = bp.randn(4, 2, 3)
    with pytest.raises(RuntimeError, match=r"LSTM: input of shape \(4, 2, 3\) has 3 features, "
                                           r"but weight_ih has shape \(8, 5\)"):
        rnn_ops.LSTMLayer.apply(x, None, None, bp.randn(8, 5), bp.randn(8, 2))
    with pytest.raises(RuntimeError, match=r"GRU: h_0 has shape \(3, 2\), expected "
                                           r"\(batch, hidden_size\) = \(2, 2\)"):
        rnn_ops.GRULayer.apply(x, bp.randn(3, 2), bp.randn(6, 3), bp.randn(6, 2))


# --- reused buffers ---------------------------------------------------------------------------
def test_reused_buffers_leave_earlier_outputs_and_gradients_alone(path):
    """The workspace recycles internal buffers between steps: an output kept from step 1 must
    not change in step 2, and step 2's gradients must be those of a fresh run."""
    ours, theirs = _pair("LSTM", 3, 5, num_layers=2, batch_first=True)
    rng = np.random.default_rng(21)
    x1, x2 = rng.standard_normal((4, 6, 3)), rng.standard_normal((4, 6, 3))
    out1, (h1, _) = ours(bp.tensor(x1))
    (out1.sum() + h1.sum()).backward()
    kept = out1.detach().numpy().copy(), h1.detach().numpy().copy()
    ours.zero_grad()
    out2, _ = ours(bp.tensor(x2))
    (out2 * out2).sum().backward()
    np.testing.assert_array_equal(out1.detach().numpy(), kept[0])
    np.testing.assert_array_equal(h1.detach().numpy(), kept[1])
    out2_t, _ = theirs(torch.tensor(x2))
    (out2_t * out2_t).sum().backward()
    _close(out2, out2_t)
    for (name, p), p_t in zip(ours.named_parameters(), theirs.parameters()):
        _close(p.grad, p_t.grad, what=name)


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_backward_twice_with_retain_graph(kind, path):
    ours, theirs = _pair(kind, 3, 4, bidirectional=True)
    x, x_t = _leaf(np.random.default_rng(22).standard_normal((5, 2, 3)))
    out, _ = ours(x)
    out_t, _ = theirs(x_t)
    loss, loss_t = (out * out).sum(), (out_t * out_t).sum()
    loss.backward(retain_graph=True)
    ours(bp.tensor(np.ones((5, 2, 3))))[0].sum().backward()  # another graph in between
    loss.backward()
    loss_t.backward(retain_graph=True)
    theirs(torch.ones(5, 2, 3, dtype=torch.float64))[0].sum().backward()
    loss_t.backward()
    _close(x.grad, x_t.grad)
    for (name, p), p_t in zip(ours.named_parameters(), theirs.parameters()):
        _close(p.grad, p_t.grad, what=name)
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()
