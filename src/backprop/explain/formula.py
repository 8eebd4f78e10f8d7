"""Formulas as small trees, rendered three ways: Unicode text, LaTeX and MathML.

A derivation is written once as rows of nodes (``Sym("w", "5")``, ``Num(0.4)``,
``Op("=")``, ``Partial(Sym("E"), Sym("w", "5"))``, ``Matrix(...)``); each output
format walks the same rows:

* :func:`to_text` gives lines of Unicode (``∂E/∂w5 = 0.0821670407``); a matrix
  spans several lines and the row is laid out around it;
* :func:`to_latex` gives LaTeX for Markdown (``\\frac{\\partial E}{\\partial w_5}``);
* :func:`to_mathml` gives MathML, which browsers render offline.

Numbers are printed with 9 significant digits, as the classic hand-worked
examples print them (:func:`fmt`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

SIG_DIGITS = 9


def fmt(value: float) -> str:
    """``value`` at 9 significant digits, positional down to 1e-7, with a true minus sign.

    >>> fmt(0.08216704068), fmt(0.3775), fmt(-2.0), fmt(3.51018778e-05)
    ('0.0821670407', '0.3775', '−2', '0.0000351018778')
    """
    text = f"{float(value):.{SIG_DIGITS}g}"
    if "e" in text:
        exponent = int(text.split("e")[1])
        if -7 <= exponent < SIG_DIGITS:
            text = format(Decimal(text), "f")
    if text in ("-0", "-0.0"):
        text = "0"
    return text.replace("-", "−")


# --- nodes -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Sym:
    """A symbol with optional subscript and superscript: ``w5``, ``net_h1``, ``δ⁽²⁾``."""

    base: str
    sub: str = ""
    sup: str = ""


@dataclass(frozen=True)
class Num:
    """A number; ``strong`` marks a result (coloured in a terminal, bold in HTML)."""

    value: float
    strong: bool = False


@dataclass(frozen=True)
class Op:
    """An operator or relation; ``tight`` ones print without spaces (``0.15·0.05``)."""

    symbol: str
    tight: bool = False


@dataclass(frozen=True)
class Partial:
    """The partial derivative ∂num/∂den."""

    num: Node
    den: Node


@dataclass(frozen=True)
class Call:
    """A function applied to a row: ``σ(0.3775)``, ``f′(z⁽²⁾)``."""

    name: str
    args: tuple[Node, ...]
    prime: bool = False


@dataclass(frozen=True)
class Group:
    """A parenthesised row: ``(1 − 0.75136507)``."""

    items: tuple[Node, ...]


@dataclass(frozen=True)
class Matrix:
    """A matrix of nodes (a column vector is a one-column matrix)."""

    rows: tuple[tuple[Node, ...], ...]


@dataclass(frozen=True)
class Sup:
    """``node`` with a superscript: ``Sup(W, "T")`` is Wᵀ, ``Sup(Group(...), "2")`` a square."""

    node: Node
    script: str = "T"


@dataclass(frozen=True)
class Word:
    """A literal piece written differently per format (``½`` / ``\\tfrac{1}{2}``)."""

    text: str
    latex: str = ""
    mathml: str = ""


Node = Sym | Num | Op | Partial | Call | Group | Matrix | Sup | Word
Row = tuple[Node, ...]


def num(value: float, strong: bool = False) -> Num:
    return Num(float(value), strong)


def mat(values: object, strong: bool = False) -> Matrix:
    """A Matrix of numbers from a nested list or array (1-D → column vector)."""
    rows = [list(r) if hasattr(r, "__len__") else [r] for r in values]  # type: ignore[attr-defined]
    return Matrix(tuple(tuple(num(v, strong) for v in r) for r in rows))


def row_vec(values: object) -> Matrix:
    """A one-row matrix (a transposed vector) of numbers."""
    return Matrix((tuple(num(v) for v in values),))  # type: ignore[attr-defined]


def join(terms: Sequence[Row], op: str = "+", tight: bool = False) -> Row:
    """``t₁ op t₂ op …`` as one row."""
    out: list[Node] = []
    for index, term in enumerate(terms):
        if index:
            out.append(Op(op, tight))
        out.extend(term)
    return tuple(out)


def _operands(items: tuple[Node, ...]) -> list[bool]:
    """For each item: is it an operand of +, −, · or ⊙ (so a negative number needs brackets)?"""
    flags = []
    for index in range(len(items)):
        before = items[index - 1] if index else None
        after = items[index + 1] if index + 1 < len(items) else None
        flags.append((isinstance(before, Op) and before.symbol not in "=≈←→")
                     or (isinstance(after, Op) and after.symbol in "·⊙"))
    return flags


# --- text ------------------------------------------------------------------------------
_SUPERSCRIPT = str.maketrans("0123456789+−-()=Tlnᵀ", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁽⁾⁼ᵀˡⁿᵀ")
_SUP_OK = set("0123456789+−-()=Tlnᵀ")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
BOLD_GREEN = ("\x1b[1;32m", "\x1b[0m")


def display_width(text: str) -> int:
    """Terminal columns taken by ``text`` (East Asian wide characters count 2)."""
    text = _ANSI.sub("", text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _exponent(text: str) -> str:
    """``"−09"`` → ``"−9"``."""
    return str(int(text.replace("−", "-"))).replace("-", "−")


def _sym_text(sym: Sym) -> str:
    if not sym.sub:
        text = sym.base
    elif len(sym.base) == 1 and sym.sub.isdigit():
        text = sym.base + sym.sub
    else:
        text = f"{sym.base}_{sym.sub}"
    if sym.sup:
        text += (sym.sup.translate(_SUPERSCRIPT) if set(sym.sup) <= _SUP_OK
                 else f"^({sym.sup})")
    return text


class _Box:
    """Lines of text with a baseline, for laying out rows that contain matrices."""

    def __init__(self, lines: list[str], baseline: int = 0) -> None:
        self.lines, self.baseline = lines, baseline

    @property
    def width(self) -> int:
        return max((display_width(line) for line in self.lines), default=0)

    def padded(self) -> list[str]:
        return [line + " " * (self.width - display_width(line)) for line in self.lines]


def _hcat(boxes: list[_Box]) -> _Box:
    above = max(b.baseline for b in boxes)
    below = max(len(b.lines) - b.baseline for b in boxes)
    lines = [""] * (above + below)
    for box in boxes:
        blank = " " * box.width
        padded = box.padded()
        top = above - box.baseline
        for index in range(above + below):
            inner = index - top
            lines[index] += padded[inner] if 0 <= inner < len(padded) else blank
    return _Box([line.rstrip() if i else line for i, line in enumerate(lines)], above)


def _paint(text: str, strong: bool, color: bool) -> str:
    return f"{BOLD_GREEN[0]}{text}{BOLD_GREEN[1]}" if strong and color else text


def _text_box(node: Node, color: bool, operand: bool = False) -> _Box:
    if isinstance(node, Num):
        text = fmt(node.value)
        if "e" in text:  # 3.5e−16 → 3.5×10⁻¹⁶
            mantissa, exponent = text.split("e")
            text = f"{mantissa}×10{_exponent(exponent).translate(_SUPERSCRIPT)}"
        if operand and text.startswith("−"):
            text = f"({text})"
        return _Box([_paint(text, node.strong, color)])
    if isinstance(node, Sym):
        return _Box([_sym_text(node)])
    if isinstance(node, Word):
        return _Box([node.text])
    if isinstance(node, Op):
        return _Box([node.symbol if node.tight else f" {node.symbol} "])
    if isinstance(node, Partial):
        return _hcat([_Box(["∂"]), _text_box(node.num, color), _Box(["/∂"]),
                      _text_box(node.den, color)])
    if isinstance(node, Call):
        name = node.name + ("′" if node.prime else "")
        return _hcat([_Box([name + "("]), _row_box(node.args, color), _Box([")"])])
    if isinstance(node, Group):
        return _hcat([_Box(["("]), _row_box(node.items, color), _Box([")"])])
    if isinstance(node, Sup):
        inner = _text_box(node.node, color, operand=True)
        script = node.script.translate(_SUPERSCRIPT)
        if len(inner.lines) == 1:
            return _Box([inner.lines[0] + script])
        return _hcat([inner, _Box([script] + [""] * (len(inner.lines) - 1), 0)])
    if isinstance(node, Matrix):
        return _matrix_box(node, color)
    raise TypeError(f"formula: cannot render {type(node).__name__} as text")


def _matrix_box(node: Matrix, color: bool) -> _Box:
    cells = [[_row_box((item,), color).lines[0] for item in r] for r in node.rows]
    n_cols = max(len(r) for r in cells)
    widths = [max(display_width(r[c]) for r in cells if c < len(r)) for c in range(n_cols)]
    body = ["  ".join(" " * (widths[c] - display_width(cell)) + cell
                      for c, cell in enumerate(r)) for r in cells]
    if len(body) == 1:
        return _Box([f"[{body[0]}]"])
    left = ["⎡"] + ["⎢"] * (len(body) - 2) + ["⎣"]
    right = ["⎤"] + ["⎥"] * (len(body) - 2) + ["⎦"]
    lines = [f"{lft} {line} {rgt}" for lft, line, rgt in zip(left, body, right)]
    return _Box(lines, (len(lines) - 1) // 2)


def _row_box(items: tuple[Node, ...], color: bool) -> _Box:
    boxes: list[_Box] = []
    for index, (item, operand) in enumerate(zip(items, _operands(items))):
        if index and _is_block(item) and _is_block(items[index - 1]):
            boxes.append(_Box([" "]))  # two matrices side by side: a product
        boxes.append(_text_box(item, color, operand))
    return _hcat(boxes) if boxes else _Box([""])


def _is_block(node: Node) -> bool:
    return isinstance(node, Matrix) or (isinstance(node, Sup) and isinstance(node.node, Matrix))


def to_text(items: Row, color: bool = False) -> list[str]:
    """The row as lines of Unicode text (several lines when it holds a matrix)."""
    return _row_box(tuple(items), color).lines


# --- LaTeX -----------------------------------------------------------------------------
_LATEX_NAMES = {
    "δ": r"\delta", "σ": r"\sigma", "η": r"\eta", "Σ": r"\sum", "∇": r"\nabla", "⋆": r"\star",
    "⊙": r"\odot", "·": r"\cdot", "−": "-", "≈": r"\approx", "→": r"\to", "ln": r"\ln",
    "tanh": r"\tanh", "∗": r"\ast", "×": r"\times", "←": r"\leftarrow",
}


def _latex_word(text: str) -> str:
    if text in _LATEX_NAMES:
        return _LATEX_NAMES[text]
    if len(text) > 1 and text.isalpha() and text.isascii():
        return rf"\mathrm{{{text}}}"
    return text


def _latex_script(text: str) -> str:
    if text.isalpha() and len(text) > 2:  # a word such as "total"
        return rf"{{\mathrm{{{text}}}}}"
    text = text.replace("−", "-").replace("ᵀ", r"\top")
    return text if len(text) == 1 else "{" + text + "}"


def _latex(node: Node, operand: bool = False) -> str:
    if isinstance(node, Num):
        text = fmt(node.value).replace("−", "-")
        if "e" in text:
            mantissa, exponent = text.split("e")
            text = rf"{mantissa} \times 10^{{{int(exponent)}}}"
        if operand and text.startswith("-"):
            text = f"({text})"
        return rf"\mathbf{{{text}}}" if node.strong else text
    if isinstance(node, Sym):
        text = _latex_word(node.base)
        if node.sub:
            text += "_" + _latex_script(node.sub)
        if node.sup:
            text += "^" + _latex_script(node.sup)
        return text
    if isinstance(node, Word):
        return node.latex or _latex_word(node.text)
    if isinstance(node, Op):
        return _LATEX_NAMES.get(node.symbol, node.symbol)
    if isinstance(node, Partial):
        return rf"\frac{{\partial {_latex(node.num)}}}{{\partial {_latex(node.den)}}}"
    if isinstance(node, Call):
        name = _latex_word(node.name) + ("'" if node.prime else "")
        return rf"{name}\left({_latex_row(node.args)}\right)"
    if isinstance(node, Group):
        return rf"\left({_latex_row(node.items)}\right)"
    if isinstance(node, Sup):
        inner = _latex(node.node, operand=True)
        if isinstance(node.node, Sym) and node.node.sup:
            inner = rf"\left({inner}\right)"
        return inner + "^{" + (r"\top" if node.script == "T" else node.script) + "}"
    if isinstance(node, Matrix):
        body = r" \\ ".join(" & ".join(_latex(item) for item in r) for r in node.rows)
        return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"
    raise TypeError(f"formula: cannot render {type(node).__name__} as LaTeX")


def _latex_row(items: tuple[Node, ...]) -> str:
    return " ".join(_latex(item, operand) for item, operand in zip(items, _operands(items)))


def to_latex(items: Row) -> str:
    """The row as LaTeX (no surrounding ``$``)."""
    return _latex_row(tuple(items))


# --- MathML ----------------------------------------------------------------------------
def _mi(text: str) -> str:
    variant = ' mathvariant="normal"' if len(text) > 1 else ""
    return f"<mi{variant}>{escape(text)}</mi>"


def _script(text: str) -> str:
    parts = re.findall(r"\d+|[^\d]+", text)
    if len(parts) == 1:
        return f"<mn>{escape(text)}</mn>" if text.isdigit() else \
            (f"<mo>{escape(text)}</mo>" if text in "+−ᵀ" else _mi(text))
    return "<mrow>" + "".join(f"<mn>{p}</mn>" if p.isdigit() else
                              (f"<mo>{escape(p)}</mo>" if p in "()" else _mi(p))
                              for p in parts) + "</mrow>"


def _mathml(node: Node, operand: bool = False) -> str:
    if isinstance(node, Num):
        text = fmt(node.value)
        css = ' class="result"' if node.strong else ""
        magnitude = f"<mn{css}>{text.lstrip('−')}</mn>"
        if "e" in text:
            mantissa, exponent = text.lstrip("−").split("e")
            magnitude = (f"<mrow><mn{css}>{mantissa}</mn><mo>×</mo><msup><mn{css}>10</mn>"
                         f"<mn{css}>{_exponent(exponent)}</mn></msup></mrow>")
        if text.startswith("−"):
            inner = f'<mo form="prefix"{css}>−</mo>{magnitude}'
            return f"<mrow><mo>(</mo>{inner}<mo>)</mo></mrow>" if operand else \
                f"<mrow>{inner}</mrow>"
        return magnitude
    if isinstance(node, Sym):
        base = _mi(node.base)
        if node.sub and node.sup:
            return f"<msubsup>{base}{_script(node.sub)}{_script(node.sup)}</msubsup>"
        if node.sub:
            return f"<msub>{base}{_script(node.sub)}</msub>"
        if node.sup:
            return f"<msup>{base}{_script(node.sup)}</msup>"
        return base
    if isinstance(node, Word):
        return node.mathml or (f"<mo>{escape(node.text)}</mo>" if not node.text.isalnum()
                               else _mi(node.text))
    if isinstance(node, Op):
        return f"<mo>{escape(node.symbol)}</mo>"
    if isinstance(node, Partial):
        return (f"<mfrac><mrow><mo>∂</mo>{_mathml(node.num)}</mrow>"
                f"<mrow><mo>∂</mo>{_mathml(node.den)}</mrow></mfrac>")
    if isinstance(node, Call):
        name = _mi(node.name)
        if node.prime:
            name = f"<msup>{name}<mo>′</mo></msup>"
        return f"<mrow>{name}<mo>(</mo>{_mathml_row(node.args)}<mo>)</mo></mrow>"
    if isinstance(node, Group):
        return f"<mrow><mo>(</mo>{_mathml_row(node.items)}<mo>)</mo></mrow>"
    if isinstance(node, Sup):
        return f"<msup>{_mathml(node.node, operand=True)}{_script(node.script)}</msup>"
    if isinstance(node, Matrix):
        rows = "".join("<mtr>" + "".join(f"<mtd>{_mathml(item)}</mtd>" for item in r)
                       + "</mtr>" for r in node.rows)
        return f'<mtable class="matrix">{rows}</mtable>'  # brackets drawn by CSS
    raise TypeError(f"formula: cannot render {type(node).__name__} as MathML")


def _mathml_row(items: tuple[Node, ...]) -> str:
    parts = (_mathml(item, operand) for item, operand in zip(items, _operands(items)))
    return "<mrow>" + "".join(parts) + "</mrow>"


def to_mathml(items: Row, display: bool = True, displaystyle: bool = False) -> str:
    """The row as a ``<math>`` element (``displaystyle``: full-size fractions inline)."""
    mode = ' display="block"' if display else (' displaystyle="true"' if displaystyle else "")
    return f'<math xmlns="http://www.w3.org/1998/Math/MathML"{mode}>{_mathml_row(tuple(items))}</math>'


# --- long rows -------------------------------------------------------------------------
def text_width(items: Row) -> int:
    """Columns the row takes as text."""
    return max(display_width(line) for line in to_text(items))


def split_row(items: Row, width: int = 100) -> list[Row]:
    """Break a long chain ``a = b = c = …`` before an ``=`` so each part fits in ``width``.

    The first row keeps the left-hand side; each continuation row starts with ``=``.
    """
    segments: list[list[Node]] = [[]]
    for item in items:
        if isinstance(item, Op) and item.symbol == "=":
            segments.append([])
        else:
            segments[-1].append(item)
    if len(segments) <= 2 or text_width(items) <= width:
        return [tuple(items)]
    indent = text_width(tuple(segments[0]))
    rows: list[Row] = []
    current: list[Node] = segments[0] + [Op("=")] + segments[1]
    for segment in segments[2:]:
        candidate = current + [Op("=")] + segment
        budget = width if not rows else width - indent
        if text_width(tuple(candidate)) <= budget:
            current = candidate
        else:
            rows.append(tuple(current))
            current = [Op("=")] + segment
    rows.append(tuple(current))
    return rows


def split_lhs(items: Row) -> tuple[Row, Row]:
    """``(lhs, rest)`` split before the first ``=`` (``lhs`` empty when there is none)."""
    for index, item in enumerate(items):
        if isinstance(item, Op) and item.symbol == "=":
            return tuple(items[:index]), tuple(items[index:])
    return (), tuple(items)
