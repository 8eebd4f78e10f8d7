"""A :class:`~backprop.explain.document.Document` as terminal text (ANSI colour optional)."""

from __future__ import annotations

import re
import unicodedata

from .document import Document, Equations, Heading, Para, Table
from .formula import display_width, split_lhs, split_row, text_width, to_text

BOLD_CYAN = ("\x1b[1;36m", "\x1b[0m")
DIM = ("\x1b[2m", "\x1b[0m")
WIDTH = 92


def _paint(text: str, style: tuple[str, str], color: bool) -> str:
    return f"{style[0]}{text}{style[1]}" if color else text


def _para(block: Para, color: bool) -> list[str]:
    text = "".join(part if isinstance(part, str) else " ".join(to_text(part.row))
                   for part in block.parts)
    lines = wrap(text, WIDTH)
    if block.note:
        return [_paint(line, DIM, color) for line in lines]
    return lines


_NO_BREAK = "，。；：）、」！？"  # never start a line with these


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF"


def wrap(text: str, width: int) -> list[str]:
    """Greedy line breaking by display width: at spaces, or between CJK characters."""
    tokens = re.findall(r"[^\S\n]+|\S", text)
    words: list[str] = []
    for token in tokens:  # glue non-CJK characters into words, keep CJK ones apart
        previous = words[-1] if words else " "
        latin = not _is_wide(token) and not _is_wide(previous[-1])
        if not token.isspace() and not previous.isspace() and (latin or token in _NO_BREAK):
            words[-1] += token
        else:
            words.append(token)
    lines, line = [], ""
    for word in words:
        if display_width(line + word) > width and line.strip():
            lines.append(line.rstrip())
            line = "" if word.isspace() else word
        else:
            line += word
    lines.append(line.rstrip())
    return lines


def _equation(row: tuple, color: bool) -> list[str]:
    parts = split_row(row, WIDTH - 4)
    lines = []
    indent = text_width(split_lhs(parts[0])[0]) if len(parts) > 1 else 0
    for index, part in enumerate(parts):
        rendered = to_text(part, color)
        pad = " " * (4 + (indent if index else 0))
        if len(rendered) > 1:
            lines.append("")
        lines += [pad + text for text in rendered]
        if len(rendered) > 1:
            lines.append("")
    return lines


def _table(block: Table, color: bool) -> list[str]:
    cells = [[cell if isinstance(cell, str) else to_text((cell,), color)[0] for cell in r]
             for r in block.rows]
    widths = [max([display_width(h)] + [display_width(r[c]) for r in cells])
              for c, h in enumerate(block.header)]

    def line(values: list[str]) -> str:
        return "  " + "  ".join(" " * (w - display_width(v)) + v for v, w in zip(values, widths))

    return [line(block.header), "  " + "  ".join("─" * w for w in widths)] + \
        [line(r) for r in cells]


def render_text(doc: Document, color: bool = False) -> str:
    """The document as plain text; ``color=True`` adds ANSI colours for a terminal."""
    lines = [_paint(doc.title, BOLD_CYAN, color), "═" * display_width(doc.title)]
    for block in doc.blocks:
        if isinstance(block, Heading):
            rule = "─" if block.level <= 2 else "┄"
            lines += ["", _paint(block.text, BOLD_CYAN, color)]
            lines.append(rule * display_width(block.text))
        elif isinstance(block, Para):
            lines.append("")
            lines += _para(block, color)
        elif isinstance(block, Equations):
            for row in block.rows:
                lines += _equation(row, color)
        elif isinstance(block, Table):
            lines.append("")
            lines += _table(block, color)
    cleaned = [line.rstrip() for line in lines]
    # no doubled blank lines
    out: list[str] = []
    for line in cleaned:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).rstrip() + "\n"


