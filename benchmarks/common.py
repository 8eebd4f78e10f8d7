"""Shared pieces of the benchmarks: timing, machine description, the training step.

A workload module (``mlp.py``, ``tiny_222.py``, ``cnn.py``, ``lstm.py``) exposes:

* ``NAME``: the short name used by ``run.py --only``;
* ``DESCRIPTION``: one line saying what is trained;
* ``UNIT``: ``"samples/s"`` or ``"steps/s"``; ``SAMPLES_PER_STEP``: samples in one step
  (1 for ``steps/s``);
* ``TARGET``: the ratio backprop/PyTorch the issue asks for (e.g. 0.8);
* ``build_backprop(seed=0)`` and ``build_torch(seed=0)``: each returns ``step()``, a
  callable that runs one full training step (forward, loss, backward, optimizer update)
  on a fixed batch. Both models start from the same weights.

``measure`` times the two ``step`` callables in alternating rounds in one process.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

Step = Callable[[], Any]


# --- timing ---------------------------------------------------------------------------
def _calibrate(step: Step, seconds: float) -> int:
    """How many steps fill about ``seconds``."""
    count, elapsed = 1, 0.0
    while True:
        start = time.perf_counter()
        for _ in range(count):
            step()
        elapsed = time.perf_counter() - start
        if elapsed >= 0.2 * seconds or count >= 1 << 20:
            break
        count *= 2
    return max(1, int(count * seconds / max(elapsed, 1e-9)))


def _round(step: Step, count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        step()
    return time.perf_counter() - start


def measure(step_bp: Step, step_torch: Step, samples_per_step: int = 1, rounds: int = 5,
            seconds: float = 1.5, warmup: int = 3) -> dict[str, Any]:
    """Median rate (samples per second) of each framework over ``rounds`` alternating rounds.

    Each round runs a fixed number of steps, chosen so that one round takes about
    ``seconds``; backprop and PyTorch take turns so that both see the same machine load.
    """
    for _ in range(warmup):
        step_bp()
        step_torch()
    count_bp = _calibrate(step_bp, seconds)
    count_torch = _calibrate(step_torch, seconds)
    rates_bp, rates_torch = [], []
    for _ in range(rounds):
        rates_bp.append(count_bp * samples_per_step / _round(step_bp, count_bp))
        rates_torch.append(count_torch * samples_per_step / _round(step_torch, count_torch))
    bp, torch = statistics.median(rates_bp), statistics.median(rates_torch)
    return {
        "backprop": bp, "torch": torch, "ratio": bp / torch,
        "backprop_rounds": rates_bp, "torch_rounds": rates_torch,
        "backprop_us_per_step": 1e6 * samples_per_step / bp,
        "torch_us_per_step": 1e6 * samples_per_step / torch,
    }


# --- the machine ----------------------------------------------------------------------
def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_info() -> list[dict[str, Any]]:
    """What threadpoolctl sees: each BLAS / OpenMP library, its kernel and thread count."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return [{"note": "threadpoolctl not installed"}]
    return threadpool_info()


def describe_blas(info: list[dict[str, Any]]) -> list[str]:
    lines = []
    for lib in info:
        if "note" in lib:
            lines.append(lib["note"])
            continue
        name = os.path.basename(lib.get("filepath", "?"))
        parts = [f"{lib.get('internal_api', '?')} {lib.get('version') or ''}".strip()]
        if lib.get("architecture"):
            parts.append(f"kernel {lib['architecture']}")
        parts.append(f"{lib.get('num_threads')} threads")
        lines.append(f"{name}: " + ", ".join(parts))
    return lines


def machine_info() -> dict[str, Any]:
    import torch

    return {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "blas": blas_info(),
        "openblas_env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")},
    }


# --- models -----------------------------------------------------------------------------
def copy_torch_weights(bp_model: Any, torch_model: Any) -> None:
    """Give the backprop model the PyTorch model's weights (same names, same shapes)."""
    bp_params = dict(bp_model.named_parameters())
    for name, tensor in torch_model.state_dict().items():
        if name in bp_params:
            target = bp_params[name].data
            target[...] = tensor.detach().numpy().astype(target.dtype)


def training_step(model: Any, loss_fn: Callable[[Any, Any], Any], opt: Any, x: Any,
                  y: Any) -> Step:
    """``step()``: one training step on (x, y), the same code for either framework."""

    def step() -> Any:
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step
