"""A :class:`~backprop.explain.document.Document` as Markdown with LaTeX formulas.

Display formulas go in ``$$ … $$`` blocks and inline ones in ``$ … $``, which
GitHub, GitLab, Jupyter, Obsidian, Typora and pandoc all render.
"""

from __future__ import annotations

from .document import Document, Equations, Heading, Para, Table
from .formula import split_lhs, split_row, to_latex

WIDTH = 96


def _escape(text: str) -> str:
    """Markdown-escape prose: characters that would start emphasis or a table cell."""
    for ch in ("\\", "*", "_", "|", "<", ">"):
        text = text.replace(ch, "\\" + ch)
    return text


def render_markdown(doc: Document) -> str:
    """The document as Markdown; formulas are LaTeX (``\\frac{\\partial E}{\\partial w_5}``)."""
    lines = [f"# {_escape(doc.title)}"]
    for block in doc.blocks:
        lines.append("")
        if isinstance(block, Heading):
            lines.append("#" * block.level + " " + _escape(block.text))
        elif isinstance(block, Para):
            text = "".join(_escape(part) if isinstance(part, str) else
                           f"${to_latex(part.row)}$" for part in block.parts)
            lines.append(f"> {text}" if block.note else text)
        elif isinstance(block, Equations):
            aligned = []
            for row in block.rows:
                for part in split_row(row, WIDTH):
                    lhs, rest = split_lhs(part)
                    aligned.append(f"{to_latex(lhs)} &{to_latex(rest)}")
            lines.append("$$")
            if len(aligned) == 1:
                lines.append(aligned[0].replace(" &", " ", 1).strip())
            else:
                lines.append(r"\begin{aligned}")
                lines += [line.strip() + r" \\" for line in aligned[:-1]]
                lines.append(aligned[-1].strip())
                lines.append(r"\end{aligned}")
            lines.append("$$")
        elif isinstance(block, Table):
            lines.append("| " + " | ".join(_escape(h) for h in block.header) + " |")
            lines.append("|" + "|".join("---:" for _ in block.header) + "|")
            for r in block.rows:
                lines.append("| " + " | ".join(_escape(c) if isinstance(c, str)
                                               else f"${to_latex((c,))}$" for c in r) + " |")
    return "\n".join(lines) + "\n"
