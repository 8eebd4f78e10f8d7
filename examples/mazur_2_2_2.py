"""The worked 2-2-2 sigmoid network, step by step, in float64 (seed 000; Mazur's example).

    inputs  x = (0.05, 0.10)            targets y = (0.01, 0.99)
    net_h1 = w1·x1 + w2·x2 + b1         net_h2 = w3·x1 + w4·x2 + b1
    net_o1 = w5·h1 + w6·h2 + b2         net_o2 = w7·h1 + w8·h2 + b2
    h = σ(net_h), o = σ(net_o), σ(z) = 1 / (1 + e^(−z))
    E = ½ Σ (target − out)²             plain gradient descent, learning rate 0.5

w1..w8 = 0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55. The biases b1 = 0.35 (shared
by both hidden neurons) and b2 = 0.60 (shared by both outputs) stay FIXED: they are
buffers of the module, not parameters, so the optimizer never sees them.

Every figure the tutorial prints for the forward pass and the first gradients is
right: outputs 0.75136507 / 0.772928465, E = 0.298371109, ∂E/∂w5 = 0.082167041,
∂E/∂w1 = 0.000438568, w5 → 0.35891648, w1 → 0.149780716.

Its error after training is NOT: it prints 0.291027924 after the first step and
0.000035085 after 10 000 (outputs 0.015912196, 0.984065734). Gradient descent, where
all eight weights move by the gradient taken at the same point, gives

    after 1 step:        E = 0.291027774  (the tutorial: 0.291027924; 7th digit differs)
    after 10 000 steps:  E = 0.0000351019, outputs 0.015913620, 0.984064274

(float64 and 60-digit Decimal arithmetic agree on these to 13 digits or more). The
tutorial's figures are reproduced to every printed digit by a different algorithm:
update w5..w8 first, then backpropagate to w1..w4 through the *updated* output
weights, the very mistake the tutorial's own text warns against. ``seed_variant``
below runs that algorithm so you can see it.

Run:  python examples/mazur_2_2_2.py
"""

from __future__ import annotations

import math

import backprop as bp
from backprop import nn, optim

X = [0.05, 0.10]
Y = [0.01, 0.99]
W_HIDDEN = [[0.15, 0.20], [0.25, 0.30]]  # rows: h1 ← (w1, w2), h2 ← (w3, w4)
W_OUTPUT = [[0.40, 0.45], [0.50, 0.55]]  # rows: o1 ← (w5, w6), o2 ← (w7, w8)
B1, B2 = 0.35, 0.60
LR = 0.5


class MazurNet(nn.Module):
    """2 inputs → 2 sigmoid hidden → 2 sigmoid outputs, with two fixed shared biases."""

    def __init__(self) -> None:
        super().__init__()
        # nn.Linear's weight is (out, in): row i holds the weights into neuron i
        self.hidden = nn.Linear(2, 2, bias=False, dtype=bp.float64)
        self.output = nn.Linear(2, 2, bias=False, dtype=bp.float64)
        self.hidden.weight = nn.Parameter(bp.tensor(W_HIDDEN, dtype=bp.float64))
        self.output.weight = nn.Parameter(bp.tensor(W_OUTPUT, dtype=bp.float64))
        # buffers: part of the model, never trained
        self.register_buffer("b1", bp.tensor(B1, dtype=bp.float64))
        self.register_buffer("b2", bp.tensor(B2, dtype=bp.float64))

    def forward(self, x: bp.Tensor) -> bp.Tensor:
        h = bp.sigmoid(self.hidden(x) + self.b1)
        return bp.sigmoid(self.output(h) + self.b2)


def total_error(out: bp.Tensor, target: bp.Tensor) -> bp.Tensor:
    """E = ½ Σ (target − out)²."""
    return 0.5 * ((target - out) ** 2).sum()


def first_step() -> dict[str, float]:
    """The tutorial's figures for one forward pass, one backward pass and one update."""
    model = MazurNet()
    x, y = bp.tensor(X, dtype=bp.float64), bp.tensor(Y, dtype=bp.float64)
    optimizer = optim.SGD(model.parameters(), lr=LR)
    out = model(x)
    error = total_error(out, y)
    error.backward()
    figures = {
        "out_o1": out[0].item(), "out_o2": out[1].item(), "E": error.item(),
        "dE/dw5": model.output.weight.grad[0, 0].item(),
        "dE/dw1": model.hidden.weight.grad[0, 0].item(),
    }
    optimizer.step()
    figures["w5_new"] = model.output.weight[0, 0].item()
    figures["w1_new"] = model.hidden.weight[0, 0].item()
    return figures


def train(steps: int) -> tuple[MazurNet, list[float]]:
    """``steps`` gradient-descent steps; returns the model and E before each step and after."""
    model = MazurNet()
    x, y = bp.tensor(X, dtype=bp.float64), bp.tensor(Y, dtype=bp.float64)
    optimizer = optim.SGD(model.parameters(), lr=LR)
    errors = []
    for _ in range(steps):
        optimizer.zero_grad()
        error = total_error(model(x), y)
        errors.append(error.item())
        error.backward()
        optimizer.step()
    with bp.no_grad():
        errors.append(total_error(model(x), y).item())
    return model, errors


def seed_variant(steps: int) -> tuple[float, float, float]:
    """The tutorial's (flawed) algorithm in plain Python: (E, out_o1, out_o2) after ``steps``.

    The output weights are updated first and the hidden deltas are then computed
    with the NEW w5..w8 (gradient descent uses the old ones).
    """
    def sigmoid(z: float) -> float:
        return 1.0 / (1.0 + math.exp(-z))

    (w1, w2), (w3, w4) = W_HIDDEN
    (w5, w6), (w7, w8) = W_OUTPUT
    for step in range(steps + 1):
        h1, h2 = sigmoid(w1 * X[0] + w2 * X[1] + B1), sigmoid(w3 * X[0] + w4 * X[1] + B1)
        o1, o2 = sigmoid(w5 * h1 + w6 * h2 + B2), sigmoid(w7 * h1 + w8 * h2 + B2)
        if step == steps:
            break
        d1, d2 = (o1 - Y[0]) * o1 * (1 - o1), (o2 - Y[1]) * o2 * (1 - o2)
        w5, w6, w7, w8 = w5 - LR * d1 * h1, w6 - LR * d1 * h2, w7 - LR * d2 * h1, w8 - LR * d2 * h2
        e1 = (d1 * w5 + d2 * w7) * h1 * (1 - h1)  # ← uses the updated w5, w7
        e2 = (d1 * w6 + d2 * w8) * h2 * (1 - h2)
        w1, w2, w3, w4 = w1 - LR * e1 * X[0], w2 - LR * e1 * X[1], w3 - LR * e2 * X[0], \
            w4 - LR * e2 * X[1]
    return 0.5 * ((Y[0] - o1) ** 2 + (Y[1] - o2) ** 2), o1, o2


def main() -> None:
    figures = first_step()
    print("forward pass and first gradients (the tutorial prints the same digits):")
    print(f"  out_o1 = {figures['out_o1']:.8f}    out_o2 = {figures['out_o2']:.9f}")
    print(f"  E      = {figures['E']:.9f}")
    print(f"  dE/dw5 = {figures['dE/dw5']:.9f}   dE/dw1 = {figures['dE/dw1']:.9f}")
    print(f"  w5 -> {figures['w5_new']:.8f}        w1 -> {figures['w1_new']:.9f}")

    model, errors = train(10_000)
    with bp.no_grad():
        out = model(bp.tensor(X, dtype=bp.float64))
    print("gradient descent (all weights updated from the same gradient):")
    print(f"  E after 1 step       = {errors[1]:.9f}   (the tutorial prints 0.291027924)")
    print(f"  E after 10000 steps  = {errors[-1]:.10f}  (the tutorial prints 0.000035085)")
    print(f"  outputs              = {out[0].item():.9f}, {out[1].item():.9f}"
          "  (the tutorial prints 0.015912196, 0.984065734)")
    e1, _, _ = seed_variant(1)
    e_end, o1, o2 = seed_variant(10_000)
    print("the tutorial's figures come from backpropagating through the UPDATED w5..w8:")
    print(f"  that gives E = {e1:.9f} after 1 step, {e_end:.9f} after 10000, "
          f"outputs {o1:.9f}, {o2:.9f}")


if __name__ == "__main__":
    main()
