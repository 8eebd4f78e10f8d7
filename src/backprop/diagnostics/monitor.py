"""``GradientMonitor``: per layer and per step, how healthy the gradients of a model are.

Attach it to any ``Module``; call ``step()`` once per training step, after
``optimizer.step()``::

    monitor = bp.diagnostics.GradientMonitor(model)
    for x, y in loader:
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
        monitor.step()
    for finding in monitor.findings():
        print(finding.message("en"))       # or "zh"

What it records, for each step s:

* every parameter: ‖∂L/∂w‖ (the gradient norm; read at ``step()``, so after any
  clipping) and the update ratio ‖w_s − w_(s−1)‖ / ‖w_(s−1)‖ (the weights at
  the previous ``step()``, or at attach time);
* every activation module (``Sigmoid``, ``Tanh``, ``ReLU``), through a forward
  hook and a hook on its output tensor: ‖∂L/∂a‖ of its output, for each call
  (a module called once per time step gives the gradient through time), the
  share of saturated units (sigmoid output < ε or > 1 − ε; |tanh| > 1 − ε) and
  the share of dead ReLUs (units that output 0 for the whole batch);
* any other module passed in ``track``: ‖∂L/∂y‖ of its output, for each call.

What it flags (:meth:`GradientMonitor.findings`):

* ``vanishing``: the first weight matrix's gradient norm is below
  ``vanishing_ratio`` (1e-2) times the last one's (median over the steps);
* ``exploding``: the total gradient norm exceeds ``exploding_norm`` (1e3) or
  grows more than ``growth_factor`` (100×) over its first value;
* ``nonfinite``: a gradient holds NaN or Inf;
* ``saturated`` / ``dead_relu``: on average more than ``unit_share`` (50 %) of
  an activation's units are saturated / dead.

Only forwards that record a graph count (not those under ``no_grad``), and only
activations used as modules are seen (``F.sigmoid`` inside a ``forward`` is not).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..autograd.grad_mode import grad_state
from ..backends import xp
from ..nn import Module, ReLU, Sigmoid, Tanh
from ..tensor import Tensor
from .messages import text

ACTIVATIONS: dict[type, str] = {Sigmoid: "sigmoid", Tanh: "tanh", ReLU: "relu"}
KINDS = ("vanishing", "exploding", "nonfinite", "saturated", "dead_relu")


def _norm(array: Any) -> float:
    """The 2-norm in float64 (a float32 sum of squares overflows long before the norm does)."""
    return float(xp.sqrt(xp.sum(xp.square(array, dtype=xp.float64))))


def _median(values: list[float]) -> float:
    finite = sorted(v for v in values if math.isfinite(v))
    if not finite:
        return math.nan
    middle = len(finite) // 2
    return finite[middle] if len(finite) % 2 else (finite[middle - 1] + finite[middle]) / 2


@dataclass
class LayerHistory:
    """What the monitor recorded for one parameter or one activation module, one entry
    per ``step()`` (NaN where there was nothing to record)."""

    name: str
    # "weight" (2-D or more), "bias"/"parameter" (1-D, 0-D), "sigmoid"/"tanh"/"relu" (an
    # activation module) or "output" (a module in ``track``)
    kind: str
    shape: tuple[int, ...] = ()
    grad_norm: list[float] = field(default_factory=list)
    update_ratio: list[float] = field(default_factory=list)  # parameters only
    weight_norm: list[float] = field(default_factory=list)  # parameters only
    nonfinite: list[bool] = field(default_factory=list)
    saturated: list[float] = field(default_factory=list)  # sigmoid / tanh only
    dead: list[float] = field(default_factory=list)  # relu only
    time_grad_norms: list[list[float]] = field(default_factory=list)  # activations: per call

    @property
    def is_activation(self) -> bool:
        return self.kind in ("sigmoid", "tanh", "relu")

    @property
    def is_parameter(self) -> bool:
        return self.kind in ("weight", "bias", "parameter")

    def median_grad_norm(self) -> float:
        return _median(self.grad_norm)


@dataclass
class Finding:
    """One problem the monitor found, with the numbers behind it.

    ``kind`` is one of ``vanishing, exploding, nonfinite, saturated, dead_relu``;
    ``layer`` the layer it concerns most (the earliest layer for vanishing);
    ``step`` the index (0-based) of the first step where it showed; ``value`` the key
    number (the gradient ratio, the largest total norm, the share of units); ``details``
    the rest. Messages count steps from 1.
    """

    kind: str
    layer: str
    step: int
    value: float
    details: dict[str, Any] = field(default_factory=dict)

    def message(self, lang: str = "en") -> str:
        """The plain-language explanation, in English (``"en"``) or Chinese (``"zh"``)."""
        d = self.details
        if self.kind == "vanishing":
            activation = d.get("activation")
            if activation in ("sigmoid", "tanh"):
                cause = text(f"vanishing_cause_{activation}", lang, count=d["activation_count"])
            else:
                cause = text("vanishing_cause_generic", lang)
            return text("vanishing", lang, layer=self.layer, ratio=self.value, last=d["last"],
                        steps=d["steps"], threshold=d["threshold"], cause=cause)
        if self.kind == "exploding":
            time = ""
            if d.get("time_growth", 0) > 1:
                time = text("exploding_time", lang, layer=d["time_layer"],
                            growth=d["time_growth"], calls=d["time_calls"])
            if self.value > d["threshold"]:
                reason = text("exploding_above", lang, threshold=d["threshold"])
            else:
                reason = text("exploding_growth", lang, growth=d["growth"], factor=d["factor"])
            return text("exploding", lang, norm=self.value, step=d["peak_step"] + 1,
                        reason=reason, time=time)
        if self.kind == "nonfinite":
            return text("nonfinite", lang, layers=", ".join(d["layers"]), step=self.step + 1)
        if self.kind == "saturated":
            activation = d["activation"]
            rule = text(f"rule_{activation}", lang, eps=d["eps"], high=1 - d["eps"])
            return text("saturated", lang, share=self.value, layer=self.layer,
                        activation=activation, rule=rule)
        if self.kind == "dead_relu":
            return text("dead_relu", lang, share=self.value, layer=self.layer)
        raise ValueError(f"unknown finding kind {self.kind!r}")

    def __str__(self) -> str:
        return self.message("en")


class GradientMonitor:
    """Record gradient health per layer and per step, and flag what goes wrong.

    Args:
        model: any ``Module``; its parameters and activation submodules are watched.
        vanishing_ratio: flag ``vanishing`` when the first weight's gradient norm is
            below this times the last weight's (default 1e-2: 100× slower).
        exploding_norm: flag ``exploding`` when the total gradient norm exceeds this.
        growth_factor: ... or when it grows more than this over its first step's value.
        saturation_eps: a sigmoid unit is saturated when its output is below ``eps`` or
            above ``1 − eps``; a tanh unit when ``|output| > 1 − eps`` (default 0.01).
        unit_share: flag ``saturated`` / ``dead_relu`` above this share of units (0.5).
        track: more modules whose output gradient to record per call (e.g. the recurrent
            ``Linear`` of an unrolled RNN: its outputs' gradients are ∂L/∂h_t for each t).

    ``monitor.layers`` maps names (``"0.weight"``, ``"1"`` for an activation module)
    to :class:`LayerHistory`; ``monitor.total_grad_norm`` has one entry per step.
    ``remove()`` (or leaving a ``with`` block) detaches the hooks.

    Example::

        >>> model = bp.nn.Sequential(bp.nn.Linear(3, 4), bp.nn.Sigmoid(), bp.nn.Linear(4, 1))
        >>> monitor = GradientMonitor(model)
        >>> model(bp.randn(8, 3)).sum().backward()
        >>> monitor.step()
        >>> list(monitor.layers)
        ['0.weight', '0.bias', '1', '2.weight', '2.bias']
    """

    def __init__(self, model: Module, *, vanishing_ratio: float = 1e-2,
                 exploding_norm: float = 1e3, growth_factor: float = 1e2,
                 saturation_eps: float = 0.01, unit_share: float = 0.5,
                 track: Iterable[Module] = ()) -> None:
        if not isinstance(model, Module):
            raise TypeError(f"GradientMonitor watches a Module, got {type(model).__name__}")
        for name, value in (("vanishing_ratio", vanishing_ratio),
                            ("exploding_norm", exploding_norm), ("growth_factor", growth_factor)):
            if not value > 0:
                raise ValueError(f"GradientMonitor: {name} must be positive, got {value}")
        if not 0 < saturation_eps < 0.5:
            raise ValueError(f"GradientMonitor: saturation_eps must lie in (0, 0.5), "
                             f"got {saturation_eps}")
        if not 0 < unit_share <= 1:
            raise ValueError(f"GradientMonitor: unit_share must lie in (0, 1], got {unit_share}")
        self.model = model
        self.vanishing_ratio = vanishing_ratio
        self.exploding_norm = exploding_norm
        self.growth_factor = growth_factor
        self.saturation_eps = saturation_eps
        self.unit_share = unit_share
        self.layers: dict[str, LayerHistory] = {}
        self.total_grad_norm: list[float] = []
        self.steps = 0
        self._parameters: dict[str, Tensor] = {}
        self._previous: dict[str, Any] = {}
        self._pending: dict[str, dict[str, list[Any]]] = {}
        self._handles: list[Any] = []
        seen: set[int] = set()
        tracked = {id(module) for module in track}
        for module_name, module in model.named_modules():
            for param_name, param in module.named_parameters(recurse=False):
                if id(param) in seen or not param.requires_grad:
                    continue
                seen.add(id(param))
                name = f"{module_name}.{param_name}" if module_name else param_name
                kind = "weight" if param.ndim >= 2 else ("bias" if "bias" in param_name
                                                          else "parameter")
                self.layers[name] = LayerHistory(name, kind, tuple(param.shape))
                self._parameters[name] = param
                self._previous[name] = param.data.copy()
            activation = ACTIVATIONS.get(type(module))
            if activation is None and id(module) in tracked:
                activation = "output"
            if activation is not None:
                name = module_name or type(module).__name__
                self.layers[name] = LayerHistory(name, activation)
                self._pending[name] = {"units": [], "grads": []}
                self._handles.append(module.register_forward_hook(self._forward_hook(name)))

    # --- recording --------------------------------------------------------------------
    def _forward_hook(self, name: str) -> Any:
        history = self.layers[name]
        pending = self._pending[name]
        eps = self.saturation_eps

        def hook(module: Module, inputs: Any, output: Any) -> None:
            if not isinstance(output, Tensor) or not grad_state.enabled:
                return
            data = output.data
            if history.kind == "sigmoid":
                pending["units"].append(float(xp.mean((data < eps) | (data > 1 - eps))))
            elif history.kind == "tanh":
                pending["units"].append(float(xp.mean(xp.abs(data) > 1 - eps)))
            elif history.kind == "relu":  # a unit is dead when it is 0 for the whole batch
                per_sample = data.reshape(data.shape[0], -1) if data.ndim > 1 else data[None]
                pending["units"].append(float(xp.mean(xp.all(per_sample == 0, axis=0))))
            if output.requires_grad:
                grads = pending["grads"]
                index = len(grads)
                grads.append(math.nan)

                def record(grad: Tensor) -> None:
                    grads[index] = _norm(grad.data)

                output.register_hook(record)

        return hook

    def step(self) -> None:
        """Record this step: read every parameter's ``.grad`` and the activations seen since
        the last call. Call it after ``optimizer.step()`` (before ``zero_grad``)."""
        squares = 0.0
        any_grad = False
        for name, param in self._parameters.items():
            history = self.layers[name]
            grad = param.grad
            if grad is None:
                history.grad_norm.append(math.nan)
                history.nonfinite.append(False)
            else:
                norm = _norm(grad.data)
                finite = bool(xp.isfinite(grad.data).all())
                history.grad_norm.append(norm)
                history.nonfinite.append(not finite)
                squares += norm * norm
                any_grad = True
            previous = self._previous[name]
            previous_norm = _norm(previous)
            history.weight_norm.append(_norm(param.data))
            history.update_ratio.append(
                _norm(param.data.astype(xp.float64) - previous) / previous_norm
                if previous_norm > 0 else math.nan
            )
            self._previous[name] = param.data.copy()
        self.total_grad_norm.append(math.sqrt(squares) if any_grad else math.nan)
        for name, pending in self._pending.items():
            history = self.layers[name]
            units, grads = pending["units"], pending["grads"]
            share = sum(units) / len(units) if units else math.nan
            (history.dead if history.kind == "relu" else history.saturated).append(share)
            seen = [g for g in grads if not math.isnan(g)]
            history.grad_norm.append(math.sqrt(sum(g * g for g in seen)) if seen else math.nan)
            history.nonfinite.append(any(not math.isfinite(g) for g in seen))
            history.time_grad_norms.append(list(grads))
            pending["units"], pending["grads"] = [], []
        self.steps += 1

    def remove(self) -> None:
        """Detach the hooks (the recorded history stays)."""
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def __enter__(self) -> GradientMonitor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    # --- reading ----------------------------------------------------------------------
    @property
    def weights(self) -> list[LayerHistory]:
        """The weight matrices (parameters with 2 or more dimensions), in model order."""
        return [h for h in self.layers.values() if h.kind == "weight"]

    def gradient_ratios(self) -> dict[str, float]:
        """For each weight: its median gradient norm divided by the last weight's."""
        weights = self.weights
        if not weights:
            return {}
        last = weights[-1].median_grad_norm()
        return {h.name: (h.median_grad_norm() / last if last > 0 else math.nan) for h in weights}

    def time_growth(self, step: int = -1) -> tuple[str, float, int]:
        """(activation, ‖∂L/∂a at its first call‖ / ‖… at its last call‖, calls) for the
        activation module called most often in ``step``: the growth of the gradient
        backwards through time in a recurrent net ('' and NaN when no module repeats)."""
        best = ("", math.nan, 0)
        for history in self.layers.values():
            if not history.time_grad_norms:
                continue
            norms = history.time_grad_norms[step]
            if len(norms) > max(1, best[2]) and norms[-1] > 0:
                best = (history.name, norms[0] / norms[-1], len(norms))
        return best

    def findings(self) -> list[Finding]:
        """What went wrong over the recorded steps, most serious first."""
        if not self.steps:
            return []
        found: list[Finding] = []
        found.extend(self._nonfinite())
        found.extend(self._exploding())
        found.extend(self._vanishing())
        found.extend(self._units())
        return found

    def _nonfinite(self) -> list[Finding]:
        bad = [(h.nonfinite.index(True), h.name) for h in self.layers.values()
               if any(h.nonfinite)]
        if not bad:
            return []
        step = min(s for s, _ in bad)
        layers = [name for _, name in bad]
        return [Finding("nonfinite", layers[0], step, float(len(layers)), {"layers": layers})]

    def _exploding(self) -> list[Finding]:
        norms = self.total_grad_norm
        first = next((n for n in norms if math.isfinite(n) and n > 0), math.nan)
        for step, norm in enumerate(norms):
            if not math.isfinite(norm):
                continue
            growth = norm / first if first > 0 else math.nan
            if norm > self.exploding_norm or growth > self.growth_factor:
                peak = max(n for n in norms if math.isfinite(n))
                name, time_growth, calls = self.time_growth(step)
                layer = max(self._parameters, key=lambda n: _finite_or(
                    self.layers[n].grad_norm[step]))
                details = {"growth": peak / first, "threshold": self.exploding_norm,
                           "factor": self.growth_factor, "peak_step": norms.index(peak),
                           "time_layer": name, "time_growth": time_growth,
                           "time_calls": calls}
                return [Finding("exploding", layer, step, peak, details)]
        return []

    def _vanishing(self) -> list[Finding]:
        weights = self.weights
        if len(weights) < 2:
            return []
        first, last = weights[0], weights[-1]
        ratios = [a / b for a, b in zip(first.grad_norm, last.grad_norm)
                  if math.isfinite(a) and math.isfinite(b) and b > 0]
        ratio = _median(ratios)
        if not ratio < self.vanishing_ratio:
            return []
        step = next(i for i, (a, b) in enumerate(zip(first.grad_norm, last.grad_norm))
                    if b > 0 and a / b < self.vanishing_ratio)
        activations = [h.kind for h in self.layers.values() if h.is_activation]
        main = max(set(activations), key=activations.count) if activations else ""
        details = {"last": last.name, "steps": len(ratios), "threshold": self.vanishing_ratio,
                   "activation": main, "activation_count": activations.count(main),
                   "depth": len(weights)}
        return [Finding("vanishing", first.name, step, ratio, details)]

    def _units(self) -> list[Finding]:
        found = []
        for history in self.layers.values():
            values = history.dead if history.kind == "relu" else history.saturated
            finite = [v for v in values if math.isfinite(v)]
            if not history.is_activation or not finite:
                continue
            share = sum(finite) / len(finite)
            if share > self.unit_share:
                step = next(i for i, v in enumerate(values) if v > self.unit_share)
                kind = "dead_relu" if history.kind == "relu" else "saturated"
                found.append(Finding(kind, history.name, step, share,
                                     {"activation": history.kind, "eps": self.saturation_eps}))
        return found

    def summary(self) -> list[dict[str, Any]]:
        """One row per layer, in model order: name, kind, median gradient norm, its ratio to
        the last weight's (weights only), median update ratio, mean saturated/dead share."""
        ratios = self.gradient_ratios()
        rows = []
        for history in self.layers.values():
            units = history.dead if history.kind == "relu" else history.saturated
            finite_units = [u for u in units if math.isfinite(u)]
            rows.append({
                "layer": history.name,
                "kind": history.kind,
                "shape": history.shape,
                "grad_norm": history.median_grad_norm(),
                "ratio_to_last": ratios.get(history.name, math.nan),
                "update_ratio": _median(history.update_ratio),
                "unit_share": (sum(finite_units) / len(finite_units)) if finite_units
                else math.nan,
            })
        return rows


def _finite_or(value: float, default: float = -1.0) -> float:
    return value if math.isfinite(value) else default
