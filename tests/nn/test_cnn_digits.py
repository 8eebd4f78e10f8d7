"""A small CNN learns real handwritten digits (scikit-learn's 8×8 ``load_digits``, no download).

Conv2d-BatchNorm2d-ReLU-MaxPool2d, Conv2d-ReLU-MaxPool2d, Dropout, Linear, trained with
SGD momentum on the fixed train split (1442 images) for 4 epochs; the held-out 355
images must be classified with at least 95% accuracy.
"""

import time

import numpy as np
from threadpoolctl import threadpool_limits

import backprop as bp
import backprop.nn.functional as F
from backprop import nn, optim
from backprop.data import DataLoader, datasets


def build() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),  # 4×4
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 2×2
        nn.Flatten(), nn.Dropout(0.2), nn.Linear(32 * 2 * 2, 10),
    )


def accuracy(model: nn.Module, data: datasets.Digits) -> float:
    model.eval()
    with bp.no_grad():
        predicted = model(data.data).argmax(dim=1)
    model.train()
    return float(np.mean(predicted.data == data.targets.data))


def test_cnn_reaches_95_percent_on_held_out_digits():
    start = time.perf_counter()
    bp.manual_seed(0)
    train, test = datasets.Digits(train=True, images=True), datasets.Digits(train=False,
                                                                              images=True)
    assert train.data.shape == (1442, 1, 8, 8) and len(test) == 355
    model = build()
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loader = DataLoader(train, batch_size=32, shuffle=True, seed=0)
    before = accuracy(model, test)
    # One BLAS thread: these products are small, and a busy test machine makes BLAS threads
    # wait on each other far longer than the products take.
    with threadpool_limits(1):
        for _ in range(4):
            for images, labels in loader:
                opt.zero_grad()
                loss = F.cross_entropy(model(images), labels)
                loss.backward()
                opt.step()
    after = accuracy(model, test)
    elapsed = time.perf_counter() - start
    assert before < 0.3, f"untrained accuracy {before:.3f}: the test set leaks"
    assert after >= 0.95, f"held-out accuracy {after:.3f} after 4 epochs ({elapsed:.1f} s)"
    assert loss.dtype == np.float32
