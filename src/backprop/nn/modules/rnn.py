"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and the cells ``RNNCell``, ``LSTMCell``,
``GRUCell``, with PyTorch's arguments, parameter names, gate order and initialisation.

Each layer (and direction) runs as one fused op (``backprop.ops.rnn``): all input
projections in one matrix product, the recurrent product and the cell's point-wise
math per step, backpropagation through time in one reverse loop.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

from ...backends import xp
from ...dtypes import default_dtype, to_dtype
from .. import _functional_sequences as FS
from .. import init
from ..module import Module
from ..parameter import Parameter

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _check_int(layer: str, name: str, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{layer}: {name} should be of type int, got: {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{layer}: {name} must be greater than zero, got {value}")


class RNNBase(Module):
    """The shared machinery of ``RNN``, ``LSTM`` and ``GRU`` (``mode`` picks the cell)."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode!r}")
        layer = self._layer_name(mode)
        _check_int(layer, "input_size", input_size)
        _check_int(layer, "hidden_size", hidden_size)
        _check_int(layer, "num_layers", num_layers)
        if not isinstance(bias, bool):
            raise TypeError(f"{layer}: bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"{layer}: batch_first should be of type bool, got: "
                            f"{type(batch_first).__name__}")
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):  # type: ignore[operator]
            raise ValueError(f"{layer}: dropout should be a number in range [0, 1] representing "
                             f"the probability of an element being zeroed, got {dropout!r}")
        if proj_size != 0:
            raise NotImplementedError(f"{layer}: proj_size > 0 (LSTM with projections) is not "
                                      "supported")
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                f"{layer}: dropout option adds dropout after all but last recurrent layer, so "
                f"non-zero dropout expects num_layers greater than 1, but got "
                f"dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        self.mode = mode
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        dtype = to_dtype(dtype) or default_dtype()
        gate_size = _GATES[mode] * hidden_size
        directions = 2 if bidirectional else 1
        self._flat_weights_names: list[str] = []
        for layer_index in range(num_layers):
            for direction in range(directions):
                layer_input = input_size if layer_index == 0 else hidden_size * directions
                suffix = f"_l{layer_index}" + ("_reverse" if direction == 1 else "")
                shapes: list[tuple[str, tuple[int, ...]]] = [
                    ("weight_ih", (gate_size, layer_input)),
                    ("weight_hh", (gate_size, hidden_size)),
                ]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                for name, shape in shapes:
                    setattr(self, name + suffix, Parameter(xp.empty(shape, dtype=dtype)))
                    self._flat_weights_names.append(name + suffix)
        self.reset_parameters()

    @staticmethod
    def _layer_name(mode: str) -> str:
        return "RNN" if mode.startswith("RNN") else mode

    @property
    def _flat_weights(self) -> list[Parameter]:
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        per = 4 if self.bias else 2
        weights = self._flat_weights
        return [weights[i:i + per] for i in range(0, len(weights), per)]

    def reset_parameters(self) -> None:
        """Every weight and bias from U(−1/√hidden_size, 1/√hidden_size) (PyTorch's default)."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def flatten_parameters(self) -> None:
        """Nothing to do on the CPU (kept for PyTorch code that calls it)."""

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # --- argument checks with PyTorch's rules, naming the layer and the shapes -------------
    def _prepare(self, input: Any, states: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...], bool]:  # noqa: A002
        """Check input and initial states; add the batch dimension to unbatched (2-D) input."""
        layer = self._layer_name(self.mode)
        if input.ndim not in (2, 3):
            raise ValueError(f"{layer}: Expected input to be 2D or 3D, got {input.ndim}D instead "
                             f"(input of shape {tuple(input.shape)})")
        weight = self._flat_weights[0]
        if input.dtype != weight.dtype:
            raise ValueError(f"{layer}: input dtype ({input.dtype}) does not match weight dtype "
                             f"({weight.dtype}); convert the input with input.to({weight.dtype})"
                             f" or the model with model.to({input.dtype})")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{layer}: input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]} (input of shape "
                               f"{tuple(input.shape)})")
        batched = input.ndim == 3
        names = ("h_0", "c_0")
        if not batched:
            input = input.unsqueeze(0 if self.batch_first else 1)
            for name, state in zip(names, states):
                if state is not None and state.ndim != 2:
                    raise RuntimeError(f"{layer}: for unbatched 2-D input, {name} should also be "
                                       f"2-D but got a {state.ndim}-D tensor of shape "
                                       f"{tuple(state.shape)}")
            states = tuple(None if s is None else s.unsqueeze(1) for s in states)
        batch = input.shape[0 if self.batch_first else 1]
        expected = ((2 if self.bidirectional else 1) * self.num_layers, batch, self.hidden_size)
        for name, state in zip(names, states):
            if state is None:
                continue
            if batched and state.ndim != 3:
                raise RuntimeError(f"{layer}: for batched 3-D input, {name} should also be 3-D "
                                   f"but got a {state.ndim}-D tensor of shape "
                                   f"{tuple(state.shape)}")
            if tuple(state.shape) != expected:
                raise RuntimeError(
                    f"{layer}: Expected {name} of shape (num_layers * num_directions, batch, "
                    f"hidden_size) = {expected}, got {tuple(state.shape)}"
                )
        return input, states, batched

    def _unbatch(self, tensors: tuple[Any, ...], batched: bool) -> tuple[Any, ...]:
        if batched:
            return tensors
        output, *states = tensors
        return (output.squeeze(0 if self.batch_first else 1), *(s.squeeze(1) for s in states))

    def _call(self, function: Any, input: Any, hx: Any) -> Any:  # noqa: A002
        return function(input, hx, self._flat_weights, self.bias, self.num_layers, self.dropout,
                        self.training, self.bidirectional, self.batch_first)


class RNN(RNNBase):
    r"""Elman RNN: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh) (or relu), stacked.

    Args:
        input_size: features of the input x.
        hidden_size: features of the hidden state h.
        num_layers: stacked layers, each reading the previous layer's outputs (default 1).
        nonlinearity: ``'tanh'`` or ``'relu'`` (default ``'tanh'``).
        bias: use ``b_ih`` and ``b_hh`` (default True).
        batch_first: input and output are (batch, seq, feature) (default False).
        dropout: dropout on the outputs of every layer but the last, in training.
        bidirectional: also run each layer from the end to the start (default False).

    Shape: input (L, N, H_in), or (N, L, H_in) if ``batch_first``, or (L, H_in)
    unbatched; h_0 (num_layers·directions, N, H_out) (zeros if not given). Returns
    (output (L, N, directions·H_out), h_n (num_layers·directions, N, H_out)).

    Parameters ``weight_ih_l{k}`` (H_out, H_in or directions·H_out), ``weight_hh_l{k}``
    (H_out, H_out), ``bias_ih_l{k}``, ``bias_hh_l{k}`` (H_out,), with ``_reverse``
    for the backward direction; all from U(−1/√H_out, 1/√H_out).

    Example::

        >>> import backprop as bp
        >>> rnn = bp.nn.RNN(10, 20, num_layers=2)
        >>> output, h_n = rnn(bp.randn(5, 3, 10))
        >>> output.shape, h_n.shape
        ((5, 3, 20), (2, 3, 20))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, device: Any = None,
                 dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' "
                             "or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)

    def forward(self, input: Any, hx: Any = None) -> Any:  # noqa: A002
        input, (hx,), batched = self._prepare(input, (hx,))
        function = FS.rnn_tanh if self.nonlinearity == "tanh" else FS.rnn_relu
        return self._unbatch(self._call(function, input, hx), batched)


class LSTM(RNNBase):
    r"""Long short-term memory, stacked; gates in PyTorch's order i, f, g, o:

        i = σ(W_ii x_t + b_ii + W_hi h_{t−1} + b_hi)     (input gate)
        f = σ(W_if x_t + b_if + W_hf h_{t−1} + b_hf)     (forget gate)
        g = tanh(W_ig x_t + b_ig + W_hg h_{t−1} + b_hg)  (cell candidate)
        o = σ(W_io x_t + b_io + W_ho h_{t−1} + b_ho)     (output gate)
        c_t = f ⊙ c_{t−1} + i ⊙ g,    h_t = o ⊙ tanh(c_t)

    Args: as :class:`RNN` (no ``nonlinearity``).

    Shape: input as :class:`RNN`; ``hx = (h_0, c_0)``, each (num_layers·directions,
    N, H_out), zeros if not given. Returns (output, (h_n, c_n)).

    ``weight_ih_l{k}`` is (4·H_out, ·) = [W_ii; W_if; W_ig; W_io], ``weight_hh_l{k}``
    (4·H_out, H_out), biases (4·H_out,); all from U(−1/√H_out, 1/√H_out).

    Example::

        >>> import backprop as bp
        >>> lstm = bp.nn.LSTM(8, 16, batch_first=True)
        >>> output, (h_n, c_n) = lstm(bp.randn(4, 7, 8))
        >>> output.shape, h_n.shape, c_n.shape
        ((4, 7, 16), (1, 4, 16), (1, 4, 16))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device=device, dtype=dtype)

    def forward(self, input: Any, hx: Any = None) -> Any:  # noqa: A002
        if hx is not None and (not isinstance(hx, tuple | list) or len(hx) != 2):
            raise TypeError("LSTM: hx must be a tuple (h_0, c_0)")
        states = (None, None) if hx is None else tuple(hx)
        input, states, batched = self._prepare(input, states)
        if (states[0] is None) != (states[1] is None):
            raise RuntimeError("LSTM: give both h_0 and c_0, or neither")
        hx = None if states[0] is None else states
        output, h_n, c_n = self._unbatch(self._call(FS.lstm, input, hx), batched)
        return output, (h_n, c_n)


class GRU(RNNBase):
    r"""Gated recurrent unit, stacked; gates in PyTorch's order r, z, n:

        r = σ(W_ir x_t + b_ir + W_hr h_{t−1} + b_hr)           (reset gate)
        z = σ(W_iz x_t + b_iz + W_hz h_{t−1} + b_hz)           (update gate)
        n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t−1} + b_hn))  (candidate)
        h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}

    Args and shapes as :class:`RNN`; weights are (3·H_out, ·) = [W_r; W_z; W_n].

    Example::

        >>> import backprop as bp
        >>> gru = bp.nn.GRU(8, 16, num_layers=2)
        >>> output, h_n = gru(bp.randn(7, 4, 8))
        >>> output.shape, h_n.shape
        ((7, 4, 16), (2, 4, 16))
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, device: Any = None, dtype: Any = None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device=device, dtype=dtype)

    def forward(self, input: Any, hx: Any = None) -> Any:  # noqa: A002
        input, (hx,), batched = self._prepare(input, (hx,))
        return self._unbatch(self._call(FS.gru, input, hx), batched)


# --- cells -----------------------------------------------------------------------------------
class RNNCellBase(Module):
    """The shared machinery of the cells: ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``."""

    _name = "RNNCell"

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        _check_int(self._name, "input_size", input_size)
        _check_int(self._name, "hidden_size", hidden_size)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        dtype = to_dtype(dtype) or default_dtype()
        self.weight_ih = Parameter(xp.empty((num_chunks * hidden_size, input_size), dtype=dtype))
        self.weight_hh = Parameter(xp.empty((num_chunks * hidden_size, hidden_size), dtype=dtype))
        if bias:
            self.bias_ih = Parameter(xp.empty(num_chunks * hidden_size, dtype=dtype))
            self.bias_hh = Parameter(xp.empty(num_chunks * hidden_size, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias from U(−1/√hidden_size, 1/√hidden_size)."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"  # type: ignore[attr-defined]
        return s

    def _prepare(self, input: Any, states: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...], bool]:  # noqa: A002
        if input.ndim not in (1, 2):
            raise ValueError(f"{self._name}: Expected input to be 1D or 2D, got {input.ndim}D "
                             f"instead (input of shape {tuple(input.shape)})")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{self._name}: input has {input.shape[-1]} features (shape "
                               f"{tuple(input.shape)}), expected input_size={self.input_size}")
        if input.dtype != self.weight_ih.dtype:
            raise ValueError(f"{self._name}: input dtype ({input.dtype}) does not match weight "
                             f"dtype ({self.weight_ih.dtype})")
        batched = input.ndim == 2
        if not batched:
            input = input.unsqueeze(0)
        expected = (input.shape[0], self.hidden_size)
        prepared: list[Any] = []
        for index, state in enumerate(states):
            if state is None:  # the op starts from zeros
                prepared.append(None)
                continue
            if state.ndim not in (1, 2):
                raise ValueError(f"{self._name}: Expected hidden state {index} to be 1D or 2D, "
                                 f"got {state.ndim}D instead")
            state = state.unsqueeze(0) if not batched else state
            if tuple(state.shape) != expected:
                raise RuntimeError(f"{self._name}: hidden state {index} has shape "
                                   f"{tuple(state.shape)}, expected (batch, hidden_size) = "
                                   f"{expected}")
            prepared.append(state)
        return input, tuple(prepared), batched


class RNNCell(RNNCellBase):
    """One step of an Elman RNN: h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu).

    Args: input_size, hidden_size, bias=True, nonlinearity='tanh'. Input (N, H_in) or
    (H_in,), hx (N, H_out) or (H_out,) (zeros if not given); returns h'.

    Example::

        >>> import backprop as bp
        >>> cell = bp.nn.RNNCell(10, 20)
        >>> cell(bp.randn(3, 10)).shape
        (3, 20)
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Any = None, dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: Unknown nonlinearity '{nonlinearity}'. Select from "
                             "'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, 1, device=device, dtype=dtype)

    def forward(self, input: Any, hx: Any = None) -> Any:  # noqa: A002
        input, (hx,), batched = self._prepare(input, (hx,))
        cell = FS.rnn_tanh_cell if self.nonlinearity == "tanh" else FS.rnn_relu_cell
        h = cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step: returns (h', c') with the gate equations of :class:`LSTM`.

    Example::

        >>> import backprop as bp
        >>> cell = bp.nn.LSTMCell(10, 20)
        >>> h, c = cell(bp.randn(3, 10))
        >>> h.shape, c.shape
        ((3, 20), (3, 20))
    """

    _name = "LSTMCell"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device=device, dtype=dtype)

    def forward(self, input: Any, hx: Any = None) -> Any:  # noqa: A002
        states = (None, None) if hx is None else tuple(hx)
        input, states, batched = self._prepare(input, states)
        h, c = FS.lstm_cell(input, states, self.weight_ih, self.weight_hh, self.bias_ih,
                            self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step: h' = (1 − z) ⊙ n + z ⊙ h with the gate equations of :class:`GRU`.

    Example::

        >>> import backprop as bp
        >>> cell = bp.nn.GRUCell(10, 20)
        >>> cell(bp.randn(3, 10)).shape
        (3, 20)
    """

    _name = "GRUCell"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device=device, dtype=dtype)

    def forward(self, input: Any, hx: Any = None) -> Any:  # noqa: A002
        input, (hx,), batched = self._prepare(input, (hx,))
        h = FS.gru_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h if batched else h.squeeze(0)
