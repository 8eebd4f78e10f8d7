"""Text, Markdown and HTML outputs, snapshot-tested; the HTML page is self-contained.

Snapshots live in tests/explain/snapshots/; after an intended change, regenerate
them with ``UPDATE_SNAPSHOTS=1 pytest tests/explain/test_render.py`` and review
the diff.
"""

import os
import re
from pathlib import Path

import pytest

import backprop as bp
from backprop.explain.formula import (
    Matrix,
    Num,
    Op,
    Partial,
    Sym,
    fmt,
    mat,
    num,
    split_row,
    text_width,
    to_latex,
    to_mathml,
    to_text,
)
from backprop.explain.render_text import wrap

SNAPSHOTS = Path(__file__).parent / "snapshots"
SPECS = Path(__file__).resolve().parents[2] / "examples" / "specs"
EXTENSION = {"text": "txt", "markdown": "md", "html": "html"}
CASES = [
    ("mazur", "text", "en"), ("mazur", "markdown", "en"), ("mazur", "html", "en"),
    ("mazur", "text", "zh"), ("mazur", "markdown", "zh"), ("mazur", "html", "zh"),
    ("nobias", "text", "en"), ("nobias", "markdown", "zh"),
    ("conv", "text", "en"), ("conv", "html", "zh"),
    ("rnn", "text", "zh"), ("rnn", "markdown", "en"),
    ("deep_tanh_relu.toml", "text", "en"), ("softmax_classifier.toml", "markdown", "en"),
]


def snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no snapshot {path}; run with UPDATE_SNAPSHOTS=1 to create it"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{name} differs from its snapshot (UPDATE_SNAPSHOTS=1 to accept)"


@pytest.mark.parametrize("example, format, lang", CASES)
def test_snapshot(example, format, lang):
    target = SPECS / example if example.endswith(".toml") else example
    text = bp.explain(target, format=format, lang=lang)
    stem = example.split(".")[0]
    snapshot(f"{stem}_{lang}.{EXTENSION[format]}", str(text))


def test_snapshot_of_coloured_text():
    snapshot("rnn_en_color.txt", str(bp.explain("rnn", color=True)))


def test_html_page_needs_nothing_from_the_network():
    page = str(bp.explain("mazur", format="html", lang="zh"))
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    assert '<html lang="zh-CN">' in page
    for outside in ("<script", "src=", "href=", "url(", "@import", "<link"):
        assert outside not in page, outside
    links = set(re.findall(r"https?://[^\s\"'<>]+", page))
    assert links == {"http://www.w3.org/1998/Math/MathML"}  # a namespace name, never fetched


def test_re_rendering_keeps_the_numbers():
    result = bp.explain("nobias")
    assert result.render(format="markdown", lang="zh") == str(
        bp.explain("nobias", format="markdown", lang="zh"))
    assert result.document().title.startswith("Backpropagation step by step")


# --- the formula layer --------------------------------------------------------------------
def test_nine_significant_digits():
    assert fmt(0.08216704056423078) == "0.0821670406"
    assert fmt(0.2983711087600027) == "0.298371109"
    assert fmt(0.39249999999999996) == "0.3925"
    assert fmt(-0.0380982365) == "−0.0380982365"
    assert fmt(3.510187782978859e-05) == "0.0000351018778"
    assert fmt(3.68732731e-16) == "3.68732731e−16"
    assert fmt(-0.0) == "0"
    assert fmt(123456789012.0) == "1.23456789e+11"


def test_formula_in_three_formats():
    row = (Partial(Sym("E"), Sym("w", "5")), Op("="), num(0.4), Op("·", True), num(-0.5),
           Op("="), num(-0.2, True))
    assert to_text(row) == ["∂E/∂w5 = 0.4·(−0.5) = −0.2"]
    assert to_latex(row) == (r"\frac{\partial E}{\partial w_5} = 0.4 \cdot (-0.5) = "
                             r"\mathbf{-0.2}")
    mathml = to_mathml(row)
    assert mathml.count("<mfrac>") == 1 and '<mn class="result">0.2</mn>' in mathml


def test_matrices_lay_out_on_several_lines():
    lines = to_text((Sym("δ"), Op("="), mat([[1.5, -2.0], [0.25, 3.0]])))
    assert lines == ["    ⎡  1.5  −2 ⎤", "δ = ⎣ 0.25   3 ⎦"] or lines == [
        "δ = ⎡  1.5  −2 ⎤", "    ⎣ 0.25   3 ⎦"]
    assert isinstance(mat([1.0, 2.0]), Matrix) and len(mat([1.0, 2.0]).rows) == 2


def test_long_chains_break_before_an_equals_sign():
    row = (Sym("x"), Op("=")) + sum(((Num(float(i)), Op("+")) for i in range(30)), ()) + (
        Num(0.0), Op("="), Num(435.0))
    parts = split_row(row, 60)
    assert len(parts) == 2 and parts[1][0] == Op("=")
    assert all(text_width(p) <= 60 + 100 for p in parts)


def test_chinese_wraps_by_display_width():
    lines = wrap("反向传播" * 30, 40)
    assert all(len(line) <= 20 for line in lines) and "".join(lines) == "反向传播" * 30
    lines = wrap("误差，权重。偏置", 4)
    assert "".join(lines) == "误差，权重。偏置"
    assert not any(line.startswith(("，", "。")) for line in lines)


def test_docstring_examples_run():
    import doctest

    import backprop.explain
    import backprop.explain.formula

    for module in (backprop.explain, backprop.explain.formula):
        failures, tried = doctest.testmod(module)
        assert tried > 0 and failures == 0, module.__name__
