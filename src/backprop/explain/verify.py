"""Every number the explainer prints, recomputed by the autograd engine and compared.

The hand walk (:mod:`~backprop.explain.derivation`, :mod:`~backprop.explain.conv`,
:mod:`~backprop.explain.rnn`) and the engine (``Tensor`` ops and ``backward`` in
float64) compute the same quantities in different ways: net inputs and outputs,
the loss and its terms, ∂E/∂out (``retain_grad``), δ = ∂E/∂net, the local
derivatives f′(net), every gradient, every update and the error after each
training step. Two values agree when

    |a − b| ≤ 1e-12 · max(|a|, |b|) + 1e-14 · s

where ``s`` is the size of the operands the value is computed from (``Σ|w·a| + |b|``
for a net input, ``|out| + |target|`` for ``out − target``, …, carried through
the chain rule with absolute values). The second term is about 45 roundings of
float64 on those operands: it is negligible unless a difference cancels (say an
error that training has driven to 1e-20), where two correct computations cannot
agree to 12 digits. The first disagreement raises :class:`ExplainCheckError`,
so a wrong number is never printed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

RTOL = 1e-12
SLACK = 1e-14
TINY = 1e-300


class ExplainCheckError(RuntimeError):
    """The hand-walked chain rule and the autograd engine disagree on a number."""


def agree(mine: Any, engine: Any, size: Any = 0.0, rtol: float = RTOL) -> np.ndarray:
    """Element-wise ``|a − b| ≤ rtol · max(|a|, |b|) + 1e-14 · size`` (1e-300 is zero)."""
    a = np.asarray(mine, dtype=np.float64)
    b = np.asarray(engine, dtype=np.float64)
    bound = rtol * np.maximum(np.abs(a), np.abs(b)) + SLACK * np.abs(np.asarray(size))
    return np.abs(a - b) <= np.maximum(bound, rtol * TINY)  # type: ignore[no-any-return]


class Checker:
    """Collects comparisons; :meth:`done` raises on the first mismatch."""

    def __init__(self, what: str) -> None:
        self.what, self.count, self.failures = what, 0, []  # type: ignore[var-annotated]

    def __call__(self, label: str, mine: Any, engine: Any, size: Any = 0.0) -> None:
        a = np.asarray(mine, dtype=np.float64)
        b = np.asarray(engine, dtype=np.float64)
        if a.shape != b.shape:
            self.failures.append(f"{label}: shape {a.shape} (hand) vs {b.shape} (engine)")
            return
        self.count += a.size
        size = np.broadcast_to(np.abs(np.asarray(size, dtype=np.float64)), a.shape)
        ok = agree(a, b, size)
        if not ok.all():
            index = np.unravel_index(int(np.argmin(ok)), a.shape) if a.ndim else ()
            x, y = float(a[index]), float(b[index])
            rel = abs(x - y) / max(abs(x), abs(y), TINY)
            where = f"[{', '.join(str(int(i)) for i in index)}]" if index else ""
            self.failures.append(f"{label}{where}: hand {x!r}, engine {y!r} "
                                 f"(relative difference {rel:.3g} > {RTOL:g})")

    def done(self) -> int:
        if self.failures:
            raise ExplainCheckError(
                f"explain ({self.what}): the chain-rule walk and the autograd engine disagree; "
                "nothing is printed.\n  " + "\n  ".join(self.failures[:10])
            )
        return self.count


def _grad(tensor: Any) -> np.ndarray:
    """``tensor.grad`` as an array (backward has just filled it)."""
    if tensor.grad is None:
        raise ExplainCheckError("explain: the engine returned no gradient for a leaf")
    return tensor.grad.numpy()  # type: ignore[no-any-return]


# --- dense networks ----------------------------------------------------------------------
def _engine_loss(name: str, out: Any, target: Any) -> Any:
    """Per-output loss terms as engine Tensors."""
    import backprop.nn.functional as F

    n = out.shape[0]
    if name == "mse_half":
        return F.mse_loss(out, target, reduction="none") * 0.5
    if name == "mse":
        return F.mse_loss(out, target, reduction="none") / n
    if name == "bce":
        return F.binary_cross_entropy(out, target, reduction="none") / n
    return -(target * F.log_softmax(out, dim=0))


def _activation(name: str) -> Callable[[Any], Any]:
    import backprop.nn.functional as F

    return {"sigmoid": F.sigmoid, "tanh": F.tanh, "relu": F.relu,
            "identity": lambda t: t}[name]


def engine_dense_pass(problem: Any, weights: list[Any], biases: list[Any],
                      backward: bool = True, full: bool = True) -> dict[str, Any]:
    """Forward and backward with the engine; returns NumPy arrays of every quantity.

    ``backward=False``: the loss and outputs only; ``full=False``: also the gradients.
    """
    from ..tensor import Tensor

    W = [Tensor(np.array(w, dtype=np.float64), requires_grad=True) for w in weights]
    B = [None if b is None else Tensor(np.array(b, dtype=np.float64), requires_grad=True)
         for b in biases]
    import backprop.nn.functional as F

    a = Tensor(np.array(problem.inputs, dtype=np.float64))
    zs, outs = [], []
    for layer, w, b in zip(problem.layers, W, B):
        z = F.linear(a, w, b)
        a = _activation(layer.activation)(z)
        if backward and full:
            z.retain_grad()
            a.retain_grad()
        zs.append(z)
        outs.append(a)
    target = Tensor(np.array(problem.targets, dtype=np.float64))
    terms = _engine_loss(problem.loss, a, target)
    loss = terms.sum()
    result: dict[str, Any] = {"loss": float(loss.item()), "out": a.detach().numpy()}
    if not backward:
        return result
    loss.backward()
    result.update(grad_W=[_grad(w) for w in W],
                  grad_b=[None if b is None else _grad(b) for b in B])
    if not full:
        return result
    result.update(
        z=[z.detach().numpy() for z in zs], a=[o.detach().numpy() for o in outs],
        terms=terms.detach().numpy(), dE_da=[_grad(o) for o in outs],
        delta=[_grad(z) for z in zs],
    )
    if problem.loss == "cross_entropy":
        result["probs"] = F.softmax(a.detach(), dim=0).numpy()
    fprime = []
    for layer, z in zip(problem.layers, result["z"]):
        leaf = Tensor(z.copy(), requires_grad=True)
        out = _activation(layer.activation)(leaf)
        if out is leaf:  # identity: f′ = 1
            fprime.append(np.ones_like(z))
            continue
        out.sum().backward()
        fprime.append(_grad(leaf))
    result["fprime"] = fprime
    return result


def _loss_grad(name: str, out: np.ndarray, target: np.ndarray) -> np.ndarray:
    """∂E/∂out in NumPy (for the size of the error after each training step)."""
    n = out.size
    if name == "mse_half":
        return out - target  # type: ignore[no-any-return]
    if name == "mse":
        return 2 * (out - target) / n  # type: ignore[no-any-return]
    if name == "bce":
        return (out - target) / np.maximum(out * (1 - out), 1e-12) / n  # type: ignore
    p = np.exp(out - out.max())
    return p / p.sum() * target.sum() - target  # type: ignore[no-any-return]


def _loss_size(name: str, out: np.ndarray, target: np.ndarray, out_size: np.ndarray,
               grad: np.ndarray) -> np.ndarray:
    """Size of each loss term: its value plus what an error in ``out`` moves it by."""
    terms = np.abs(grad) * (np.abs(out) + out_size)
    if name == "cross_entropy":  # log-sum-exp: absolute error of order 1
        terms = terms + np.abs(target) * (1 + np.abs(out).max())
    if name == "bce":
        o = np.clip(out, TINY, 1 - 1e-16)
        terms = terms + (np.abs(target * np.log(o)) +
                         np.abs((1 - target) * np.log1p(-o))) / out.size
    return terms  # type: ignore[no-any-return]


def dense_sizes(problem: Any, weights: list[Any], biases: list[Any],
                e: dict[str, Any]) -> dict[str, Any]:
    """For each quantity of an engine pass, the size of the operands it is computed from."""
    size: dict[str, Any] = {k: [] for k in ("z", "a", "fprime", "dE_da", "delta", "grad_W",
                                            "grad_b", "paths")}
    a_prev, a_prev_size = np.abs(problem.inputs), np.abs(problem.inputs)
    for index, layer in enumerate(problem.layers):
        w = np.abs(np.array(weights[index], dtype=np.float64))
        b = 0.0 if biases[index] is None else np.abs(np.array(biases[index]))
        z = w @ np.maximum(a_prev, a_prev_size) + b
        a, fp = np.abs(e["a"][index]), np.abs(e["fprime"][index])
        a_size = np.maximum(a, fp * z)
        exact = layer.activation in ("relu", "identity")
        size["z"].append(z)
        size["a"].append(a_size)
        size["fprime"].append(fp if exact else 1 + 2 * a_size)
        a_prev, a_prev_size = a, a_size
    t = np.asarray(problem.targets)
    out, out_size = e["a"][-1], size["a"][-1]
    g = e["dE_da"][-1]
    g_size = {"mse_half": np.abs(out) + np.abs(t) + out_size,
              "mse": 2 * (np.abs(out) + np.abs(t) + out_size) / out.size,
              "bce": (np.abs(out) + np.abs(t) + out_size) /
              np.maximum(np.abs(out * (1 - out)), 1e-12) / out.size
              + np.abs(g) * out_size / np.maximum(np.abs(1 - out), TINY),
              "cross_entropy": np.abs(t) + np.abs(t.sum()) * (1 + 2 * out_size.max())
              }[problem.loss]
    n = len(problem.layers)
    dE_da: list[Any] = [None] * n
    delta: list[Any] = [None] * n
    dE_da[-1] = g_size
    for index in range(n - 1, -1, -1):
        delta[index] = dE_da[index] * np.abs(e["fprime"][index]) + \
            np.abs(e["dE_da"][index]) * size["fprime"][index]
        if index:
            w = np.abs(np.array(weights[index], dtype=np.float64))
            dE_da[index - 1] = w.T @ delta[index]
    for index in range(n):
        below = np.abs(problem.inputs) if index == 0 else \
            np.maximum(np.abs(e["a"][index - 1]), size["a"][index - 1])
        size["grad_W"].append(np.outer(delta[index], below))
        size["grad_b"].append(delta[index])
        if index + 1 < n:
            w = np.abs(np.array(weights[index + 1], dtype=np.float64))
            size["paths"].append(delta[index + 1][:, None] * w)
    size["dE_da"], size["delta"] = dE_da, delta
    size["terms"] = _loss_size(problem.loss, out, t, out_size, g)
    size["loss"] = size["terms"].sum()
    size["probs"] = e.get("probs", np.zeros_like(out)) * (1 + 2 * out_size.max())
    return size


def error_size(problem: Any, out: np.ndarray) -> float:
    """The size of the total error at outputs ``out`` (see :func:`_loss_size`)."""
    t = np.asarray(problem.targets, dtype=np.float64)
    g = _loss_grad(problem.loss, out, t)
    return float(_loss_size(problem.loss, out, t, np.abs(out) + 1, g).sum())


def _named(table: dict[str, Any], grad_W: list[Any], grad_b: list[Any]) -> dict[str, float]:
    return {name: float(sum(grad_W[i][j, k] if kind == "W" else grad_b[i][j]
                            for kind, i, j, k in positions))
            for name, positions in table.items()}


def _apply(table: dict[str, Any], lr: float, weights: list[Any], biases: list[Any],
           grads: dict[str, float]) -> tuple[list[Any], list[Any], dict[str, float]]:
    weights = [np.array(w, dtype=np.float64) for w in weights]
    biases = [None if b is None else np.array(b, dtype=np.float64) for b in biases]
    updated = {}
    for name, positions in table.items():
        kind, i, j, k = positions[0]
        old = weights[i][j, k] if kind == "W" else biases[i][j]  # type: ignore[index]
        updated[name] = float(old - lr * grads[name])
        for kind, i, j, k in positions:
            if kind == "W":
                weights[i][j, k] = updated[name]
            else:
                biases[i][j] = updated[name]  # type: ignore[index]
    return weights, biases, updated


def check_dense(d: Any) -> int:
    """Compare a :class:`~backprop.explain.derivation.DenseDerivation` with the engine.

    Returns the number of values compared; raises :class:`ExplainCheckError` on a mismatch.
    """
    problem, p = d.problem, d.first
    check = Checker(problem.title or "dense network")
    table = problem.parameters()
    e = engine_dense_pass(problem, d.weights, d.biases)
    size = dense_sizes(problem, d.weights, d.biases, e)
    for index in range(len(problem.layers)):
        n = f"layer {index + 1} "
        for key, label in (("z", "net"), ("a", "out"), ("fprime", "f′(net)"),
                           ("dE_da", "∂E/∂out"), ("delta", "δ"), ("grad_W", "∂E/∂W")):
            check(n + label, getattr(p, key)[index], e[key][index], size[key][index])
        if e["grad_b"][index] is not None:
            check(n + "∂E/∂b", p.grad_b[index], e["grad_b"][index], size["grad_b"][index])
        if index + 1 < len(problem.layers):
            w_next = np.array(d.weights[index + 1])
            check(n + "δ·w paths", p.paths[index], e["delta"][index + 1][:, None] * w_next,
                  size["paths"][index])
    check("loss terms", p.terms, e["terms"], size["terms"])
    check("loss", p.loss, e["loss"], size["loss"])
    if problem.loss == "cross_entropy":
        check("softmax", p.probs, e["probs"], size["probs"])
    grads = _named(table, e["grad_W"], e["grad_b"])
    grad_size = _named(table, size["grad_W"], size["grad_b"])
    names = list(table)
    check("gradients", [d.grads[k] for k in names], [grads[k] for k in names],
          [grad_size[k] for k in names])
    weights, biases, updated = _apply(table, problem.lr, d.weights, d.biases, grads)
    old = {k: d.weights[i][j][c] if kind == "W" else d.biases[i][j]
           for k, ((kind, i, j, c), *_) in table.items()}
    check("updates", [d.updated[k] for k in names], [updated[k] for k in names],
          [abs(old[k]) + problem.lr * grad_size[k] for k in names])
    errors, final = [e["loss"]], e["out"]
    sizes = [error_size(problem, e["out"])]
    for step in range(1, problem.steps + 1):
        last = step == problem.steps
        run = engine_dense_pass(problem, weights, biases, backward=not last, full=False)
        errors.append(run["loss"])
        sizes.append(error_size(problem, run["out"]))
        final = run["out"]
        if not last:
            grads = _named(table, run["grad_W"], run["grad_b"])
            weights, biases, _ = _apply(table, problem.lr, weights, biases, grads)
    check("error after each step", d.errors, errors, sizes)
    check("outputs after the last step", d.final_outputs, final, np.abs(final) + 1e-300)
    return check.done()


# --- convolution -------------------------------------------------------------------------
def _np_correlate(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    rows, cols = x.shape[0] - k.shape[0] + 1, x.shape[1] - k.shape[1] + 1
    return sum(x[m:m + rows, n:n + cols] * k[m, n]  # type: ignore[no-any-return]
               for m in range(k.shape[0]) for n in range(k.shape[1]))


def engine_conv_pass(image: Any, kernel: Any, target: Any) -> dict[str, Any]:
    """Y = X ⋆ K built from the engine's slicing, products and sums; E = ½Σ(Y − T)²."""
    import backprop.nn.functional as F

    from ..tensor import Tensor

    X = Tensor(np.array(image, dtype=np.float64), requires_grad=True)
    K = Tensor(np.array(kernel, dtype=np.float64), requires_grad=True)
    kh, kw = K.shape
    rows, cols = X.shape[0] - kh + 1, X.shape[1] - kw + 1
    Y = X[0:rows, 0:cols] * K[0, 0]
    for m in range(kh):
        for n in range(kw):
            if m or n:
                Y = Y + X[m:m + rows, n:n + cols] * K[m, n]
    Y.retain_grad()
    loss = F.mse_loss(Y, Tensor(np.array(target, dtype=np.float64)), reduction="sum") * 0.5
    loss.backward()
    return {"Y": Y.detach().numpy(), "loss": float(loss.item()), "delta": _grad(Y),
            "grad_K": _grad(K), "grad_X": _grad(X)}


def check_conv(d: Any) -> int:
    """Compare a :class:`~backprop.explain.conv.ConvDerivation` with the engine."""
    problem = d.problem
    check = Checker(problem.title or "convolution")
    x, k, t = (np.abs(np.asarray(a, dtype=np.float64))
               for a in (problem.image, problem.kernel, problem.target))
    e = engine_conv_pass(problem.image, problem.kernel, problem.target)
    y_size = _np_correlate(x, k)
    delta_size = y_size + t
    check("Y", d.output, e["Y"], y_size)
    check("δ", d.delta, e["delta"], delta_size)
    check("E", d.loss, e["loss"], float((np.abs(e["delta"]) * delta_size).sum()))
    grad_k_size = _np_correlate(x, delta_size)
    check("∂E/∂K", d.grad_kernel, e["grad_K"], grad_k_size)
    padded = np.pad(delta_size, ((k.shape[0] - 1,) * 2, (k.shape[1] - 1,) * 2))
    check("∂E/∂X", d.grad_image, e["grad_X"], _np_correlate(padded, k[::-1, ::-1]))
    kernel = np.array(problem.kernel, dtype=np.float64) - problem.lr * e["grad_K"]
    check("K after one step", d.new_kernel, kernel, k + problem.lr * grad_k_size)
    errors, sizes = [e["loss"]], [float((np.abs(e["delta"]) * delta_size).sum())]
    for step in range(1, problem.steps + 1):
        run = engine_conv_pass(problem.image, kernel, problem.target)
        errors.append(run["loss"])
        sizes.append(float((np.abs(run["delta"]) *
                            (_np_correlate(x, np.abs(kernel)) + t)).sum()))
        if step < problem.steps:
            kernel = kernel - problem.lr * run["grad_K"]
    check("error after each step", d.errors, errors, sizes)
    check("K after the last step", d.final_kernel, kernel, np.abs(kernel))
    return check.done()


# --- recurrent network -------------------------------------------------------------------
def engine_rnn_pass(inputs: list[float], w: dict[str, float], target: float,
                    retain: int = 0) -> dict[str, Any]:
    """h_t = tanh(w_x·x_t + w_h·h_(t−1) + b) with engine scalars; E = ½(h_T − target)².

    ``retain=t`` backpropagates from h_T only and returns ∂h_T/∂h_t instead.
    """
    import backprop.nn.functional as F

    from ..tensor import Tensor

    leaves = {k: Tensor(np.float64(v), requires_grad=True) for k, v in w.items()}
    h = Tensor(np.float64(0.0))
    zs, hs = [], []
    for x in inputs:
        z = leaves["w_x"] * float(x) + leaves["w_h"] * h + leaves["b"]
        z.retain_grad()
        h = F.tanh(z)
        h.retain_grad()
        zs.append(z)
        hs.append(h)
    if retain:
        h.backward()
        return {"dhT_dh": float(_grad(hs[retain - 1]))}
    loss = F.mse_loss(h, Tensor(np.float64(target)), reduction="sum") * 0.5
    loss.backward()
    z_values = np.array([z.item() for z in zs])
    leaf = Tensor(z_values.copy(), requires_grad=True)
    F.tanh(leaf).sum().backward()
    return {
        "z": z_values, "h": np.array([h.item() for h in hs]), "loss": float(loss.item()),
        "dE_dh": np.array([float(_grad(h)) for h in hs]),
        "delta": np.array([float(_grad(z)) for z in zs]),
        "grads": {k: float(_grad(v)) for k, v in leaves.items()}, "fprime": _grad(leaf),
    }


def check_rnn(d: Any) -> int:
    """Compare a :class:`~backprop.explain.rnn.RNNDerivation` with the engine."""
    problem, p = d.problem, d.first
    check = Checker(problem.title or "recurrent network")
    w = {"w_x": problem.w_x, "w_h": problem.w_h, "b": problem.b}
    e = engine_rnn_pass(problem.inputs, w, problem.target)
    x = np.abs(np.asarray(problem.inputs, dtype=np.float64))
    T = len(problem.inputs)
    z_size, h_size = np.zeros(T), np.zeros(T + 1)
    for t in range(T):
        z_size[t] = abs(problem.w_x) * x[t] + abs(problem.w_h) * h_size[t] + abs(problem.b)
        h_size[t + 1] = max(abs(e["h"][t]), abs(e["fprime"][t]) * z_size[t])
    fp_size = 1 + 2 * h_size[1:]
    g_size, delta_size = np.zeros(T), np.zeros(T)
    g_size[-1] = h_size[-1] + abs(problem.target)
    for t in range(T - 1, -1, -1):
        delta_size[t] = g_size[t] * abs(e["fprime"][t]) + abs(e["dE_dh"][t]) * fp_size[t]
        if t:
            g_size[t - 1] = delta_size[t] * abs(problem.w_h)
    h_prev = np.concatenate([[0.0], e["h"][:-1]])
    check("z", p.z[1:], e["z"], z_size)
    check("h", p.h[1:], e["h"], h_size[1:])
    check("1 − h²", p.fprime[1:], e["fprime"], fp_size)
    check("E", p.loss, e["loss"], abs(e["dE_dh"][-1]) * g_size[-1])
    check("∂E/∂h", p.dE_dh[1:], e["dE_dh"], g_size)
    check("δ", p.delta[1:], e["delta"], delta_size)
    check("δ·x shares", p.share_x[1:], e["delta"] * np.asarray(problem.inputs), delta_size * x)
    check("δ·h shares", p.share_h[1:], e["delta"] * h_prev,
          delta_size * (np.abs(h_prev) + np.concatenate([[0.0], h_size[1:-1]])))
    grad_size = {"w_x": float((delta_size * x).sum()), "b": float(delta_size.sum()),
                 "w_h": float((delta_size * (np.abs(h_prev) + h_size[:-1])).sum())}
    names = list(w)
    check("gradients", [d.grads[k] for k in names], [e["grads"][k] for k in names],
          [grad_size[k] for k in names])
    chain = engine_rnn_pass(problem.inputs, w, problem.target, retain=1)["dhT_dh"]
    chain_size = abs(problem.w_h) ** (T - 1) * float(np.prod(fp_size[1:]))
    check("∂h_T/∂h_1", d.dhT_dh1, chain, chain_size)
    new = {k: w[k] - problem.lr * e["grads"][k] for k in names}
    check("weights after one step", [d.new[k] for k in names], [new[k] for k in names],
          [abs(w[k]) + problem.lr * grad_size[k] for k in names])
    errors = [e["loss"]]
    sizes = [abs(e["dE_dh"][-1]) * (abs(e["h"][-1]) + abs(problem.target) + 1)]
    w, final = new, e["h"][-1]
    for step in range(1, problem.steps + 1):
        run = engine_rnn_pass(problem.inputs, w, problem.target)
        errors.append(run["loss"])
        sizes.append(abs(run["dE_dh"][-1]) * (abs(run["h"][-1]) + abs(problem.target) + 1))
        final = run["h"][-1]
        if step < problem.steps:
            w = {k: w[k] - problem.lr * run["grads"][k] for k in names}
    check("error after each step", d.errors, errors, sizes)
    check("h_T after the last step", d.final_h, final, abs(final))
    return check.done()
