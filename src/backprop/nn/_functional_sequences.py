"""Functional forms of the sequence layers (RNN, LSTM, GRU and their cells).

The layer functions have the signatures of ``torch.rnn_tanh``, ``torch.rnn_relu``,
``torch.lstm`` and ``torch.gru`` (what ``nn.RNN``, ``nn.LSTM`` and ``nn.GRU`` call);
the cell functions those of ``torch.rnn_tanh_cell``, ``torch.lstm_cell``, ... Each
layer and direction is one fused op of ``backprop.ops.rnn``; the equations are
in that module's docstring.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..functions import cat, stack
from ..ops import rnn as ops
from ..tensor import Tensor

__all__ = [
    "rnn_tanh", "rnn_relu", "lstm", "gru",
    "rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell",
]


def _layer_dropout(x: Tensor, p: float) -> Tensor:
    from . import functional

    return functional.dropout(x, p=p, training=True)


def _run_layers(op: Any, input: Tensor, states: Sequence[Any], params: Sequence[Tensor],  # noqa: A002
                has_biases: bool, num_layers: int, dropout: float, train: bool,
                bidirectional: bool, batch_first: bool, **options: Any) -> tuple[Tensor, ...]:
    """Stack ``num_layers`` layers (× 2 directions if ``bidirectional``) of the fused ``op``.

    ``states``: the initial states (h_0, or h_0 and c_0), each (layers·directions, B, H)
    or None for zeros. Returns the last layer's output and each final state stacked
    as (layers·directions, B, H).
    """
    per_layer = 4 if has_biases else 2
    directions = 2 if bidirectional else 1
    if len(params) != num_layers * directions * per_layer:
        raise RuntimeError(
            f"{op.__name__}: expected {num_layers * directions * per_layer} weight tensors "
            f"({num_layers} layers × {directions} directions × {per_layer}), got {len(params)}"
        )
    x = input.transpose(0, 1) if batch_first else input
    finals: list[list[Tensor]] = [[] for _ in states]
    for layer in range(num_layers):
        outputs = []
        for direction in range(directions):
            k = layer * directions + direction
            weights = params[k * per_layer:(k + 1) * per_layer]
            initial = [None if s is None else s[k] for s in states]
            result = op.apply(x, *initial, *weights, reverse=direction == 1, **options)
            outputs.append(result[0])
            for final, state in zip(finals, result[1:]):
                final.append(state)
        x = outputs[0] if directions == 1 else cat(outputs, dim=2)
        if dropout > 0 and train and layer < num_layers - 1:
            x = _layer_dropout(x, dropout)
    output = x.transpose(0, 1) if batch_first else x
    return (output, *(stack(final, dim=0) for final in finals))


def rnn_tanh(input: Tensor, hx: Any, params: Sequence[Tensor], has_biases: bool,  # noqa: A002
             num_layers: int, dropout: float, train: bool, bidirectional: bool,
             batch_first: bool) -> tuple[Tensor, Tensor]:
    """Elman RNN, h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh), over all layers.

    ``input`` (T, B, I) (or (B, T, I) if ``batch_first``), ``hx`` (layers·directions,
    B, H) or None, ``params`` [W_ih, W_hh, b_ih, b_hh] per layer and direction.
    Returns (output, h_n).
    """
    return _run_layers(ops.RNNLayer, input, (hx,), params, has_biases, num_layers,  # type: ignore[return-value]
                       dropout, train, bidirectional, batch_first, nonlinearity="tanh")


def rnn_relu(input: Tensor, hx: Any, params: Sequence[Tensor], has_biases: bool,  # noqa: A002
             num_layers: int, dropout: float, train: bool, bidirectional: bool,
             batch_first: bool) -> tuple[Tensor, Tensor]:
    """Elman RNN with relu, h_t = max(0, W_ih x_t + b_ih + W_hh h_{t−1} + b_hh); as
    :func:`rnn_tanh`."""
    return _run_layers(ops.RNNLayer, input, (hx,), params, has_biases, num_layers,  # type: ignore[return-value]
                       dropout, train, bidirectional, batch_first, nonlinearity="relu")


def lstm(input: Tensor, hx: Any, params: Sequence[Tensor], has_biases: bool,  # noqa: A002
         num_layers: int, dropout: float, train: bool, bidirectional: bool,
         batch_first: bool) -> tuple[Tensor, Tensor, Tensor]:
    """LSTM over all layers: (i, f, g, o) = (σ, σ, tanh, σ)(W_ih x_t + b_ih + W_hh h_{t−1}
    + b_hh), c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh(c_t).

    ``hx`` is (h_0, c_0), each (layers·directions, B, H), or None. Returns
    (output, h_n, c_n) as ``torch.lstm``.
    """
    h0, c0 = (None, None) if hx is None else hx
    return _run_layers(ops.LSTMLayer, input, (h0, c0), params, has_biases, num_layers,  # type: ignore[return-value]
                       dropout, train, bidirectional, batch_first)


def gru(input: Tensor, hx: Any, params: Sequence[Tensor], has_biases: bool,  # noqa: A002
        num_layers: int, dropout: float, train: bool, bidirectional: bool,
        batch_first: bool) -> tuple[Tensor, Tensor]:
    """GRU over all layers: r, z = σ(W_i· x_t + b_i· + W_h· h_{t−1} + b_h·),
    n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t−1} + b_hn)), h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}.

    Arguments as :func:`rnn_tanh`; returns (output, h_n).
    """
    return _run_layers(ops.GRULayer, input, (hx,), params, has_biases, num_layers,  # type: ignore[return-value]
                       dropout, train, bidirectional, batch_first)


# --- cells: one time step --------------------------------------------------------------------
def _cell_weights(w_ih: Tensor, w_hh: Tensor, b_ih: Any, b_hh: Any) -> tuple[Any, ...]:
    if (b_ih is None) != (b_hh is None):
        raise ValueError("cell: give both b_ih and b_hh, or neither")
    return (w_ih, w_hh) if b_ih is None else (w_ih, w_hh, b_ih, b_hh)


def rnn_tanh_cell(input: Tensor, hx: Any, w_ih: Tensor, w_hh: Tensor,  # noqa: A002
                  b_ih: Any = None, b_hh: Any = None) -> Tensor:
    """h' = tanh(W_ih x + b_ih + W_hh h + b_hh) for x (B, I) and h (B, H) (None: zeros)."""
    return ops.RNNLayer.apply(input.unsqueeze(0), hx, *_cell_weights(w_ih, w_hh, b_ih, b_hh),
                              nonlinearity="tanh")[1]


def rnn_relu_cell(input: Tensor, hx: Any, w_ih: Tensor, w_hh: Tensor,  # noqa: A002
                  b_ih: Any = None, b_hh: Any = None) -> Tensor:
    """h' = max(0, W_ih x + b_ih + W_hh h + b_hh)."""
    return ops.RNNLayer.apply(input.unsqueeze(0), hx, *_cell_weights(w_ih, w_hh, b_ih, b_hh),
                              nonlinearity="relu")[1]


def lstm_cell(input: Tensor, hx: Any, w_ih: Tensor, w_hh: Tensor,  # noqa: A002
              b_ih: Any = None, b_hh: Any = None) -> tuple[Tensor, Tensor]:
    """One LSTM step: returns (h', c') for x (B, I) and hx = (h, c), each (B, H), or None."""
    h, c = (None, None) if hx is None else hx
    _, h_next, c_next = ops.LSTMLayer.apply(input.unsqueeze(0), h, c,
                                            *_cell_weights(w_ih, w_hh, b_ih, b_hh))
    return h_next, c_next


def gru_cell(input: Tensor, hx: Any, w_ih: Tensor, w_hh: Tensor,  # noqa: A002
             b_ih: Any = None, b_hh: Any = None) -> Tensor:
    """One GRU step: h' = (1 − z) ⊙ n + z ⊙ h."""
    return ops.GRULayer.apply(input.unsqueeze(0), hx,
                              *_cell_weights(w_ih, w_hh, b_ih, b_hh))[1]
