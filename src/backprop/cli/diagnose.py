"""``backprop diagnose``: the classic demonstrations of vanishing and exploding gradients.

Runs :mod:`backprop.diagnostics.demos` and prints, for each variant, the
per-layer gradient table, what the :class:`GradientMonitor` flags (in plain
English or Chinese) and how training went; ``--plot DIR`` writes the curves as
PNG files. Tables use rich (the ``cli`` extra) when installed, plain text otherwise.
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from ..diagnostics.messages import text

EXAMPLE = """examples:
  backprop diagnose                         both demonstrations
  backprop diagnose vanishing --steps 100   the deep sigmoid MLP and its three fixes
  backprop diagnose exploding --plot plots  the RNN, with and without clipping; PNGs in plots/
  backprop diagnose all --lang zh           用中文解释
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "diagnose",
        help="show vanishing and exploding gradients, and their fixes",
        description="Train the classic failing networks with a GradientMonitor attached and "
                    "explain what goes wrong: a deep sigmoid MLP on the 8x8 digits (vanishing "
                    "gradients; fixed by ReLU + He init, BatchNorm or residual connections) "
                    "and a recurrent net over 30 time steps (exploding gradients; fixed by "
                    "clip_grad_norm_).",
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("demo", nargs="?", choices=("vanishing", "exploding", "all"),
                        default="all", help="which demonstration (default: all)")
    parser.add_argument("--steps", type=int, default=None, metavar="N",
                        help="training steps per variant (default: 200 vanishing, 60 exploding)")
    parser.add_argument("--plot", metavar="DIR", default=None,
                        help="write the per-layer curves as PNG files into DIR (needs "
                             "matplotlib: the plot extra)")
    parser.add_argument("--lang", choices=("en", "zh"), default="en",
                        help="language of the explanations (default: en)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.set_defaults(func=run)


# --- output: rich when available, plain text otherwise ---------------------------------------
class _Printer:
    def __init__(self) -> None:
        try:
            from rich.console import Console
        except ImportError:
            self.console = None
        else:
            self.console = Console(file=sys.stdout, highlight=False)

    def heading(self, line: str) -> None:
        if self.console is not None:
            self.console.rule()
            self.console.print(line, style="bold", markup=False)
        else:
            print(f"\n== {line} ==")

    def line(self, line: str = "", style: str = "") -> None:
        if self.console is not None:
            from rich.text import Text

            self.console.print(Text(line, style=style))
        else:
            print(line)

    def table(self, title: str, columns: list[str], rows: list[list[str]],
              left: int = 1) -> None:
        """A table whose first ``left`` columns are names (left-aligned), numbers after."""
        if title:
            self.line(title, style="bold")
        if self.console is not None:
            from rich.table import Table

            table = Table(header_style="bold")
            for index, column in enumerate(columns):
                width = max(len(column), *(len(row[index]) for row in rows)) if rows else None
                table.add_column(column, justify="left" if index < left else "right",
                                 no_wrap=index < left, min_width=width if index < left else None)
            for row in rows:
                table.add_row(*row)
            self.console.print(table)
            return
        widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]
        for row in [columns, *rows]:
            print("  ".join(v.ljust(w) if i < left else v.rjust(w)
                            for i, (v, w) in enumerate(zip(row, widths))))


def _number(value: float, spec: str = ".2e") -> str:
    return format(value, spec) if math.isfinite(value) else "—"


def _findings(printer: _Printer, run: Any, lang: str) -> None:
    findings = run.findings
    if not findings:
        printer.line("✓ " + text("healthy", lang), style="green")
    for finding in findings:
        printer.line("⚠ " + finding.message(lang), style="yellow")


# --- the two demonstrations ----------------------------------------------------------------
def _vanishing(args: argparse.Namespace, printer: _Printer) -> list[Any]:
    from ..diagnostics.demos import vanishing_demo

    lang = args.lang
    runs = vanishing_demo(steps=args.steps or 200, seed=args.seed)
    printer.heading(text("heading_vanishing", lang))
    printer.line(text("legend_vanishing", lang))
    columns = [text(key, lang) for key in ("col_layer", "col_kind", "col_grad", "col_ratio",
                                          "col_update", "col_units")]
    for run in runs:
        printer.line()
        title = text(f"variant_{run.name}", lang, depth=run.settings["depth"])
        rows = []
        for row in run.monitor.summary():
            if row["kind"] in ("bias", "parameter"):
                continue  # biases and BatchNorm's γ, β: keep the table to the layers
            kind = text("kind_weight", lang) if row["kind"] == "weight" else row["kind"]
            rows.append([row["layer"], kind, _number(row["grad_norm"]),
                         _number(row["ratio_to_last"]), _number(row["update_ratio"]),
                         _number(row["unit_share"], ".0%")])
        printer.table(title, columns, rows, left=2)
        _findings(printer, run, lang)
        printer.line(text("result", lang, steps=len(run.losses), loss=run.losses[-1],
                          accuracy=run.accuracy))
    return runs


def _exploding(args: argparse.Namespace, printer: _Printer) -> list[Any]:
    from ..diagnostics.demos import exploding_demo

    lang = args.lang
    runs = exploding_demo(steps=args.steps or 60, seed=args.seed)
    settings = runs[0].settings
    printer.heading(text("heading_exploding", lang, time_steps=settings["time_steps"]))
    for run in runs:
        printer.line()
        monitor = run.monitor
        if run.settings["max_norm"] is None:
            key = "variant_rnn" if settings["nonlinearity"] == "linear" else "variant_rnn_tanh"
            title = text(key, lang, radius=settings["spectral_radius"], lr=settings["lr"])
            name, growth, calls = monitor.time_growth(0)
            if calls:
                norms = monitor.layers[name].time_grad_norms[0]
                shown = sorted({0, *range(4, calls, 5), calls - 1})
                printer.table(title, [text("col_time", lang), text("col_hgrad", lang)],
                              [[str(t + 1), _number(norms[t])] for t in shown])
                printer.line(text("time_growth", lang, growth=growth, last=calls))
        else:
            title = text("variant_rnn_clipped", lang, max_norm=run.settings["max_norm"])
            printer.line(title, style="bold")
        raw = run.settings["raw_grad_norms"]
        steps = len(run.losses)
        shown = sorted({0, 1, 2, *range(9, steps, 10), steps - 1} & set(range(steps)))
        columns = [text("col_step", lang), text("col_loss", lang), text("col_total", lang)]
        rows = []
        for s in shown:
            applied = monitor.total_grad_norm[s]
            total = _number(raw[s], ".3g")
            if run.settings["max_norm"] is not None:
                total = f"{total} → {_number(applied, '.3g')}"
            rows.append([str(s + 1), _number(run.losses[s], ".4g"), total])
        printer.table("", columns, rows)
        _findings(printer, run, lang)
        if run.settings["max_norm"] is not None:
            printer.line(text("clipped_note", lang, max_norm=run.settings["max_norm"]))
        printer.line(text("result_rnn", lang, steps=steps, loss=_number(run.losses[-1], ".4g")))
    return runs


def run(args: argparse.Namespace) -> int:
    if args.steps is not None and args.steps < 1:
        raise SystemExit(f"backprop diagnose: --steps must be at least 1, got {args.steps}")
    printer = _Printer()
    paths: list[str] = []
    if args.demo in ("vanishing", "all"):
        runs = _vanishing(args, printer)
        if args.plot:
            from ..diagnostics.plot import plot_vanishing

            paths += plot_vanishing(runs, args.plot)
    if args.demo in ("exploding", "all"):
        runs = _exploding(args, printer)
        if args.plot:
            from ..diagnostics.plot import plot_exploding

            paths += plot_exploding(runs, args.plot)
    if paths:
        printer.line()
        printer.line(text("plots_written", args.lang, paths=", ".join(paths)))
    return 0
