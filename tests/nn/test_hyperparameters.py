"""Bad hyper-parameters raise a ValueError when the layer is built, and the message names it."""

import pytest

import backprop as bp
from backprop import nn

BAD = [
    ("Linear", lambda: nn.Linear(-1, 2)),
    ("Conv2d", lambda: nn.Conv2d(-1, 2, 3)),
    ("Conv2d", lambda: nn.Conv2d(1, 2, 3, stride=0)),
    ("Conv2d", lambda: nn.Conv2d(1, 2, 3, padding=-1)),
    ("Conv2d", lambda: nn.Conv2d(1, 2, 3, padding="full")),
    ("Conv2d", lambda: nn.Conv2d(1, 2, 3, stride=2, padding="same")),
    ("Conv2d", lambda: nn.Conv2d(3, 2, 3, groups=2)),
    ("MaxPool2d", lambda: nn.MaxPool2d(0)),
    ("MaxPool2d", lambda: nn.MaxPool2d(2, stride=0)),
    ("MaxPool2d", lambda: nn.MaxPool2d(2, padding=2)),
    ("MaxPool2d", lambda: nn.MaxPool2d(3, dilation=0)),
    ("AvgPool2d", lambda: nn.AvgPool2d(3, padding=2)),
    ("AvgPool2d", lambda: nn.AvgPool2d(2, divisor_override=0)),
    ("Dropout", lambda: nn.Dropout(1.5)),
    ("BatchNorm1d", lambda: nn.BatchNorm1d(0)),
    ("BatchNorm2d", lambda: nn.BatchNorm2d(3, momentum=2.0)),
    ("BatchNorm2d", lambda: nn.BatchNorm2d(3, eps=-1e-5)),
    ("LayerNorm", lambda: nn.LayerNorm(-4)),
    ("LayerNorm", lambda: nn.LayerNorm(4, eps=-1e-5)),
    ("Embedding", lambda: nn.Embedding(5, 3, padding_idx=7)),
    ("LSTM", lambda: nn.LSTM(3, 4, dropout=2.0)),
    ("GRU", lambda: nn.GRU(-3, 4)),
    ("MSELoss", lambda: nn.MSELoss(reduction="average")),
    ("CrossEntropyLoss", lambda: nn.CrossEntropyLoss(label_smoothing=1.5)),
]


@pytest.mark.parametrize("layer,build", BAD, ids=[f"{name}-{i}" for i, (name, _) in
                                                   enumerate(BAD)])
def test_bad_hyperparameter_raises_at_construction(layer, build):
    with pytest.raises(ValueError, match=layer):
        build()


def test_pool_functionals_check_their_window_too():
    x = bp.zeros(1, 1, 4, 4)
    with pytest.raises(ValueError, match="max_pool2d: padding should be at most half"):
        nn.functional.max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="avg_pool2d: kernel_size, stride and dilation"):
        nn.functional.avg_pool2d(x, 2, stride=0)
