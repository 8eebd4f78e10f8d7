"""STYLE.md rules that a machine can check: no printing in library code (the CLI prints)."""

import ast
from pathlib import Path

import pytest

import backprop

PACKAGE = Path(backprop.__file__).parent
LIBRARY = sorted(p for p in PACKAGE.rglob("*.py") if "cli" not in p.relative_to(PACKAGE).parts)


def test_library_files_are_found():
    names = {p.relative_to(PACKAGE).as_posix() for p in LIBRARY}
    assert {"tensor.py", "autograd/engine.py", "nn/module.py"} <= names
    assert not any(name.startswith("cli/") for name in names)


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_no_print_calls_outside_the_cli(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    calls = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Name) and node.func.id == "print"]
    assert not calls, f"{path}: print() on lines {calls}; return values or use hooks instead"
