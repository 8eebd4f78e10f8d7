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


# STYLE rule 12: the package stays lean. The engine must read in one sitting; the budgets
# below are today's size plus room, so growth past them is a decision, not an accident.
LINE_BUDGETS = {
    "autograd/engine.py": 300,
    "autograd/function.py": 340,
    "autograd": 1200,
    "": 20000,  # the whole package
}


def _code_lines(path: Path) -> int:
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines()
               if line.strip() and not line.strip().startswith("#"))


@pytest.mark.parametrize("part,budget", LINE_BUDGETS.items(), ids=lambda v: str(v) or "all")
def test_line_budget(part, budget):
    target = PACKAGE / part
    files = [target] if target.is_file() else sorted(target.rglob("*.py"))
    lines = sum(_code_lines(p) for p in files)
    assert lines <= budget, (
        f"{part or 'backprop'} has {lines} non-blank, non-comment lines, over its budget of "
        f"{budget}: simplify, or raise the budget in tests/test_style.py with a reason"
    )
