"""A :class:`~backprop.explain.document.Document` as one self-contained HTML page.

Formulas are MathML, which Chromium, Firefox and Safari render natively: the
page loads no script, font or stylesheet from anywhere, so it works offline.
"""

from __future__ import annotations

from html import escape

from .document import Document, Equations, Heading, Para, Table
from .formula import split_lhs, split_row, to_mathml

WIDTH = 110

STYLE = """
:root { color-scheme: light; }
body { font-family: "Noto Sans", "Segoe UI", "Helvetica Neue", Arial, "Noto Sans CJK SC",
       "PingFang SC", "Microsoft YaHei", "WenQuanYi Zen Hei", sans-serif;
       line-height: 1.55; color: #1d2330; max-width: 70rem; margin: 2rem auto;
       padding: 0 1.5rem; background: #fdfdfb; }
h1 { font-size: 1.7rem; border-bottom: 3px solid #2b6cb0; padding-bottom: .3rem; }
h2 { font-size: 1.3rem; color: #2b6cb0; margin-top: 2.2rem; border-bottom: 1px solid #cbd5e0; }
h3 { font-size: 1.1rem; color: #2c5282; margin-top: 1.4rem; }
p.note { color: #4a5568; background: #f1f5f9; border-left: 4px solid #a0aec0;
         padding: .4rem .8rem; }
div.eqs { overflow-x: auto; padding: .2rem 0 .2rem 1.5rem; }
math { font-size: 1.12rem; }
mtable.matrix { border-left: 1.5px solid; border-right: 1.5px solid; padding: .1em .45em;
                margin: 0 .2em;
                background: linear-gradient(currentColor, currentColor) left top / .35em 1.5px,
                            linear-gradient(currentColor, currentColor) left bottom / .35em 1.5px,
                            linear-gradient(currentColor, currentColor) right top / .35em 1.5px,
                            linear-gradient(currentColor, currentColor) right bottom / .35em 1.5px;
                background-repeat: no-repeat; }
mtable.matrix mtd { padding: .1em .4em; }
table.eq { margin: .3rem 0; border: none; }
table.eq td { border: none; padding: .2rem 0; vertical-align: middle; }
table.eq td.lhs { text-align: right; white-space: nowrap; }
table.eq td.rhs { text-align: left; white-space: nowrap; padding-left: .25rem; }
mn.result, mo.result { color: #0f7b3f; font-weight: bold; }
table { border-collapse: collapse; margin: .6rem 1.5rem; }
th, td { padding: .25rem 1rem; border-bottom: 1px solid #cbd5e0; text-align: right; }
th { background: #edf2f7; }
"""


def _equations(block: Equations) -> str:
    """Rows aligned on their first ``=`` (a two-column table: left side, the rest)."""
    rows = []
    for row in block.rows:
        for part in split_row(row, WIDTH):
            lhs, rest = split_lhs(part)
            left = to_mathml(lhs, False, True) if lhs else ""
            rows.append(f'<tr><td class="lhs">{left}</td>'
                        f'<td class="rhs">{to_mathml(rest, False, True)}</td></tr>')
    return '<div class="eqs"><table class="eq">' + "".join(rows) + "</table></div>"


def render_html(doc: Document) -> str:
    """The document as a complete HTML5 page (UTF-8, MathML, inline CSS)."""
    lang = "zh-CN" if doc.lang == "zh" else "en"
    body = [f"<h1>{escape(doc.title)}</h1>"]
    for block in doc.blocks:
        if isinstance(block, Heading):
            level = min(max(block.level, 2), 6)
            body.append(f"<h{level}>{escape(block.text)}</h{level}>")
        elif isinstance(block, Para):
            text = "".join(escape(part) if isinstance(part, str) else
                           to_mathml(part.row, display=False) for part in block.parts)
            body.append(f'<p class="note">{text}</p>' if block.note else f"<p>{text}</p>")
        elif isinstance(block, Equations):
            body.append(_equations(block))
        elif isinstance(block, Table):
            head = "".join(f"<th>{escape(h)}</th>" for h in block.header)
            rows = "".join("<tr>" + "".join(
                f"<td>{escape(c) if isinstance(c, str) else to_mathml((c,), display=False)}"
                "</td>" for c in r) + "</tr>" for r in block.rows)
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(doc.title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(body) + "\n</body>\n</html>\n"
    )
