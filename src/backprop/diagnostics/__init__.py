"""Gradient health: watch a model's gradients per layer and per step, and explain what
goes wrong (vanishing, exploding, non-finite gradients; saturated and dead units).

    monitor = bp.diagnostics.GradientMonitor(model)
    ... loss.backward(); optimizer.step(); monitor.step()
    for finding in monitor.findings():
        print(finding.message("en"))   # or "zh"

:mod:`.demos` holds the classic demonstrations that ``backprop diagnose`` runs and
:mod:`.plot` draws the per-layer curves (matplotlib, the ``plot`` extra).
"""

from .messages import LANGUAGES, text
from .monitor import Finding, GradientMonitor, LayerHistory

__all__ = ["Finding", "GradientMonitor", "LayerHistory", "LANGUAGES", "text"]
