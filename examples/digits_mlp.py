"""A small MLP on real handwritten digits (scikit-learn's 8×8 digits; no download).

1797 images of 8×8 pixels; ``datasets.Digits`` holds out every 5th image of each
digit (355 images) and scales pixels to [0, 1]. A 64-64-10 ReLU network trained for
a few epochs with mini-batch SGD + momentum on the cross-entropy reaches about 97 %
on the held-out images in a couple of seconds.

Run:  python examples/digits_mlp.py
"""

from __future__ import annotations

import backprop as bp
from backprop import nn, optim
from backprop.data import DataLoader, datasets


def build() -> nn.Sequential:
    return nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))


def accuracy(model: nn.Module, dataset: datasets.Digits) -> float:
    """The fraction of ``dataset`` the model labels right."""
    model.eval()
    with bp.no_grad():
        predicted = model(dataset.data).argmax(dim=1)
    return float((predicted == dataset.targets).float().mean().item())


def train(epochs: int = 10, batch_size: int = 32, lr: float = 0.1, seed: int = 0,
          report=None) -> tuple[nn.Module, list[float]]:
    """Train a fresh network; returns it and the held-out accuracy after each epoch.

    ``report(epoch, mean_loss, test_accuracy)`` is called after each epoch if given.
    """
    bp.manual_seed(seed)  # initial weights
    train_set, test_set = datasets.Digits(train=True), datasets.Digits(train=False)
    loader = DataLoader(train_set, batch_size=batch_size, shuffle=True, seed=seed)
    model = build()
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        total, count = 0.0, 0
        for images, labels in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(images), labels)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(labels)
            count += len(labels)
        history.append(accuracy(model, test_set))
        if report is not None:
            report(epoch, total / count, history[-1])
    return model, history


def main() -> None:
    def report(epoch: int, loss: float, test_accuracy: float) -> None:
        print(f"epoch {epoch:2d}  train loss {loss:.4f}  held-out accuracy {test_accuracy:.1%}")

    train(report=report)


if __name__ == "__main__":
    main()
