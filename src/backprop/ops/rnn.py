"""Recurrent layers as fused ops: one graph node per layer and direction, BPTT inside it.

For a sequence x₁ … x_T (each of shape (batch, input_size)) the cells are, with
σ the logistic sigmoid and ⊙ the element-wise product (PyTorch's equations and
gate order):

RNN:   h_t = φ(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh),  φ = tanh or relu

LSTM:  (i, f, g, o) = (σ, σ, tanh, σ)(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)
       c_t = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ tanh(c_t)

GRU:   r = σ(W_ir x_t + b_ir + W_hr h_{t−1} + b_hr)
       z = σ(W_iz x_t + b_iz + W_hz h_{t−1} + b_hz)
       n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t−1} + b_hn))
       h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}

How the ops are fast: the input projections of all time steps are one matrix
product X W_ihᵀ + b of shape (T·batch, gates·hidden); the loop over time does
only the recurrent product h_{t−1} W_hhᵀ and the point-wise cell math (all gates
in one (batch, gates·hidden) array, in one compiled pass when numba is there,
see ``rnn_kernels``). Forward keeps gates, cell states and hidden states in
preallocated (T, batch, ·) arrays.

Backpropagation through time walks the steps in reverse with two running
gradients, ∂L/∂h_t (from the output at t and from step t+1 through W_hh) and,
for the LSTM, ∂L/∂c_t. Each step turns them into δ_t, the gradient of the
gates' pre-activations, and sends δ_t W_hh back to h_{t−1}. The weight
gradients are then one product each over all steps:

    ∂L/∂W_hh = Σ_t δ_tᵀ h_{t−1},   ∂L/∂W_ih = Σ_t δ_tᵀ x_t,   ∂L/∂b = Σ_t δ_t,
    ∂L/∂x_t = δ_t W_ih   (all t in one product).

``reverse=True`` runs the same recurrence from t = T to 1 (the backward
direction of a bidirectional layer).
"""

from __future__ import annotations

import os
from typing import Any

from ..autograd.op import Op
from ..backends import xp

# The compiled point-wise kernels are used when numba can be imported and
# BACKPROP_NUMBA is not "0"; set ``use_compiled_kernels = False`` to force the NumPy path.
use_compiled_kernels = os.environ.get("BACKPROP_NUMBA", "1") != "0"
_kernels: Any = None  # the rnn_kernels module once imported, False if numba is missing


def compiled_kernels(dtype: Any) -> Any:
    """The numba kernels module for arrays of ``dtype``, or None (NumPy path)."""
    global _kernels
    if not use_compiled_kernels or dtype not in (xp.float32, xp.float64):
        return None
    if _kernels is None:
        try:
            from . import rnn_kernels
        except ImportError:  # numba not installed: the NumPy path does the same math
            _kernels = False
        else:
            _kernels = rnn_kernels
    return _kernels or None


# --- reused buffers ---------------------------------------------------------------------------
class Workspace:
    """Big internal buffers (gates, cell states, δ), kept from one training step to the next.

    A fresh multi-megabyte array comes from the operating system page by page, each page
    zeroed on first touch; in a training loop that costs as much as the cell's point-wise
    math. The layers take their internal buffers here and give them back once backward
    has freed them (``release``), so the next step writes into warm memory. Only buffers
    that never reach the user are pooled (the output sequence and h_n, c_n are fresh).
    """

    def __init__(self, max_bytes: int = 512 << 20, per_shape: int = 8) -> None:
        self.max_bytes, self.per_shape = max_bytes, per_shape
        self.free: dict[tuple[Any, ...], list[Any]] = {}
        self.bytes = 0

    def take(self, shape: tuple[int, ...], dtype: Any) -> Any:
        """An uninitialised array of ``shape`` and ``dtype`` (reused when one is free)."""
        stack = self.free.get((shape, xp.dtype(dtype)))
        if stack:
            array = stack.pop()
            self.bytes -= array.nbytes
            return array
        return xp.empty(shape, dtype=dtype)

    def give(self, *arrays: Any) -> None:
        """Take back arrays from :meth:`take` that nothing references any more."""
        for array in arrays:
            if array is None or self.bytes + array.nbytes > self.max_bytes:
                continue
            stack = self.free.setdefault((array.shape, array.dtype), [])
            if len(stack) < self.per_shape:
                stack.append(array)
                self.bytes += array.nbytes

    def clear(self) -> None:
        self.free.clear()
        self.bytes = 0


workspace = Workspace()


# --- shared pieces ---------------------------------------------------------------------------
def _check(op: str, x: Any, states: tuple[Any, ...], w_ih: Any, w_hh: Any, b_ih: Any,
           b_hh: Any, gates: int) -> tuple[int, int, int, int]:
    """Shapes of one layer's arguments; errors name the op, the argument and both shapes."""
    if x.ndim != 3:
        raise RuntimeError(f"{op}: input must be 3-D (seq_len, batch, input_size), got shape "
                           f"{tuple(x.shape)}")
    steps, batch, features = x.shape
    hidden = w_hh.shape[1] if w_hh.ndim == 2 else -1
    if w_hh.shape != (gates * hidden, hidden):
        raise RuntimeError(f"{op}: weight_hh must have shape ({gates}·hidden_size, hidden_size), "
                           f"got {tuple(w_hh.shape)}")
    if w_ih.shape != (gates * hidden, features):
        raise RuntimeError(
            f"{op}: input of shape {tuple(x.shape)} has {features} features, but weight_ih has "
            f"shape {tuple(w_ih.shape)}: expected ({gates * hidden}, input_size={features})"
            if w_ih.ndim == 2 and w_ih.shape[0] == gates * hidden else
            f"{op}: weight_ih must have shape ({gates * hidden}, input_size), got "
            f"{tuple(w_ih.shape)}"
        )
    for name, b in (("bias_ih", b_ih), ("bias_hh", b_hh)):
        if b is not None and b.shape != (gates * hidden,):
            raise RuntimeError(f"{op}: {name} must have shape ({gates * hidden},), got "
                               f"{tuple(b.shape)}")
    for name, state in zip(("h_0", "c_0"), states):
        if state is not None and state.shape != (batch, hidden):
            raise RuntimeError(f"{op}: {name} has shape {tuple(state.shape)}, expected (batch, "
                               f"hidden_size) = ({batch}, {hidden})")
    return steps, batch, features, hidden


def _project(ctx: Any, x: Any, w_ih: Any, bias: Any, dtype: Any) -> Any:
    """X W_ihᵀ + b for all steps at once: x (T, B, I) → gates (T, B, G); keeps x as
    ``ctx.x2`` (T·B, I) for ∂L/∂W_ih (a workspace copy unless x is already laid out so)."""
    steps, batch, features = x.shape
    if x.dtype == dtype and x.flags.c_contiguous:
        ctx.x2, ctx.x2_owned = x.reshape(steps * batch, features), False
    else:
        ctx.x2, ctx.x2_owned = workspace.take((steps * batch, features), dtype), True
        ctx.x2.reshape(steps, batch, features)[...] = x
    gates = workspace.take((steps, batch, w_ih.shape[0]), dtype)
    xp.matmul(ctx.x2, w_ih.T.astype(dtype, copy=False), out=gates.reshape(steps * batch, -1))
    if bias is not None:
        gates += bias
    return gates


def _initial(state: Any, batch: int, hidden: int, dtype: Any, steps: int,
             pooled: bool = True) -> Any:
    """A (T+1, B, H) buffer whose row 0 is the initial state (zeros if None)."""
    shape = (steps + 1, batch, hidden)
    buffer = workspace.take(shape, dtype) if pooled else xp.empty(shape, dtype=dtype)
    buffer[0] = 0 if state is None else state
    return buffer


def _time_order(grad: Any, reverse: bool, dtype: Any) -> tuple[Any, Any]:
    """∂L/∂output in the order the steps ran, C-contiguous per step (kernels need that);
    and the workspace copy made for it, if one was (to give back after backward)."""
    grad = grad[::-1] if reverse else grad
    if grad.dtype == dtype and grad[0].flags.c_contiguous:
        return grad, None
    copy = workspace.take(grad.shape, dtype)
    copy[...] = grad
    return copy, copy


def _contiguous_bias(bias: Any, size: int, dtype: Any) -> Any:
    """The bias as a contiguous array of ``dtype`` (zeros if None), as the kernels take it."""
    if bias is None:
        return xp.zeros(size, dtype=dtype)
    return xp.ascontiguousarray(bias, dtype=dtype)


def _release(ctx: Any, *names: str) -> None:
    """Give the named saved buffers (and x's copy) back to the workspace, then free the rest."""
    saved = ctx.__dict__
    workspace.give(*(saved.get(name) for name in names))
    if saved.get("x2_owned"):
        workspace.give(saved.get("x2"))


def _param_grads(ctx: Any, delta_x: Any, delta_h: Any, first: int) -> list[Any]:
    """∂L/∂x, ∂L/∂W_ih, ∂L/∂W_hh, ∂L/∂b_ih, ∂L/∂b_hh from the (T·B, G) pre-activation
    gradients of the input (δˣ) and recurrent (δʰ) projections: one product each."""
    parents = ctx.parents
    steps, batch, hidden = ctx.steps, ctx.batch, ctx.hidden
    grad_x: Any = None
    grad_w_ih = grad_w_hh = grad_b_ih = grad_b_hh = None
    if parents[0] is not None:
        grad_x = (delta_x @ ctx.w_ih).reshape(steps, batch, -1)
        if ctx.reverse:
            grad_x = grad_x[::-1]
    if parents[first] is not None:
        grad_w_ih = delta_x.T @ ctx.x2
    if parents[first + 1] is not None:
        grad_w_hh = delta_h.T @ ctx.hs[:-1].reshape(steps * batch, hidden)
    if ctx.has_bias:
        if parents[first + 2] is not None:
            grad_b_ih = delta_x.sum(axis=0)
        if parents[first + 3] is not None:
            if delta_h is delta_x and grad_b_ih is not None:  # RNN: one δ for both biases
                grad_b_hh = grad_b_ih.copy()
            else:
                grad_b_hh = delta_h.sum(axis=0)
        return [grad_x, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh]
    return [grad_x, grad_w_ih, grad_w_hh]


def _sigmoid_(a: Any) -> Any:
    """σ(a) = 1 / (1 + e⁻ᵃ), in place (overflow of e⁻ᵃ to inf gives the right 0)."""
    xp.negative(a, out=a)
    xp.exp(a, out=a)
    a += 1
    return xp.reciprocal(a, out=a)


# --- Elman RNN -------------------------------------------------------------------------------
class RNNLayer(Op):
    """One Elman RNN layer over a sequence: h_t = φ(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh).

    Inputs x (T, B, I), h_0 (B, H) or None, W_ih (H, I), W_hh (H, H), optional
    b_ih, b_hh (H,); ``nonlinearity`` 'tanh' or 'relu'. Outputs (h_1 … h_T as
    (T, B, H), h_T).
    """

    derivative = ("δ_t = ∂L/∂h_t ⊙ φ'(·) (1 − h_t² for tanh, [h_t > 0] for relu); "
                  "∂L/∂h_{t−1} += δ_t W_hh; ∂L/∂W_hh = Σ δ_tᵀ h_{t−1}; ∂L/∂x_t = δ_t W_ih")
    saves_inputs = True

    def forward(ctx, x: Any, h0: Any, w_ih: Any, w_hh: Any, b_ih: Any = None,
                b_hh: Any = None, nonlinearity: str = "tanh", reverse: bool = False) -> Any:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        steps, batch, _, hidden = _check("RNN", x, (h0,), w_ih, w_hh, b_ih, b_hh, 1)
        dtype = xp.result_type(x, w_ih)
        bias = None if b_ih is None else b_ih + (0 if b_hh is None else b_hh)
        pre = _project(ctx, x[::-1] if reverse else x, w_ih, bias, dtype)
        hs = _initial(h0, batch, hidden, dtype, steps, pooled=False)  # the output: not pooled
        w_hh_t = w_hh.T.astype(dtype, copy=False)
        rec = xp.empty((batch, hidden), dtype=dtype)
        for t in range(steps):
            xp.matmul(hs[t], w_hh_t, out=rec)
            pre[t] += rec
            if nonlinearity == "tanh":
                xp.tanh(pre[t], out=hs[t + 1])
            else:
                xp.maximum(pre[t], 0, out=hs[t + 1])
        workspace.give(pre)  # backward reads h_t only
        ctx.hs, ctx.w_ih, ctx.w_hh = hs, w_ih, w_hh
        ctx.steps, ctx.batch, ctx.hidden = steps, batch, hidden
        ctx.reverse, ctx.has_bias, ctx.relu = reverse, b_ih is not None, nonlinearity == "relu"
        out = hs[1:]
        return out[::-1] if reverse else out, hs[steps].copy()

    def backward(ctx, grads: Any) -> Any:
        grad_out, grad_hn = grads
        hs, w_hh = ctx.hs, ctx.w_hh
        dtype = hs.dtype
        grad_out, copy = _time_order(grad_out, ctx.reverse, dtype)
        delta = workspace.take((ctx.steps, ctx.batch, ctx.hidden), dtype)
        dh = xp.array(grad_hn, dtype=dtype)  # ∂L/∂h_t arriving from step t+1 (and h_n)
        for t in range(ctx.steps - 1, -1, -1):
            dh += grad_out[t]
            h, d = hs[t + 1], delta[t]
            if ctx.relu:
                xp.multiply(dh, h > 0, out=d)
            else:
                xp.multiply(h, h, out=d)
                xp.subtract(1, d, out=d)
                d *= dh
            xp.matmul(d, w_hh, out=dh)
        delta2 = delta.reshape(ctx.steps * ctx.batch, ctx.hidden)
        grad_x, *weights = _param_grads(ctx, delta2, delta2, 2)
        workspace.give(delta, copy)
        return (grad_x, dh if ctx.parents[1] is not None else None, *weights)

    def release(ctx) -> None:
        _release(ctx)
        Op.release(ctx)


# --- LSTM ------------------------------------------------------------------------------------
def _lstm_forward_step(gates: Any, rec: Any, c_prev: Any, c: Any, tanh_c: Any, h: Any,
                       scratch: Any) -> None:
    """NumPy form of ``rnn_kernels.lstm_forward_step`` (same equations)."""
    hidden = c.shape[1]
    gates += rec
    g = gates[:, 2 * hidden:3 * hidden]
    xp.tanh(g, out=scratch)
    _sigmoid_(gates)  # i, f, o (g is overwritten just below)
    g[...] = scratch
    xp.multiply(gates[:, hidden:2 * hidden], c_prev, out=c)
    xp.multiply(gates[:, :hidden], g, out=scratch)
    c += scratch
    xp.tanh(c, out=tanh_c)
    xp.multiply(gates[:, 3 * hidden:], tanh_c, out=h)


def _lstm_backward_step(gates: Any, c_prev: Any, tanh_c: Any, dy: Any, dh: Any, dc: Any,
                        d_gates: Any, scratch: Any) -> None:
    """NumPy form of ``rnn_kernels.lstm_backward_step`` (same equations)."""
    hidden = dc.shape[1]
    i, f = gates[:, :hidden], gates[:, hidden:2 * hidden]
    g, o = gates[:, 2 * hidden:3 * hidden], gates[:, 3 * hidden:]
    di, df = d_gates[:, :hidden], d_gates[:, hidden:2 * hidden]
    dg, do = d_gates[:, 2 * hidden:3 * hidden], d_gates[:, 3 * hidden:]
    dh += dy                                   # ∂L/∂h_t
    xp.multiply(tanh_c, tanh_c, out=scratch)   # ∂L/∂c_t += ∂L/∂h_t ⊙ o ⊙ (1 − tanh² c_t)
    xp.subtract(1, scratch, out=scratch)
    scratch *= o
    scratch *= dh
    dc += scratch
    xp.subtract(1, o, out=scratch)             # δo = ∂L/∂h_t ⊙ tanh c_t ⊙ o(1 − o)
    scratch *= o
    xp.multiply(dh, tanh_c, out=do)
    do *= scratch
    xp.subtract(1, i, out=scratch)             # δi = ∂L/∂c_t ⊙ g ⊙ i(1 − i)
    scratch *= i
    xp.multiply(dc, g, out=di)
    di *= scratch
    xp.subtract(1, f, out=scratch)             # δf = ∂L/∂c_t ⊙ c_{t−1} ⊙ f(1 − f)
    scratch *= f
    xp.multiply(dc, c_prev, out=df)
    df *= scratch
    xp.multiply(g, g, out=scratch)             # δg = ∂L/∂c_t ⊙ i ⊙ (1 − g²)
    xp.subtract(1, scratch, out=scratch)
    scratch *= i
    xp.multiply(dc, scratch, out=dg)
    dc *= f                                    # ∂L/∂c_{t−1} (direct part)


class LSTMLayer(Op):
    """One LSTM layer over a sequence, fused (gate order i, f, g, o as PyTorch).

    Inputs x (T, B, I), h_0 and c_0 (B, H) or None, W_ih (4H, I), W_hh (4H, H),
    optional b_ih, b_hh (4H,). Outputs (h_1 … h_T as (T, B, H), h_T, c_T).
    """

    derivative = ("δo = ∂L/∂h ⊙ tanh c ⊙ o(1−o); ∂L/∂c += ∂L/∂h ⊙ o(1 − tanh²c); "
                  "δi = ∂L/∂c ⊙ g ⊙ i(1−i); δf = ∂L/∂c ⊙ c_{t−1} ⊙ f(1−f); "
                  "δg = ∂L/∂c ⊙ i(1−g²); ∂L/∂c_{t−1} = ∂L/∂c ⊙ f; ∂L/∂h_{t−1} = δ W_hh")
    saves_inputs = True

    def forward(ctx, x: Any, h0: Any, c0: Any, w_ih: Any, w_hh: Any, b_ih: Any = None,
                b_hh: Any = None, reverse: bool = False) -> Any:
        steps, batch, _, hidden = _check("LSTM", x, (h0, c0), w_ih, w_hh, b_ih, b_hh, 4)
        dtype = xp.result_type(x, w_ih)
        bias = None if b_ih is None else b_ih + (0 if b_hh is None else b_hh)
        kernels = compiled_kernels(dtype)  # they add the bias themselves, in the same pass
        gates = _project(ctx, x[::-1] if reverse else x, w_ih, None if kernels else bias, dtype)
        hs = _initial(h0, batch, hidden, dtype, steps, pooled=False)  # the output: not pooled
        cs = _initial(c0, batch, hidden, dtype, steps)
        tanh_c = workspace.take((steps, batch, hidden), dtype)
        w_hh_t = w_hh.T.astype(dtype, copy=False)
        rec = xp.empty((batch, 4 * hidden), dtype=dtype)
        if kernels is not None:
            step = kernels.lstm_forward_step
            bias = _contiguous_bias(bias, 4 * hidden, dtype)
            for t in range(steps):
                xp.matmul(hs[t], w_hh_t, out=rec)
                step(gates[t], rec, bias, cs[t], cs[t + 1], tanh_c[t], hs[t + 1])
        else:
            scratch = xp.empty((batch, hidden), dtype=dtype)
            with xp.errstate(over="ignore"):
                for t in range(steps):
                    xp.matmul(hs[t], w_hh_t, out=rec)
                    _lstm_forward_step(gates[t], rec, cs[t], cs[t + 1], tanh_c[t], hs[t + 1],
                                       scratch)
        ctx.gates, ctx.hs, ctx.cs, ctx.tanh_c = gates, hs, cs, tanh_c
        ctx.w_ih, ctx.w_hh = w_ih, w_hh
        ctx.steps, ctx.batch, ctx.hidden = steps, batch, hidden
        ctx.reverse, ctx.has_bias = reverse, b_ih is not None
        out = hs[1:]
        return out[::-1] if reverse else out, hs[steps].copy(), cs[steps].copy()

    def backward(ctx, grads: Any) -> Any:
        grad_out, grad_hn, grad_cn = grads
        gates, cs, tanh_c, w_hh = ctx.gates, ctx.cs, ctx.tanh_c, ctx.w_hh
        dtype = gates.dtype
        steps, batch, hidden = ctx.steps, ctx.batch, ctx.hidden
        grad_out, copy = _time_order(grad_out, ctx.reverse, dtype)
        delta = workspace.take((steps, batch, 4 * hidden), dtype)
        dh = xp.array(grad_hn, dtype=dtype)  # ∂L/∂h_t through W_hh from step t+1 (and h_n)
        dc = xp.array(grad_cn, dtype=dtype)  # ∂L/∂c_t
        w_hh = w_hh.astype(dtype, copy=False)
        kernels = compiled_kernels(dtype)
        if kernels is not None:
            step = kernels.lstm_backward_step
            for t in range(steps - 1, -1, -1):
                step(gates[t], cs[t], tanh_c[t], grad_out[t], dh, dc, delta[t])
                xp.matmul(delta[t], w_hh, out=dh)
        else:
            scratch = xp.empty((batch, hidden), dtype=dtype)
            for t in range(steps - 1, -1, -1):
                _lstm_backward_step(gates[t], cs[t], tanh_c[t], grad_out[t], dh, dc, delta[t],
                                    scratch)
                xp.matmul(delta[t], w_hh, out=dh)
        delta2 = delta.reshape(steps * batch, 4 * hidden)
        grad_x, *weights = _param_grads(ctx, delta2, delta2, 3)
        workspace.give(delta, copy)
        parents = ctx.parents
        return (grad_x, dh if parents[1] is not None else None,
                dc if parents[2] is not None else None, *weights)

    def release(ctx) -> None:
        _release(ctx, "gates", "cs", "tanh_c")
        Op.release(ctx)


# --- GRU -------------------------------------------------------------------------------------
def _gru_forward_step(gx: Any, rec: Any, b_hn: Any, h_prev: Any, hn: Any, h: Any,
                      scratch: Any) -> None:
    """NumPy form of ``rnn_kernels.gru_forward_step`` (same equations)."""
    hidden = h.shape[1]
    rz, n = gx[:, :2 * hidden], gx[:, 2 * hidden:]
    rz += rec[:, :2 * hidden]
    _sigmoid_(rz)
    xp.add(rec[:, 2 * hidden:], b_hn, out=hn)          # W_hn h + b_hn
    xp.multiply(rz[:, :hidden], hn, out=scratch)
    n += scratch
    xp.tanh(n, out=n)
    xp.subtract(h_prev, n, out=scratch)                 # h = n + z ⊙ (h_prev − n)
    scratch *= rz[:, hidden:]
    xp.add(n, scratch, out=h)


def _gru_backward_step(gates: Any, hn: Any, h_prev: Any, dy: Any, dh: Any, d_gx: Any,
                       d_gh: Any, scratch: Any) -> None:
    """NumPy form of ``rnn_kernels.gru_backward_step`` (same equations)."""
    hidden = dh.shape[1]
    r, z, n = gates[:, :hidden], gates[:, hidden:2 * hidden], gates[:, 2 * hidden:]
    dr, dz, dn = d_gx[:, :hidden], d_gx[:, hidden:2 * hidden], d_gx[:, 2 * hidden:]
    dh += dy                                    # ∂L/∂h_t
    xp.multiply(n, n, out=scratch)              # δn = ∂L/∂h ⊙ (1 − z) ⊙ (1 − n²)
    xp.subtract(1, scratch, out=scratch)
    xp.subtract(1, z, out=dn)
    dn *= scratch
    dn *= dh
    xp.subtract(1, r, out=scratch)              # δr = δn ⊙ hn ⊙ r(1 − r)
    scratch *= r
    xp.multiply(dn, hn, out=dr)
    dr *= scratch
    xp.subtract(1, z, out=scratch)              # δz = ∂L/∂h ⊙ (h_prev − n) ⊙ z(1 − z)
    scratch *= z
    xp.subtract(h_prev, n, out=dz)
    dz *= scratch
    dz *= dh
    d_gh[:, :2 * hidden] = d_gx[:, :2 * hidden]
    xp.multiply(dn, r, out=d_gh[:, 2 * hidden:])  # the recurrent n-part is scaled by r
    dh *= z                                     # ∂L/∂h_{t−1}, direct part


class GRULayer(Op):
    """One GRU layer over a sequence, fused (gate order r, z, n as PyTorch).

    Inputs x (T, B, I), h_0 (B, H) or None, W_ih (3H, I), W_hh (3H, H), optional
    b_ih, b_hh (3H,). Outputs (h_1 … h_T as (T, B, H), h_T).
    """

    derivative = ("δn = ∂L/∂h ⊙ (1−z)(1−n²); δr = δn ⊙ (W_hn h + b_hn) ⊙ r(1−r); "
                  "δz = ∂L/∂h ⊙ (h_{t−1} − n) ⊙ z(1−z); "
                  "∂L/∂h_{t−1} = ∂L/∂h ⊙ z + (δr, δz, δn ⊙ r) W_hh")
    saves_inputs = True

    def forward(ctx, x: Any, h0: Any, w_ih: Any, w_hh: Any, b_ih: Any = None,
                b_hh: Any = None, reverse: bool = False) -> Any:
        steps, batch, _, hidden = _check("GRU", x, (h0,), w_ih, w_hh, b_ih, b_hh, 3)
        dtype = xp.result_type(x, w_ih)
        # r and z take both biases with the input projection; b_hn stays inside r ⊙ (·)
        bias = None if b_ih is None else xp.array(b_ih, dtype=dtype)
        if b_hh is not None:
            bias = xp.zeros(3 * hidden, dtype=dtype) if bias is None else bias
            bias[:2 * hidden] += b_hh[:2 * hidden]
        b_hn = _contiguous_bias(None if b_hh is None else b_hh[2 * hidden:], hidden, dtype)
        kernels = compiled_kernels(dtype)  # they add the bias themselves, in the same pass
        gates = _project(ctx, x[::-1] if reverse else x, w_ih, None if kernels else bias, dtype)
        hs = _initial(h0, batch, hidden, dtype, steps, pooled=False)  # the output: not pooled
        hn = workspace.take((steps, batch, hidden), dtype)
        w_hh_t = w_hh.T.astype(dtype, copy=False)
        rec = xp.empty((batch, 3 * hidden), dtype=dtype)
        if kernels is not None:
            step = kernels.gru_forward_step
            bias = _contiguous_bias(bias, 3 * hidden, dtype)
            for t in range(steps):
                xp.matmul(hs[t], w_hh_t, out=rec)
                step(gates[t], rec, bias, b_hn, hs[t], hn[t], hs[t + 1])
        else:
            scratch = xp.empty((batch, hidden), dtype=dtype)
            with xp.errstate(over="ignore"):
                for t in range(steps):
                    xp.matmul(hs[t], w_hh_t, out=rec)
                    _gru_forward_step(gates[t], rec, b_hn, hs[t], hn[t], hs[t + 1], scratch)
        ctx.gates, ctx.hs, ctx.hn = gates, hs, hn
        ctx.w_ih, ctx.w_hh = w_ih, w_hh
        ctx.steps, ctx.batch, ctx.hidden = steps, batch, hidden
        ctx.reverse, ctx.has_bias = reverse, b_ih is not None
        out = hs[1:]
        return out[::-1] if reverse else out, hs[steps].copy()

    def backward(ctx, grads: Any) -> Any:
        grad_out, grad_hn = grads
        gates, hs, hn, w_hh = ctx.gates, ctx.hs, ctx.hn, ctx.w_hh
        dtype = gates.dtype
        steps, batch, hidden = ctx.steps, ctx.batch, ctx.hidden
        grad_out, copy = _time_order(grad_out, ctx.reverse, dtype)
        delta_x = workspace.take((steps, batch, 3 * hidden), dtype)
        delta_h = workspace.take((steps, batch, 3 * hidden), dtype)
        dh = xp.array(grad_hn, dtype=dtype)
        rec = xp.empty((batch, hidden), dtype=dtype)
        w_hh = w_hh.astype(dtype, copy=False)
        kernels = compiled_kernels(dtype)
        scratch = xp.empty((batch, hidden), dtype=dtype)
        for t in range(steps - 1, -1, -1):
            if kernels is not None:
                kernels.gru_backward_step(gates[t], hn[t], hs[t], grad_out[t], dh, delta_x[t],
                                          delta_h[t])
            else:
                _gru_backward_step(gates[t], hn[t], hs[t], grad_out[t], dh, delta_x[t],
                                   delta_h[t], scratch)
            xp.matmul(delta_h[t], w_hh, out=rec)
            dh += rec
        grad_x, *weights = _param_grads(ctx, delta_x.reshape(steps * batch, 3 * hidden),
                                        delta_h.reshape(steps * batch, 3 * hidden), 2)
        workspace.give(delta_x, delta_h, copy)
        return (grad_x, dh if ctx.parents[1] is not None else None, *weights)

    def release(ctx) -> None:
        _release(ctx, "gates", "hn")
        Op.release(ctx)
