"""A bias-free 2-2-2 sigmoid network in matrix form, one gradient step (seed 003).

    X = (0.05, 0.15)ᵀ   Y = (0.1, 0.9)ᵀ   h = S(W1·X)   o = S(W2·h)   L = ½‖Y − o‖²
    W1 = [[0.13, 0.15],      W2 = [[0.40, 0.25],      plain gradient descent, η = 0.5
          [0.12, 0.20]]            [0.30, 0.20]]

Orientation: the tutorial labels W1 = [[w1, w3], [w2, w4]], but the matrices act as
written, row i holding the weights INTO neuron i: W1·X = (0.029, 0.036), h = (0.50725,
0.50900), W2·h = (0.33015, 0.25397), o = (0.581796, 0.563155), all as the tutorial
prints. That is nn.Linear's (out, in) layout, so the matrices are the layers' weights
unchanged (the transpose would give W1ᵀ·X = (0.0245, 0.0375), not the printed numbers).

The exact figures (float64; ``main`` prints them):

    L before  = 0.17279601                 (the tutorial: 0.274635)
    ∂L/∂W2    = [[ 0.05946256,  0.05966765],   ∂L/∂W1 = [[0.00027531, 0.00082594],
                 [-0.04203468, -0.04217966]]              [0.00015911, 0.00047733]]
    W2 ← [[0.37026872, 0.22016618], [0.32101734, 0.22108983]]
    W1 ← [[0.12986234, 0.14958703], [0.11992045, 0.19976134]]
    L after   = 0.16750960                 (the tutorial: 0.16227459)

The tutorial's slips:
1. L = ½‖Y − o‖² with its own outputs is ½(0.481796² + 0.336845²) = 0.172796, not 0.274635.
2. ∂L/∂W2: the sigmoid derivative is taken as the dot product oᵀ(1 − o) = 0.489321 (one
   number, both outputs summed) instead of element-wise, so δ2 = (o − Y)·0.489321 instead
   of (o − Y) ⊙ o ⊙ (1 − o): the matrix comes out about twice too large.
3. ∂L/∂W1: it multiplies W2 (not W2ᵀ) by the whole matrix ∂L/∂W2 and by (1 − h), where
   backprop needs δ1 = (W2ᵀ δ2) ⊙ h ⊙ (1 − h); the matrix comes out 5–6 times too large.
   ``seed_gradients`` below evaluates these formulas on the tutorial's rounded forward
   values and reproduces its two printed matrices to every digit.
4. The updated W2[0, 1] is printed 0.190009; 0.25 − 0.5·0.11999819 = 0.19000090.
5. Its final L = 0.16227459 is the right loss for its (wrong) updated weights; gradient
   descent reaches 0.16750960.

Run:  python examples/nobias_2_2_2.py
"""

from __future__ import annotations

import numpy as np

import backprop as bp
from backprop import nn, optim

X = [0.05, 0.15]
Y = [0.1, 0.9]
W1 = [[0.13, 0.15], [0.12, 0.20]]
W2 = [[0.40, 0.25], [0.30, 0.20]]
LR = 0.5


def build() -> nn.Sequential:
    """S(W2·S(W1·x)) as a Sequential of bias-free Linear layers, float64."""
    model = nn.Sequential(nn.Linear(2, 2, bias=False, dtype=bp.float64), nn.Sigmoid(),
                          nn.Linear(2, 2, bias=False, dtype=bp.float64), nn.Sigmoid())
    model.load_state_dict({"0.weight": np.array(W1), "2.weight": np.array(W2)})
    return model


def loss_fn(out: bp.Tensor, target: bp.Tensor) -> bp.Tensor:
    """L = ½‖Y − o‖² (MSELoss with reduction='sum', halved)."""
    return 0.5 * nn.functional.mse_loss(out, target, reduction="sum")


def one_step() -> dict[str, object]:
    """Forward, backward and one SGD step; every figure the tutorial prints."""
    model = build()
    x, y = bp.tensor(X, dtype=bp.float64), bp.tensor(Y, dtype=bp.float64)
    optimizer = optim.SGD(model.parameters(), lr=LR)
    hidden = model[1](model[0](x))
    out = model(x)
    loss = loss_fn(out, y)
    loss.backward()
    figures: dict[str, object] = {
        "W1x": model[0](x).tolist(), "h": hidden.tolist(), "W2h": model[2](hidden).tolist(),
        "out": out.tolist(), "loss": loss.item(),
        "dL/dW2": model[2].weight.grad.tolist(), "dL/dW1": model[0].weight.grad.tolist(),
    }
    optimizer.step()
    figures["W2_new"] = model[2].weight.tolist()
    figures["W1_new"] = model[0].weight.tolist()
    with bp.no_grad():
        figures["loss_after"] = loss_fn(model(x), y).item()
    return figures


def seed_gradients() -> tuple[np.ndarray, np.ndarray]:
    """The tutorial's gradient formulas, as it evaluates them, on its rounded h and o.

    ∂L/∂W2 = ((o − Y) · oᵀ(1 − o)) hᵀ      (oᵀ(1 − o) a single number)
    ∂L/∂W1 = (W2 · ∂L/∂W2 · (1 − h)) Xᵀ    (W2 where W2ᵀ belongs, and no h ⊙)
    """
    x, y, w2 = np.array(X), np.array(Y), np.array(W2)
    h, o = np.array([0.50725, 0.50900]), np.array([0.581796, 0.563155])
    grad_w2 = np.outer((o - y) * (o @ (1 - o)), h)
    grad_w1 = np.outer(w2 @ grad_w2 @ (1 - h), x)
    return grad_w2, grad_w1


def main() -> None:
    figures = one_step()
    np.set_printoptions(precision=8, floatmode="fixed", suppress=True)
    for name in ("W1x", "h", "W2h", "out"):
        print(f"{name:>10} = {np.array(figures[name])}")
    print(f"{'L':>10} = {figures['loss']:.8f}   (the tutorial prints 0.274635)")
    for name in ("dL/dW2", "dL/dW1", "W2_new", "W1_new"):
        print(f"{name:>10} = {np.round(np.array(figures[name]), 8).tolist()}")
    print(f"{'L after':>10} = {figures['loss_after']:.8f}   (the tutorial prints 0.16227459)")
    grad_w2, grad_w1 = seed_gradients()
    print("the tutorial's formulas on its rounded values give its printed matrices:")
    print(f"{'dL/dW2':>10} = {grad_w2.round(8).tolist()}")
    print(f"{'dL/dW1':>10} = {grad_w1.round(8).tolist()}")


if __name__ == "__main__":
    main()
