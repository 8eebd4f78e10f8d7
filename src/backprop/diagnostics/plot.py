"""Per-layer gradient curves as PNG files (matplotlib, the ``plot`` extra: imported lazily).

* :func:`plot_monitor`: one monitor: ‖∂L/∂W‖ of every weight over the steps, and
  the median per layer (a straight line on the log scale is geometric decay);
* :func:`plot_vanishing`: the demo's variants side by side, per layer;
* :func:`plot_exploding`: ‖∂L/∂h_t‖ over the time steps, and the total gradient norm
  per training step before and after clipping.

Figures are drawn with matplotlib's object API on the Agg canvas, so no window
opens and the user's pyplot backend is left alone. Labels are in English.
"""

from __future__ import annotations

import math
import os
from typing import Any

from .monitor import GradientMonitor


def _figure(width: float, height: float, panels: int) -> tuple[Any, list[Any]]:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:  # pragma: no cover - matplotlib ships with the extra
        raise ModuleNotFoundError(
            "plotting needs matplotlib: pip install 'backprop[plot]'"
        ) from error
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    axes = [figure.add_subplot(1, panels, i + 1) for i in range(panels)]
    return figure, axes


def _finite(values: list[float]) -> list[float]:
    return [v if math.isfinite(v) and v > 0 else math.nan for v in values]


def _save(figure: Any, path: str | os.PathLike[str]) -> str:
    path = os.fspath(path)
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    figure.savefig(path, dpi=110)
    return path


def plot_monitor(monitor: GradientMonitor, path: str | os.PathLike[str],
                 title: str = "") -> str:
    """Left: ‖∂L/∂W‖ of each weight over the steps; right: the median per layer.
    Returns the path of the PNG written."""
    weights = monitor.weights
    figure, (over_steps, per_layer) = _figure(11, 4.2, 2)
    try:
        from matplotlib import colormaps

        colours = colormaps["viridis"]
    except ImportError:  # pragma: no cover
        colours = None
    for index, history in enumerate(weights):
        colour = colours(index / max(1, len(weights) - 1)) if colours else None
        over_steps.plot(range(1, len(history.grad_norm) + 1), _finite(history.grad_norm),
                        color=colour, label=history.name)
    over_steps.set_yscale("log")
    over_steps.set_xlabel("training step")
    over_steps.set_ylabel("‖∂L/∂W‖")
    over_steps.set_title("gradient norm per layer (dark: first, yellow: last)")
    if len(weights) <= 12:
        over_steps.legend(fontsize=7, ncol=2)
    medians = [h.median_grad_norm() for h in weights]
    per_layer.plot(range(1, len(weights) + 1), _finite(medians), marker="o")
    per_layer.set_yscale("log")
    per_layer.set_xlabel("weight layer (input → output)")
    per_layer.set_ylabel("median ‖∂L/∂W‖")
    per_layer.set_title("median over the steps")
    if title:
        figure.suptitle(title)
    return _save(figure, path)


def plot_vanishing(runs: list[Any], directory: str | os.PathLike[str]) -> list[str]:
    """``vanishing_layers.png`` (median gradient norm per layer, one line per variant) and
    ``vanishing_<variant>.png`` for each run of :func:`demos.vanishing_demo`."""
    figure, (layers, losses) = _figure(11, 4.2, 2)
    for run in runs:
        medians = [h.median_grad_norm() for h in run.monitor.weights]
        layers.plot(range(1, len(medians) + 1), _finite(medians), marker="o", label=run.name)
        losses.plot(range(1, len(run.losses) + 1), run.losses, label=run.name)
    layers.set_yscale("log")
    layers.set_xlabel("weight layer (input → output)")
    layers.set_ylabel("median ‖∂L/∂W‖")
    layers.set_title("gradient norm per layer")
    layers.legend(fontsize=8)
    losses.set_xlabel("training step")
    losses.set_ylabel("cross-entropy loss")
    losses.set_title("training loss")
    losses.legend(fontsize=8)
    paths = [_save(figure, os.path.join(directory, "vanishing_layers.png"))]
    for run in runs:
        paths.append(plot_monitor(run.monitor,
                                  os.path.join(directory, f"vanishing_{run.name}.png"),
                                  title=run.name))
    return paths


def plot_exploding(runs: list[Any], directory: str | os.PathLike[str]) -> list[str]:
    """``exploding.png`` for the runs of :func:`demos.exploding_demo`: ‖∂L/∂h_t‖ against t
    at the first step, and the total gradient norm per step before and after clipping."""
    figure, (through_time, over_steps) = _figure(11, 4.2, 2)
    first = runs[0].monitor
    name, _, calls = first.time_growth(0)
    if calls:
        norms = first.layers[name].time_grad_norms[0]
        through_time.plot(range(1, calls + 1), _finite(norms), marker=".", label="step 1")
        clipped = runs[-1].monitor.layers[name].time_grad_norms
        if len(runs) > 1 and clipped:
            through_time.plot(range(1, calls + 1), _finite(clipped[-1]), marker=".",
                              label=f"step {len(clipped)}, clipped run")
    through_time.set_yscale("log")
    through_time.set_xlabel("time step t")
    through_time.set_ylabel("‖∂L/∂h_t‖")
    through_time.set_title("backpropagation through time")
    through_time.legend(fontsize=8)
    for run in runs:
        raw = run.settings.get("raw_grad_norms", run.monitor.total_grad_norm)
        over_steps.plot(range(1, len(raw) + 1), _finite(raw), marker="x" if len(raw) < 5
                        else ".", markersize=9 if len(raw) < 5 else 6,
                        label=f"{run.name}: before clipping" if run.settings.get("max_norm")
                        else run.name)
        if run.settings.get("max_norm"):
            over_steps.plot(range(1, run.monitor.steps + 1),
                            _finite(run.monitor.total_grad_norm), label=f"{run.name}: applied")
    over_steps.set_yscale("log")
    over_steps.set_xlabel("training step")
    over_steps.set_ylabel("total ‖∇‖")
    over_steps.set_title("gradient norm per step (a missing point: NaN)")
    over_steps.legend(fontsize=8)
    return [_save(figure, os.path.join(directory, "exploding.png"))]
