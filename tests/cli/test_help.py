"""API.md, "Command line": `backprop --help` lists every subcommand; each has `--help`
with an example. The examples themselves must parse with the real parser."""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import backprop.cli
from backprop.cli.main import SUBCOMMANDS, build_parser, main

CLI_DIR = Path(backprop.cli.__file__).parent


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert len(actions) == 1
    return dict(actions[0].choices)


REGISTERED = _subcommands()


def test_every_subcommand_module_is_registered():
    modules = {p.stem for p in CLI_DIR.glob("*.py")} - {"__init__", "main"}
    assert modules, "no subcommand modules found"
    assert modules <= set(SUBCOMMANDS), modules - set(SUBCOMMANDS)
    assert set(REGISTERED) == modules  # each written module registers itself under its name


def test_top_level_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: backprop")
    for name in REGISTERED:
        assert re.search(rf"^\s+{name}\s+\S", out, re.M), f"{name} missing from --help"
    assert main([]) == 0  # no command: the help, and success
    out = capsys.readouterr().out
    assert all(name in out for name in REGISTERED)


def _example_lines(text: str, name: str) -> list[str]:
    """The command lines of the help's example section (descriptions after 2+ spaces or #)."""
    section = re.split(r"^examples?:\s*$", text, flags=re.I | re.M)
    assert len(section) == 2, f"`backprop {name} --help` has no 'example:' section"
    lines = re.findall(rf"^\s*(backprop {name}\b.*)$", section[1], re.M)
    return [re.split(r"\s{2,}|\s#", line.rstrip())[0] for line in lines]


@pytest.mark.parametrize("name", sorted(REGISTERED))
def test_each_subcommand_help_has_an_example_that_parses(name, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([name, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: backprop {name}")
    assert re.search(r"\bexamples?\b", out, re.I)
    examples = _example_lines(out, name)
    assert examples, f"`backprop {name} --help` shows no `backprop {name} ...` command line"
    for line in examples:
        args = build_parser().parse_args(shlex.split(line)[1:])  # exits on a bad example
        assert args.command == name and callable(args.func), line


def _console_script() -> list[str]:
    script = Path(sys.executable).parent / "backprop"
    return [str(script)] if script.exists() else [sys.executable, "-m", "backprop.cli.main"]


def test_installed_console_script_help():
    done = subprocess.run([*_console_script(), "--help"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: backprop")
    for name in REGISTERED:
        assert re.search(rf"^\s+{name}\s+\S", done.stdout, re.M), name
    first = sorted(REGISTERED)[0]
    done = subprocess.run([*_console_script(), first, "--help"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert _example_lines(done.stdout, first)


def test_module_entry_point_help():
    done = subprocess.run([sys.executable, "-m", "backprop.cli.main", "--version"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("backprop ")
