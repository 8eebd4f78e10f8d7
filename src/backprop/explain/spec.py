"""Networks to explain, written as JSON or TOML (the schema is in docs/explain.md).

A dense network::

    title = "my first network"
    loss = "mse_half"            # mse_half | mse | cross_entropy | bce
    lr = 0.5
    steps = 1
    inputs = [0.05, 0.10]
    targets = [0.01, 0.99]       # cross_entropy: probabilities, or [class index]

    [[layers]]                   # one table per Linear + activation
    weight = [[0.15, 0.20], [0.25, 0.30]]   # out × in, as nn.Linear
    bias = [0.35, 0.35]          # optional
    activation = "sigmoid"       # sigmoid | tanh | relu | identity

``kind = "conv"`` (``image``, ``kernel``, ``target``) and ``kind = "rnn"``
(``inputs``, ``w_x``, ``w_h``, ``b``, ``target``) describe the other two examples.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import numpy as np

from .conv import ConvProblem
from .network import DenseProblem, make_problem
from .rnn import RNNProblem

TOP_KEYS = {"dense": {"kind", "title", "loss", "lr", "steps", "inputs", "targets", "input_names",
                      "layers"},
            "conv": {"kind", "title", "lr", "steps", "image", "kernel", "target"},
            "rnn": {"kind", "title", "lr", "steps", "inputs", "w_x", "w_h", "b", "target"}}
LAYER_KEYS = {"weight", "bias", "activation", "train_bias", "names", "weight_names", "bias_names"}


def read_spec(path: str | Path) -> dict[str, Any]:
    """Parse a ``.json`` or ``.toml`` file into a dict."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"explain: no such spec file: {path}")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".toml":
            return tomllib.loads(text)
        if path.suffix.lower() == ".json":
            return json.loads(text)  # type: ignore[no-any-return]
    except (ValueError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"explain: cannot parse {path}: {error}") from None
    raise ValueError(f"explain: a spec file must end in .json or .toml, got {path.name}")


def _require(spec: dict[str, Any], key: str, where: str) -> Any:
    if key not in spec:
        raise ValueError(f"explain: {where} has no {key!r}")
    return spec[key]


def _check_keys(spec: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise ValueError(f"explain: {where}: unknown key(s) {', '.join(map(repr, unknown))}; "
                         f"expected some of {', '.join(sorted(allowed))}")


def problem_from_spec(spec: dict[str, Any], where: str = "spec",
                      **overrides: Any) -> DenseProblem | ConvProblem | RNNProblem:
    """Build the problem a spec describes; ``overrides`` (lr, steps, loss) win over the file."""
    if not isinstance(spec, dict):
        raise ValueError(f"explain: {where} must be a table/object, got {type(spec).__name__}")
    kind = spec.get("kind", "dense")
    if kind not in TOP_KEYS:
        raise ValueError(f"explain: {where}: kind must be dense, conv or rnn, got {kind!r}")
    _check_keys(spec, TOP_KEYS[kind], where)
    options: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}
    lr = float(options.get("lr", spec.get("lr", 0.5 if kind != "conv" else 0.03)) or 0)
    steps = int(options.get("steps", spec.get("steps", 1)) or 0)
    if lr <= 0 or steps < 1:
        raise ValueError(f"explain: {where}: lr must be > 0 and steps >= 1 (got {lr}, {steps})")
    title = str(spec.get("title", ""))
    if kind == "conv":
        arrays = [np.asarray(_require(spec, key, where), dtype=np.float64)
                  for key in ("image", "kernel", "target")]
        image, kernel, target = arrays
        if image.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] > image.shape[0] or \
                kernel.shape[1] > image.shape[1]:
            raise ValueError(f"explain: {where}: image and kernel must be matrices, the kernel "
                             f"no larger than the image (got {image.shape}, {kernel.shape})")
        shape = (image.shape[0] - kernel.shape[0] + 1, image.shape[1] - kernel.shape[1] + 1)
        if target.shape != shape:
            raise ValueError(f"explain: {where}: the target must be {shape[0]}×{shape[1]} "
                             f"(the output size), got {target.shape}")
        return ConvProblem(image, kernel, target, lr, steps, title)
    if kind == "rnn":
        inputs = [float(v) for v in _require(spec, "inputs", where)]
        if not inputs:
            raise ValueError(f"explain: {where}: inputs must hold at least one time step")
        w_x, w_h, b, target_value = (float(_require(spec, k, where))
                                     for k in ("w_x", "w_h", "b", "target"))
        return RNNProblem(inputs, w_x, w_h, b, target_value, lr=lr, steps=steps, title=title)
    layers = _require(spec, "layers", where)
    if not isinstance(layers, list):
        raise ValueError(f"explain: {where}: layers must be a list of tables")
    for index, layer in enumerate(layers):
        _check_keys(layer, LAYER_KEYS, f"{where}: layers[{index}]")
        _require(layer, "weight", f"{where}: layers[{index}]")
    return make_problem(layers, _require(spec, "inputs", where), _require(spec, "targets", where),
                        loss=str(options.get("loss", spec.get("loss", "mse_half"))), lr=lr,
                        steps=steps, title=title, input_names=spec.get("input_names"),
                        where=where)


def load_spec(path: str | Path, **overrides: Any) -> DenseProblem | ConvProblem | RNNProblem:
    """Read a JSON/TOML spec file and build its problem."""
    return problem_from_spec(read_spec(path), where=str(path), **overrides)
