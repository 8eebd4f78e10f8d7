"""``make bench``: train each workload in backprop and in PyTorch, side by side, one table.

Usage::

    python benchmarks/run.py [--quick] [--only NAME[,NAME]] [--json out.json]
                             [--rounds N] [--seconds S] [--threads N] [--strict]
                             [--keep-blas-env]

Both frameworks run in this process, in alternating rounds, each with 2 threads
(``torch.set_num_threads``; NumPy's BLAS limited by threadpoolctl); the table gives
each one's median rate, the ratio backprop / PyTorch, the ratio the issue asks for,
and whether it is met.

Where the environment sets ``OPENBLAS_CORETYPE`` / ``OPENBLAS_L2_SIZE`` (needed by old
OpenBLAS builds on some CPUs, but they pin a current NumPy to slower kernels), this
script re-executes itself once without them, for its own process only, and prints the
kernel threadpoolctl then reports. ``--keep-blas-env`` keeps them.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
BLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
WORKLOADS = ("mlp", "tiny_222", "cnn", "lstm")  # modules of this folder, in table order
THREADS = 2  # PyTorch's intra-op threads, and NumPy's BLAS threads: the same for both


def _reexec_without_blas_env(argv: list[str]) -> None:
    if "--keep-blas-env" in argv or os.environ.get("BACKPROP_BENCH_REEXEC"):
        return
    removed = {k: os.environ[k] for k in BLAS_VARS if k in os.environ}
    if not removed:
        return
    env = {k: v for k, v in os.environ.items() if k not in BLAS_VARS}
    env["BACKPROP_BENCH_REEXEC"] = ",".join(f"{k}={v}" for k, v in removed.items())
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, os.path.abspath(__file__), *argv], env)


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 short rounds per framework")
    parser.add_argument("--only", default="", help="comma-separated workload names")
    parser.add_argument("--json", default="", help="also write the results to this file")
    parser.add_argument("--rounds", type=int, default=None, help="rounds per framework (5)")
    parser.add_argument("--seconds", type=float, default=None, help="seconds per round (1.5)")
    parser.add_argument("--threads", type=int, default=THREADS,
                        help=f"threads for PyTorch and for NumPy's BLAS ({THREADS})")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--keep-blas-env", action="store_true",
                        help="keep OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE as set")
    return parser.parse_args(argv)


def _load(names: list[str]) -> list[Any]:
    modules = []
    for name in names:
        if not os.path.exists(os.path.join(HERE, f"{name}.py")):
            print(f"  ({name}: benchmarks/{name}.py not present, skipped)")
            continue
        try:
            module = importlib.import_module(name)
        except Exception as error:  # a workload whose layers are not there yet
            print(f"  ({name}: cannot be imported: {type(error).__name__}: {error})")
            continue
        if not (hasattr(module, "build_backprop") and hasattr(module, "build_torch")):
            print(f"  ({name}: has no build_backprop()/build_torch(), skipped)")
            continue
        modules.append(module)
    return modules


def _fmt_rate(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    _reexec_without_blas_env(argv)
    args = _parse(argv)
    sys.path.insert(0, HERE)

    import torch

    torch.set_num_threads(args.threads)
    try:  # NumPy's BLAS gets as many threads as PyTorch, whatever the machine's core count
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=args.threads, user_api="blas")
    except ImportError:
        print("threadpoolctl missing: NumPy's BLAS uses its default thread count")
    from common import describe_blas, machine_info, measure

    rounds = args.rounds or (3 if args.quick else 5)
    seconds = args.seconds or (0.5 if args.quick else 1.5)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(WORKLOADS)
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        print(f"unknown workload(s) {unknown}; choose from {list(WORKLOADS)}")
        return 2

    info = machine_info()
    print(f"backprop vs PyTorch, {info['date']}")
    print(f"machine: {info['cpu']}, {info['cores']} cores; Python {info['python']}, "
          f"numpy {info['numpy']}, torch {info['torch']} ({info['torch_threads']} threads)")
    removed = os.environ.get("BACKPROP_BENCH_REEXEC")
    if removed:
        print(f"BLAS env: unset {removed} for this benchmark process")
    elif any(info["openblas_env"].values()):
        print(f"BLAS env kept: {info['openblas_env']}")
    for line in describe_blas(info["blas"]):
        print(f"BLAS: {line}")
    print(f"timing: {rounds} alternating rounds of ~{seconds:g} s per framework, median\n")

    modules = _load(names)
    results = []
    for module in modules:
        try:
            step_bp = module.build_backprop()
            step_torch = module.build_torch()
            result = measure(step_bp, step_torch, getattr(module, "SAMPLES_PER_STEP", 1),
                             rounds=rounds, seconds=seconds)
        except Exception as error:
            print(f"  ({module.NAME}: failed: {type(error).__name__}: {error})")
            continue
        target = getattr(module, "TARGET", None)
        result.update(name=module.NAME, description=getattr(module, "DESCRIPTION", ""),
                      unit=getattr(module, "UNIT", "samples/s"), target=target,
                      passed=None if target is None else result["ratio"] >= target)
        results.append(result)
        print(f"  {module.NAME}: backprop {result['backprop_us_per_step']:,.0f} µs/step, "
              f"PyTorch {result['torch_us_per_step']:,.0f} µs/step", flush=True)

    header = ("workload", "unit", "backprop", "PyTorch", "ratio", "target", "result")
    rows = [
        (r["name"], r["unit"], _fmt_rate(r["backprop"]), _fmt_rate(r["torch"]),
         f"{r['ratio']:.2f}x", "-" if r["target"] is None else f">= {r['target']:g}x",
         "-" if r["passed"] is None else ("pass" if r["passed"] else "FAIL"))
        for r in results
    ]
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |"
    print("\n" + line)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths)) + " |")
    print()
    for r in results:
        print(f"{r['name']}: {r['description']}")

    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"machine": info, "rounds": rounds, "seconds": seconds,
                       "results": results}, handle, indent=2, default=str)
    if args.strict and any(r["passed"] is False for r in results):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
