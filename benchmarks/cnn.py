"""CNN on 28×28 images: conv-relu-pool ×2, then two dense layers; SGD momentum, batch 64, float32.

Conv2d(1,32,3,p1)-ReLU-MaxPool2d(2)-Conv2d(32,64,3,p1)-ReLU-MaxPool2d(2)-Flatten-
Linear(3136,128)-ReLU-Linear(128,10), cross-entropy — the workload of issue 3.
backprop runs each convolution as one im2col matrix product per pass (three per
layer per step); PyTorch runs oneDNN's direct convolution kernels.

Run alone for the rates and the peak memory of each framework::

    python benchmarks/cnn.py [--seconds 1.5] [--rounds 5]

Peak memory is measured in a fresh subprocess per framework: after two warm-up
steps and ``malloc_trim``, the growth of the resident set (Linux VmHWM, reset)
over 5 training steps above what the model, its gradients and the optimizer
state hold, i.e. the activations, saved tensors and temporaries of a step.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import copy_torch_weights, training_step  # noqa: E402

NAME = "cnn"
DESCRIPTION = ("CNN conv32-pool-conv64-pool-fc128-fc10 on 1×28×28, cross-entropy, "
               "SGD momentum 0.9, batch 64, float32")
UNIT = "samples/s"
BATCH = 64
SAMPLES_PER_STEP = BATCH
TARGET = 0.5
LR, MOMENTUM = 0.01, 0.9
TORCH_THREADS = 2


def _data(seed: int) -> tuple[Any, Any]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, size=BATCH).astype(np.int64)
    return x, y


def _layers(nn: Any) -> list[Any]:
    return [
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10),
    ]


def _torch_model(seed: int) -> Any:
    import torch

    torch.manual_seed(seed)
    return torch.nn.Sequential(*_layers(torch.nn))


def build_torch(seed: int = 0) -> Any:
    """One PyTorch training step on a fixed batch (call torch.set_num_threads(2) first)."""
    import torch

    model = _torch_model(seed)
    x, y = (torch.from_numpy(a) for a in _data(seed))
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    return training_step(model, torch.nn.CrossEntropyLoss(), opt, x, y)


def build_backprop(seed: int = 0) -> Any:
    """One backprop training step on the same batch, from the same initial weights."""
    import backprop as bp
    from backprop import nn, optim

    model = nn.Sequential(*_layers(nn))
    copy_torch_weights(model, _torch_model(seed))
    x, y = (bp.tensor(a) for a in _data(seed))
    opt = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    return training_step(model, nn.CrossEntropyLoss(), opt, x, y)


# --- peak memory ------------------------------------------------------------------------
def _rss_kib(field: str) -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _training_memory(framework: str, steps: int = 5) -> int:
    """KiB the resident set grows by during a training step (run in a fresh process).

    Two warm-up steps first (compilation, optimizer state), then freed heap memory goes
    back to the system (``malloc_trim``), so the baseline holds the model, its gradients
    and the optimizer state; the peak above it is what a step needs on top: activations,
    saved tensors, im2col buffers and gradient temporaries.
    """
    import ctypes
    import gc

    import torch

    torch.set_num_threads(TORCH_THREADS)
    step = build_backprop() if framework == "backprop" else build_torch()
    for _ in range(2):
        step()
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")  # reset VmHWM to the current resident set
    baseline = _rss_kib("VmRSS")
    for _ in range(steps):
        step()
    return _rss_kib("VmHWM") - baseline


def peak_memory() -> dict[str, float]:
    """MiB a training step adds to the resident set, for each framework, and their ratio."""
    result: dict[str, float] = {}
    for framework in ("backprop", "torch"):
        output = subprocess.run(
            [sys.executable, os.path.abspath(__file__), "--memory-child", framework],
            check=True, capture_output=True, text=True,
        ).stdout
        result[framework] = int(output.strip().splitlines()[-1]) / 1024
    result["ratio"] = result["backprop"] / result["torch"]
    return result


# --- the whole measurement ---------------------------------------------------------------
def run(seconds: float = 1.5, rounds: int = 5, memory: bool = True) -> dict[str, Any]:
    """Rates of both frameworks (alternating rounds, one process) and, optionally, memory."""
    import torch
    from common import measure

    torch.set_num_threads(TORCH_THREADS)
    result = measure(build_backprop(), build_torch(), SAMPLES_PER_STEP, rounds=rounds,
                     seconds=seconds)
    if memory:
        result["memory_mib"] = peak_memory()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=DESCRIPTION)
    parser.add_argument("--seconds", type=float, default=1.5)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--memory-child", choices=("backprop", "torch"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        print(_training_memory(args.memory_child))
        return 0
    result = run(args.seconds, args.rounds, memory=not args.no_memory)
    print(f"{NAME}: {DESCRIPTION}")
    print(f"backprop {result['backprop']:,.0f} samples/s "
          f"({result['backprop_us_per_step'] / 1000:.1f} ms/step), "
          f"PyTorch {result['torch']:,.0f} samples/s "
          f"({result['torch_us_per_step'] / 1000:.1f} ms/step): ratio {result['ratio']:.2f}x "
          f"(target >= {TARGET}x)")
    if "memory_mib" in result:
        mem = result["memory_mib"]
        print(f"peak memory of a step: backprop {mem['backprop']:.1f} MiB, PyTorch "
              f"{mem['torch']:.1f} MiB: ratio {mem['ratio']:.2f}x (limit 2x)")
    print(json.dumps({k: v for k, v in result.items() if not k.endswith("_rounds")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
