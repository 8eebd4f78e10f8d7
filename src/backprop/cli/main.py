"""``backprop --help`` lists every subcommand; each has ``--help`` with an example.

A subcommand lives in ``backprop/cli/<name>.py`` and defines
``register(subparsers)``, which adds its parser and sets ``func(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

SUBCOMMANDS = ("demo", "explain", "diagnose", "train", "bench")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="backprop",
        description="Neural networks trained by backpropagation, from first principles.",
        epilog="Run `backprop COMMAND --help` for the options and an example of each command.",
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"backprop {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"backprop.cli.{name}")
        except ModuleNotFoundError as error:
            if error.name == f"backprop.cli.{name}":
                continue  # not written yet
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
