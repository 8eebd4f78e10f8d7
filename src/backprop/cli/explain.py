"""``backprop explain``: backpropagation written out step by step, every number checked."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

EXAMPLES = """examples:
  backprop explain mazur                     the classic 2-2-2 network, one step
  backprop explain mazur --steps 10000       ... and the error after 10 000 steps
  backprop explain nobias --lang zh          the bias-free network, in Chinese
  backprop explain conv --format html -o conv.html
  backprop explain rnn --format markdown     backpropagation through time, as Markdown
  backprop explain examples/specs/xor.toml   your own network from a JSON/TOML spec
"""


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "explain",
        help="write out backpropagation with every number (mazur, nobias, conv, rnn, a spec)",
        description=(
            "Write out backpropagation step by step: each neuron's net input and output, the "
            "error, every gradient as a product of chain-rule factors, every update, the "
            "four fundamental equations in matrix form, and the error after N steps. Every "
            "number is computed by a chain-rule walk and checked against the autograd engine."
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("example", metavar="EXAMPLE",
                        help="mazur, nobias, conv, rnn, or a .json/.toml network spec")
    parser.add_argument("--steps", type=int, default=None,
                        help="gradient-descent steps to report the error after (default 1)")
    parser.add_argument("--lr", type=float, default=None, help="learning rate η")
    parser.add_argument("--loss", choices=["mse_half", "mse", "cross_entropy", "bce"],
                        default=None, help="loss of a dense network (default: the example's)")
    parser.add_argument("--lang", choices=["en", "zh"], default="en",
                        help="language: English or Chinese (default en)")
    parser.add_argument("--format", choices=["text", "markdown", "html"], default="text",
                        help="text (coloured in a terminal), markdown (LaTeX) or html "
                             "(one self-contained page)")
    parser.add_argument("-o", "--output", metavar="FILE", default=None,
                        help="write to FILE instead of the terminal")
    parser.add_argument("--color", choices=["auto", "always", "never"], default="auto",
                        help="ANSI colour in text output (auto: only on a terminal)")
    parser.set_defaults(func=run)


def _use_color(args: argparse.Namespace) -> bool:
    if args.format != "text" or args.output or args.color == "never":
        return False
    if args.color == "always":
        return True
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def run(args: argparse.Namespace) -> int:
    from ..explain import ExplainCheckError, explain

    try:
        text = explain(args.example, loss=args.loss, lr=args.lr, steps=args.steps,
                       lang=args.lang, format=args.format, color=_use_color(args))
    except (ValueError, FileNotFoundError) as error:
        message = str(error).removeprefix("explain: ")
        print(f"backprop explain: error: {message}", file=sys.stderr)
        return 2
    except ExplainCheckError as error:
        print(f"backprop explain: {error}", file=sys.stderr)
        return 1
    if args.output:
        Path(args.output).write_text(str(text), encoding="utf-8")
        print(f"wrote {args.output} ({text.checked} numbers checked against autograd)")
        return 0
    out = sys.stdout
    if (out.encoding or "").lower().replace("-", "") not in ("utf8", "utf16", "utf32"):
        out.buffer.write(str(text).encode("utf-8"))  # formulas need UTF-8
        out.flush()
    else:
        out.write(str(text))
    return 0
