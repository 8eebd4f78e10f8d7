"""What an explanation says, independent of how it is shown.

A :class:`Document` is a title and a list of blocks: headings, paragraphs
(prose with inline formulas), display equations and tables. The renderers
(:mod:`.render_text`, :mod:`.render_markdown`, :mod:`.render_html`) turn the
same document into a terminal page, Markdown with LaTeX, or an HTML page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .formula import Node, Row


@dataclass
class Heading:
    text: str
    level: int = 2


@dataclass
class Inline:
    """A formula inside a paragraph."""

    row: Row


@dataclass
class Para:
    """Prose: strings and :class:`Inline` formulas; ``note`` paragraphs are set apart."""

    parts: list[str | Inline]
    note: bool = False


@dataclass
class Equations:
    """Display formulas, one per line."""

    rows: list[Row]


@dataclass
class Table:
    header: list[str]
    rows: list[list[str | Node]]


Block = Heading | Para | Equations | Table


@dataclass
class Document:
    title: str
    lang: str = "en"
    blocks: list[Block] = field(default_factory=list)

    def heading(self, text: str, level: int = 2) -> None:
        self.blocks.append(Heading(text, level))

    def para(self, *parts: str | Inline, note: bool = False) -> None:
        self.blocks.append(Para(list(parts), note))

    def equations(self, *rows: Row) -> None:
        self.blocks.append(Equations(list(rows)))

    def table(self, header: list[str], rows: list[list[str | Node]]) -> None:
        self.blocks.append(Table(header, rows))
