"""XOR learnt by a 2-4-1 network: the classic problem no network without a hidden layer solves.

    x1 x2 | x1 XOR x2
     0  0 |    0
     0  1 |    1
     1  0 |    1
     1  1 |    0

No line separates the 1s from the 0s, so a single neuron cannot do it; four tanh
hidden units bend the input space until one sigmoid output can. Full-batch SGD with
momentum on the binary cross-entropy, seeded so the run repeats exactly.

Run:  python examples/xor.py
"""

from __future__ import annotations

import backprop as bp
from backprop import nn, optim

INPUTS = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
TARGETS = [[0.0], [1.0], [1.0], [0.0]]


def train(steps: int = 500, seed: int = 0, lr: float = 0.5) -> tuple[nn.Module, list[float]]:
    """Train a fresh 2-4-1 network; returns it and the loss at every step."""
    bp.manual_seed(seed)  # the initial weights, drawn from the library's generator
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1), nn.Sigmoid())
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    loss_fn = nn.BCELoss()
    x, y = bp.tensor(INPUTS), bp.tensor(TARGETS)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, losses


def predict(model: nn.Module) -> list[int]:
    """The network's answer (0 or 1) for each of the four inputs."""
    with bp.no_grad():
        return (model(bp.tensor(INPUTS)) > 0.5).long().flatten().tolist()


def main() -> None:
    model, losses = train()
    with bp.no_grad():
        probabilities = model(bp.tensor(INPUTS)).flatten().tolist()
    for step in (0, 49, 99, 199, len(losses) - 1):
        print(f"step {step + 1:4d}  loss {losses[step]:.6f}")
    for (a, b), p, answer in zip(INPUTS, probabilities, predict(model), strict=True):
        print(f"{int(a)} XOR {int(b)} -> {answer}   (p = {p:.4f})")


if __name__ == "__main__":
    main()
