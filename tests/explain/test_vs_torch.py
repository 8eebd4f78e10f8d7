"""Every number `explain` prints equals PyTorch's autograd (2.13, float64) to 1e-12.

Random small networks (depth 1–4, widths 1–4, sigmoid/tanh/ReLU/identity,
½Σ-squared error, mean squared error, cross-entropy and binary cross-entropy):
forward values, δ (= ∂E/∂net, from retain_grad), every gradient, the update and
the error after each training step, all read from the result object.

Two values agree when |a − b| ≤ 1e-12·max(|a|, |b|) + 1e-14·s, where s is the size
of the operands the value is computed from, taken from PyTorch's own numbers
(`verify.dense_sizes`). The second term is ~45 float64 roundings of the operands:
it only matters where a value cancels, e.g. σ′ = a(1 − a) of a saturated unit
with 1 − a ≈ 1e-8, which no two float64 programs agree on to 12 digits.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import backprop as bp
from backprop import nn
from backprop.explain.verify import agree, dense_sizes, error_size

RTOL = 1e-12
ACTS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
        "identity": lambda z: z}


def assert_close(mine, theirs, what, size=0.0):
    mine = np.asarray(mine, dtype=np.float64)
    theirs = np.asarray(theirs.detach() if torch.is_tensor(theirs) else theirs,
                        dtype=np.float64)
    ok = agree(mine, theirs, size, RTOL)
    assert ok.all(), f"{what}: mine {mine[~ok]} vs torch {theirs[~ok]}"


def torch_sizes(problem, weights, biases, zs, outs, loss):
    """Operand sizes (see the module docstring) from torch's values."""
    fprime = []
    for layer, z in zip(problem.layers, zs):
        leaf = z.detach().clone().requires_grad_(True)
        ACTS[layer.activation](leaf).sum().backward() if layer.activation != "identity" \
            else None
        fprime.append(np.ones(z.shape) if leaf.grad is None else leaf.grad.numpy())
    e = {"a": [o.detach().numpy() for o in outs], "fprime": fprime,
         "dE_da": [o.grad.numpy() for o in outs]}
    if problem.loss == "cross_entropy":
        e["probs"] = torch.softmax(outs[-1].detach(), 0).numpy()
    return dense_sizes(problem, weights, biases, e)


def torch_loss(name, out, target):
    if name == "mse_half":
        return 0.5 * TF.mse_loss(out, target, reduction="sum")
    if name == "mse":
        return TF.mse_loss(out, target)
    if name == "bce":
        return TF.binary_cross_entropy(out, target)
    return TF.cross_entropy(out[None], target[None])


def torch_pass(problem, weights, biases):
    W = [torch.tensor(np.array(w), dtype=torch.float64, requires_grad=True) for w in weights]
    B = [None if b is None else torch.tensor(np.array(b), dtype=torch.float64,
                                             requires_grad=layer.train_bias)
         for b, layer in zip(biases, problem.layers)]
    a = torch.tensor(problem.inputs, dtype=torch.float64)
    zs, outs = [], []
    for layer, w, b in zip(problem.layers, W, B):
        z = TF.linear(a, w, b)
        z.retain_grad()
        a = ACTS[layer.activation](z)
        a.retain_grad()
        zs.append(z)
        outs.append(a)
    loss = torch_loss(problem.loss, a, torch.tensor(problem.targets, dtype=torch.float64))
    loss.backward()
    return W, B, zs, outs, loss


def random_problem(seed):
    rng = np.random.default_rng(seed)
    depth = int(rng.integers(1, 5))
    sizes = [int(rng.integers(1, 5)) for _ in range(depth + 1)]
    loss = ["mse_half", "mse", "cross_entropy", "bce"][seed % 4]
    if loss == "cross_entropy":
        sizes[-1] = max(sizes[-1], 2)
    layers = []
    for i in range(depth):
        act = ["sigmoid", "tanh", "relu", "identity"][int(rng.integers(0, 4))]
        if i == depth - 1 and loss == "bce":
            act = "sigmoid"
        layers.append({"weight": rng.normal(size=(sizes[i + 1], sizes[i])),
                       "bias": rng.normal(size=sizes[i + 1]) if rng.random() < 0.7 else None,
                       "activation": act})
    target = rng.random(sizes[-1])
    if loss == "cross_entropy":
        target = target / target.sum()
    spec = {"layers": layers, "inputs": rng.normal(size=sizes[0]).tolist(),
            "targets": target.tolist(), "loss": loss, "lr": 0.1, "steps": 4}
    for layer in spec["layers"]:
        layer["weight"] = layer["weight"].tolist()
        if layer["bias"] is None:
            del layer["bias"]
        else:
            layer["bias"] = layer["bias"].tolist()
    return spec


@pytest.mark.parametrize("seed", range(40))
def test_random_network_matches_torch(seed):
    result = bp.explain(random_problem(seed))
    d = result.derivation
    problem, p = d.problem, d.first
    W, B, zs, outs, loss = torch_pass(problem, d.weights, d.biases)
    size = torch_sizes(problem, d.weights, d.biases, zs, outs, loss)
    for i in range(len(problem.layers)):
        assert_close(p.z[i], zs[i], f"net of layer {i}", size["z"][i])
        assert_close(p.a[i], outs[i], f"out of layer {i}", size["a"][i])
        assert_close(p.dE_da[i], outs[i].grad, f"∂E/∂out of layer {i}", size["dE_da"][i])
        assert_close(p.delta[i], zs[i].grad, f"δ of layer {i}", size["delta"][i])
        assert_close(p.grad_W[i], W[i].grad, f"∂E/∂W of layer {i}", size["grad_W"][i])
        if B[i] is not None:
            assert_close(p.grad_b[i], B[i].grad, f"∂E/∂b of layer {i}", size["grad_b"][i])
    assert_close(p.loss, loss.item(), "loss", size["loss"])
    # every named gradient, and the update, as printed
    for name, positions in problem.parameters().items():
        kind, i, j, k = positions[0]
        tensor = W[i] if kind == "W" else B[i]
        grad = tensor.grad[j, k] if kind == "W" else tensor.grad[j]
        grad_size = size["grad_W"][i][j, k] if kind == "W" else size["grad_b"][i][j]
        assert_close(d.grads[name], grad.item(), name, grad_size)
        old = tensor.detach()[j, k] if kind == "W" else tensor.detach()[j]
        assert_close(d.updated[name], (old - problem.lr * grad).item(), name + "⁺",
                     abs(old.item()) + problem.lr * grad_size)
    # training with torch.optim.SGD
    params = [w for w in W] + [b for b in B if b is not None and b.requires_grad]
    opt = torch.optim.SGD(params, lr=problem.lr)
    errors, sizes = [loss.item()], [error_size(problem, outs[-1].detach().numpy())]
    for _ in range(problem.steps):
        opt.step()
        opt.zero_grad()
        _, _, _, outs, loss = torch_pass_params(problem, W, B)
        errors.append(loss.item())
        sizes.append(error_size(problem, outs[-1].detach().numpy()))
    assert_close(d.errors, errors, "error after each step", sizes)
    assert_close(d.final_outputs, outs[-1], "outputs after the last step")


def torch_pass_params(problem, W, B):
    a = torch.tensor(problem.inputs, dtype=torch.float64)
    outs = []
    for layer, w, b in zip(problem.layers, W, B):
        a = ACTS[layer.activation](TF.linear(a, w, b))
        outs.append(a)
    loss = torch_loss(problem.loss, a, torch.tensor(problem.targets, dtype=torch.float64))
    loss.backward()
    return W, B, None, outs, loss


def test_sequential_model_matches_torch_via_state_dict():
    bp.manual_seed(3)
    model = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 4), nn.ReLU(),
                          nn.Linear(4, 2), nn.Tanh())
    reference = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Sigmoid(),
                                    torch.nn.Linear(4, 4), torch.nn.ReLU(),
                                    torch.nn.Linear(4, 2), torch.nn.Tanh()).double()
    reference.load_state_dict({k: torch.tensor(np.asarray(v.numpy(), dtype=np.float64))
                               for k, v in model.state_dict().items()})
    x, y = [0.3, -0.7, 0.2], [0.25, -0.5]
    d = bp.explain(model, inputs=x, targets=y, loss="mse", lr=0.2, steps=3).derivation
    out = reference(torch.tensor(x, dtype=torch.float64))
    loss = TF.mse_loss(out, torch.tensor(y, dtype=torch.float64))
    loss.backward()
    assert_close(d.first.loss, loss.item(), "loss")
    linears = [m for m in reference if isinstance(m, torch.nn.Linear)]
    for i, layer in enumerate(linears):
        assert_close(d.first.grad_W[i], layer.weight.grad, f"layer {i} weight")
        assert_close(d.first.grad_b[i], layer.bias.grad, f"layer {i} bias")
    opt = torch.optim.SGD(reference.parameters(), lr=0.2)
    errors = [loss.item()]
    for _ in range(3):
        opt.step()
        opt.zero_grad()
        loss = TF.mse_loss(reference(torch.tensor(x, dtype=torch.float64)),
                           torch.tensor(y, dtype=torch.float64))
        loss.backward()
        errors.append(loss.item())
    assert_close(d.errors, errors, "errors")


def test_cross_entropy_with_a_class_index():
    spec = random_problem(2)
    spec["targets"] = [1]
    d = bp.explain(spec).derivation
    W, B, zs, outs, _ = torch_pass(d.problem, d.weights, d.biases)
    loss = TF.cross_entropy(outs[-1][None], torch.tensor([1]))
    assert_close(d.first.loss, loss.item(), "loss with a class index")


def test_mazur_long_training_matches_torch():
    d = bp.explain("mazur", steps=1000).derivation
    W = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in d.weights]
    B = [torch.tensor(b, dtype=torch.float64) for b in d.biases]
    x = torch.tensor([0.05, 0.10], dtype=torch.float64)
    y = torch.tensor([0.01, 0.99], dtype=torch.float64)
    opt = torch.optim.SGD(W, lr=0.5)
    errors = []
    for _ in range(1001):
        out = torch.sigmoid(TF.linear(torch.sigmoid(TF.linear(x, W[0], B[0])), W[1], B[1]))
        loss = 0.5 * ((y - out) ** 2).sum()
        errors.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert_close(d.errors, errors, "errors over 1000 steps")
    assert_close(d.final_outputs, out.detach(), "outputs after 1000 steps")


def test_conv_matches_torch_conv2d():
    d = bp.explain("conv", steps=5).derivation
    problem = d.problem
    X = torch.tensor(problem.image[None, None], requires_grad=True)
    K = torch.tensor(problem.kernel[None, None], requires_grad=True)
    T = torch.tensor(problem.target[None, None])
    Y = TF.conv2d(X, K)  # cross-correlation, as every framework computes it
    Y.retain_grad()
    loss = 0.5 * ((Y - T) ** 2).sum()
    loss.backward()
    assert_close(d.output, Y.detach()[0, 0], "Y")
    assert_close(d.loss, loss.item(), "E")
    assert_close(d.delta, Y.grad[0, 0], "δ")
    assert_close(d.grad_kernel, K.grad[0, 0], "∂E/∂K")
    assert_close(d.grad_image, X.grad[0, 0], "∂E/∂X")
    # ∂E/∂X is the full convolution of δ with the kernel: conv_transpose2d
    assert_close(d.grad_image, TF.conv_transpose2d(Y.grad, K.detach())[0, 0], "full conv")
    kernel = K.detach().clone().requires_grad_(True)
    errors = [loss.item()]
    with torch.no_grad():
        kernel -= problem.lr * K.grad
    for _ in range(5):
        kernel.grad = None
        loss = 0.5 * ((TF.conv2d(X.detach(), kernel) - T) ** 2).sum()
        loss.backward()
        errors.append(loss.item())
        with torch.no_grad():
            kernel -= problem.lr * kernel.grad
    assert_close(d.errors, errors, "errors")
    assert_close(d.new_kernel, K.detach()[0, 0] - problem.lr * K.grad[0, 0], "K⁺")


def test_rnn_matches_torch_nn_rnn():
    d = bp.explain("rnn", steps=4).derivation
    problem, p = d.problem, d.first
    rnn = torch.nn.RNN(1, 1, nonlinearity="tanh").double()
    with torch.no_grad():
        rnn.weight_ih_l0.fill_(problem.w_x)
        rnn.weight_hh_l0.fill_(problem.w_h)
        rnn.bias_ih_l0.fill_(problem.b)
        rnn.bias_hh_l0.fill_(0.0)
    x = torch.tensor(problem.inputs, dtype=torch.float64).reshape(3, 1, 1)
    out, h_n = rnn(x)
    out.retain_grad()
    loss = 0.5 * (h_n.reshape(()) - problem.target) ** 2
    loss.backward()
    assert_close(p.h[1:], out.detach().reshape(-1), "h_t")
    assert_close(p.loss, loss.item(), "E")
    # δ flowing back through time: unroll by hand in torch to read every ∂E/∂h_t, ∂E/∂z_t
    w = {k: torch.tensor(getattr(problem, k), dtype=torch.float64, requires_grad=True)
         for k in ("w_x", "w_h", "b")}
    hs, zs, h = [], [], torch.tensor(0.0, dtype=torch.float64)
    for x_t in problem.inputs:
        z = w["w_x"] * x_t + w["w_h"] * h + w["b"]
        z.retain_grad()
        h = torch.tanh(z)
        h.retain_grad()
        zs.append(z)
        hs.append(h)
    (0.5 * (h - problem.target) ** 2).backward()
    assert_close(p.dE_dh[1:], [h.grad.item() for h in hs], "∂E/∂h_t (through time)")
    assert_close(p.delta[1:], [z.grad.item() for z in zs], "δ_t")
    assert_close(d.grads["w_x"], rnn.weight_ih_l0.grad.item(), "∂E/∂w_x")
    assert_close(d.grads["w_h"], rnn.weight_hh_l0.grad.item(), "∂E/∂w_h")
    assert_close(d.grads["b"], rnn.bias_ih_l0.grad.item(), "∂E/∂b")
    # ∂h3/∂h1 by torch's autograd
    h1 = torch.tensor(p.h[1], dtype=torch.float64, requires_grad=True)
    h2 = torch.tanh(problem.w_x * problem.inputs[1] + problem.w_h * h1 + problem.b)
    h3 = torch.tanh(problem.w_x * problem.inputs[2] + problem.w_h * h2 + problem.b)
    (grad,) = torch.autograd.grad(h3, h1)
    assert_close(d.dhT_dh1, grad.item(), "∂h3/∂h1")
    opt = torch.optim.SGD([rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0], lr=problem.lr)
    errors = [loss.item()]
    for _ in range(4):
        opt.step()
        opt.zero_grad()
        loss = 0.5 * (rnn(x)[1].reshape(()) - problem.target) ** 2
        loss.backward()
        errors.append(loss.item())
    assert_close(d.errors, errors, "errors")
