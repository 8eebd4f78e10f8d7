"""A small dense network to explain: layers, names, inputs, targets, loss, learning rate.

The explainer works on one training sample and names everything the way the
hand-worked tutorials do: inputs ``i1, i2``, hidden neurons ``h1, h2``, outputs
``o1, o2``; weights ``w1, w2, …`` numbered row by row through each layer's
``(out, in)`` matrix (``w1, w2 → h1``; ``w3, w4 → h2``, as in Mazur's example);
each neuron's bias ``b_h1``. A network may name things its own way (the built-in
examples do), and two positions with the same name are one shared parameter
whose gradient is the sum over its uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity")
LOSSES = ("mse_half", "mse", "cross_entropy", "bce")
# Letters for hidden layers when there are several (i, o, w, b, e are taken).
HIDDEN_LETTERS = "hkmpqrsuv"


@dataclass
class DenseLayer:
    """One ``Linear`` + activation: ``out = f(W·in + b)`` with ``W`` of shape (out, in)."""

    weight: np.ndarray
    bias: np.ndarray | None = None
    activation: str = "sigmoid"
    train_bias: bool = True
    neuron_names: list[str] = field(default_factory=list)
    weight_names: list[list[str]] = field(default_factory=list)
    bias_names: list[str] = field(default_factory=list)

    @property
    def n_out(self) -> int:
        return int(self.weight.shape[0])

    @property
    def n_in(self) -> int:
        return int(self.weight.shape[1])


@dataclass
class DenseProblem:
    """Everything the dense explainer needs: the network and one training sample."""

    layers: list[DenseLayer]
    inputs: np.ndarray
    targets: np.ndarray
    loss: str = "mse_half"
    lr: float = 0.5
    steps: int = 1
    title: str = ""
    input_names: list[str] = field(default_factory=list)
    builtin: str = ""  # "mazur", "nobias" or "" (notes about published figures)

    def parameters(self) -> dict[str, list[tuple[str, int, int, int]]]:
        """Trainable parameter name → positions ``("W", layer, j, k)`` or ``("b", layer, j, 0)``."""
        table: dict[str, list[tuple[str, int, int, int]]] = {}
        for index, layer in enumerate(self.layers):
            for j in range(layer.n_out):
                for k in range(layer.n_in):
                    table.setdefault(layer.weight_names[j][k], []).append(("W", index, j, k))
            if layer.bias is not None and layer.train_bias:
                for j in range(layer.n_out):
                    table.setdefault(layer.bias_names[j], []).append(("b", index, j, 0))
        return table


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(f"explain: {message}")


def make_problem(layers: list[dict[str, Any]], inputs: Any, targets: Any, *,
                 loss: str = "mse_half", lr: float = 0.5, steps: int = 1, title: str = "",
                 input_names: list[str] | None = None, builtin: str = "",
                 where: str = "network") -> DenseProblem:
    """Build and validate a :class:`DenseProblem`, filling in default names.

    ``layers`` holds dicts with ``weight`` (out × in), and optionally ``bias``,
    ``activation``, ``train_bias``, ``names``, ``weight_names``, ``bias_names``.
    ``where`` names the source in error messages (a spec file, a model).
    """
    _check(loss in LOSSES, f"{where}: loss must be one of {', '.join(LOSSES)}, got {loss!r}")
    _check(float(lr) > 0, f"{where}: the learning rate must be > 0, got {lr}")
    _check(int(steps) >= 1, f"{where}: steps must be >= 1, got {steps}")
    _check(len(layers) >= 1, f"{where}: at least one layer is needed")
    x = np.asarray(inputs, dtype=np.float64).reshape(-1)
    built: list[DenseLayer] = []
    n_prev = x.size
    for index, spec in enumerate(layers):
        name = f"{where}: layers[{index}]"
        weight = np.asarray(spec["weight"], dtype=np.float64)
        if weight.ndim == 1:
            weight = weight.reshape(1, -1)
        _check(weight.ndim == 2, f"{name}.weight must be a matrix (out × in), "
               f"got shape {weight.shape}")
        _check(weight.shape[1] == n_prev, f"{name}.weight has {weight.shape[1]} columns but "
               f"its input has {n_prev} values (weight is out × in, as in nn.Linear)")
        bias = spec.get("bias")
        if bias is not None:
            bias = np.asarray(bias, dtype=np.float64).reshape(-1)
            if bias.size == 1 and weight.shape[0] > 1:
                bias = np.repeat(bias, weight.shape[0])
            _check(bias.size == weight.shape[0], f"{name}.bias has {bias.size} values for "
                   f"{weight.shape[0]} neurons")
        activation = str(spec.get("activation", "sigmoid")).lower()
        _check(activation in ACTIVATIONS, f"{name}.activation must be one of "
               f"{', '.join(ACTIVATIONS)}, got {activation!r}")
        _check(bool(np.all(np.isfinite(weight))) and
               (bias is None or bool(np.all(np.isfinite(bias)))),
               f"{name}: weights and biases must be finite numbers")
        built.append(DenseLayer(weight, bias, activation, bool(spec.get("train_bias", True)),
                                list(spec.get("names") or []),
                                [list(r) for r in spec.get("weight_names") or []],
                                list(spec.get("bias_names") or [])))
        n_prev = weight.shape[0]
    y = np.asarray(targets, dtype=np.float64).reshape(-1)
    n_out = built[-1].n_out
    if loss == "cross_entropy" and y.size == 1 and n_out > 1:
        _check(float(y[0]).is_integer() and 0 <= y[0] < n_out,
               f"{where}: a class-index target must be in 0..{n_out - 1}, got {y[0]}")
        y = np.eye(n_out)[int(y[0])]
    _check(y.size == n_out, f"{where}: {y.size} targets for {n_out} outputs")
    _check(bool(np.all(np.isfinite(x))) and bool(np.all(np.isfinite(y))),
           f"{where}: inputs and targets must be finite numbers")
    if loss == "bce":
        _check(built[-1].activation == "sigmoid" and bool(np.all((y >= 0) & (y <= 1))),
               f"{where}: loss 'bce' needs a sigmoid output layer and targets in [0, 1]")
    problem = DenseProblem(built, x, y, loss, float(lr), int(steps), title,
                           list(input_names or []), builtin)
    _name_everything(problem, where)
    return problem


def _name_everything(problem: DenseProblem, where: str) -> None:
    layers = problem.layers
    if not problem.input_names:
        problem.input_names = [f"i{k + 1}" for k in range(problem.inputs.size)]
    _check(len(problem.input_names) == problem.inputs.size,
           f"{where}: {len(problem.input_names)} input names for {problem.inputs.size} inputs")
    n_hidden = len(layers) - 1
    _check(n_hidden <= len(HIDDEN_LETTERS),
           f"{where}: at most {len(HIDDEN_LETTERS)} hidden layers can be named; "
           "give each layer its own 'names'")
    counter = 0
    for index, layer in enumerate(layers):
        letter = "o" if index == n_hidden else HIDDEN_LETTERS[index]
        if not layer.neuron_names:
            layer.neuron_names = [f"{letter}{j + 1}" for j in range(layer.n_out)]
        if not layer.weight_names:
            layer.weight_names = [[f"w{counter + j * layer.n_in + k + 1}"
                                   for k in range(layer.n_in)] for j in range(layer.n_out)]
        counter += layer.n_out * layer.n_in
        if layer.bias is not None and not layer.bias_names:
            layer.bias_names = [f"b_{n}" for n in layer.neuron_names]
        label = f"{where}: layers[{index}]"
        _check(len(layer.neuron_names) == layer.n_out, f"{label}: {len(layer.neuron_names)} "
               f"names for {layer.n_out} neurons")
        _check(len(layer.weight_names) == layer.n_out and
               all(len(r) == layer.n_in for r in layer.weight_names),
               f"{label}: weight_names must be {layer.n_out} × {layer.n_in}")
        _check(layer.bias is None or len(layer.bias_names) == layer.n_out,
               f"{label}: {len(layer.bias_names)} bias names for {layer.n_out} neurons")
    # A shared name must mean one value.
    values: dict[str, float] = {}
    for layer in layers:
        pairs = [(n, w) for names, r in zip(layer.weight_names, layer.weight)
                 for n, w in zip(names, r)]
        if layer.bias is not None:
            pairs += list(zip(layer.bias_names, layer.bias))
        for name, value in pairs:
            _check(values.setdefault(name, float(value)) == float(value),
                   f"{where}: parameter {name!r} is used twice with different values "
                   f"({values[name]} and {float(value)})")


def problem_from_module(model: Any, inputs: Any, targets: Any, **options: Any) -> DenseProblem:
    """A :class:`DenseProblem` from a ``Sequential`` of ``Linear`` and activation layers.

    The model's weights are copied; explaining never changes the model.
    """
    from ..nn import Identity, Linear, ReLU, Sequential, Sigmoid, Tanh

    modules = list(model) if isinstance(model, Sequential) else [model]
    activation_of = {Sigmoid: "sigmoid", Tanh: "tanh", ReLU: "relu", Identity: "identity"}
    layers: list[dict[str, Any]] = []
    for position, module in enumerate(modules):
        if isinstance(module, Linear):
            bias = getattr(module, "bias", None)
            layers.append({"weight": np.array(module.weight.data, dtype=np.float64),
                           "bias": None if bias is None else
                           np.array(bias.data, dtype=np.float64),
                           "activation": "identity"})
        elif type(module) in activation_of:
            _check(bool(layers) and layers[-1]["activation"] == "identity",
                   f"model[{position}] ({type(module).__name__}) must follow a Linear layer")
            layers[-1]["activation"] = activation_of[type(module)]
        else:
            raise ValueError(
                f"explain: model[{position}] is {type(module).__name__}; the explainer "
                "handles Linear layers followed by Sigmoid, Tanh, ReLU or Identity"
            )
    _check(bool(layers), "the model has no Linear layer")
    return make_problem(layers, inputs, targets, where="model", **options)
