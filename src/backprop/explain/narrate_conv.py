"""Write the convolution example as a document (indices from 1, as on paper)."""

from __future__ import annotations

from .conv import ConvDerivation
from .document import Document
from .formula import Call, Node, Op, Partial, Row, Sym, Word, join, mat, num
from .i18n import steps_phrase, t
from .narrate_dense import COMMA, ETA, HALF, training_section

E = Sym("E")
STAR = Op("⋆")


def _s(base: str, i: int, j: int) -> Sym:
    return Sym(base, f"{i + 1}{j + 1}")


def _named(pairs: list[tuple[str, Node]]) -> Row:
    items: list[Node] = []
    for index, (name, node) in enumerate(pairs):
        if index:
            items.append(COMMA)
        items += [Sym(name), Op("="), node]
    return tuple(items)


def narrate_conv(d: ConvDerivation, lang: str = "en", checked: int = 0) -> Document:
    """The whole convolution explanation as a :class:`Document`."""
    problem = d.problem
    x, k = problem.image.tolist(), problem.kernel.tolist()
    kh, kw = len(k), len(k[0])
    doc = Document(t(lang, "title", name=problem.title or t(lang, "conv_title")), lang)
    doc.heading(t(lang, "given_example"))
    doc.para(t(lang, "conv_intro", lr=f"{problem.lr:g}"))
    doc.para(t(lang, "image"))
    doc.equations(_named([("X", mat(x)), ("K", mat(k)), ("T", mat(problem.target.tolist()))]))

    doc.heading(t(lang, "forward"))
    doc.para(t(lang, "conv_forward_intro"))
    rows: list[Row] = []
    for i, line in enumerate(d.output):
        for j, value in enumerate(line):
            pairs = [(m, n) for m in range(kh) for n in range(kw)]
            symbolic = join([(_s("x", i + m, j + n), Op("·", True), _s("k", m, n))
                             for m, n in pairs])
            numbers = join([(num(x[i + m][j + n]), Op("·", True), num(k[m][n]))
                            for m, n in pairs])
            rows.append((_s("y", i, j), Op("=")) + symbolic + (Op("="),) + numbers +
                        (Op("="), num(value, True)))
    rows.append((Sym("Y"), Op("="), Sym("X"), STAR, Sym("K"), Op("="), mat(d.output, True)))
    doc.equations(*rows)

    doc.heading(t(lang, "error"))
    doc.para(t(lang, "conv_delta"))
    doc.equations(
        (Sym("δ"), Op("="), Partial(E, Sym("Y")), Op("="), Sym("Y"), Op("−"), Sym("T"),
         Op("="), mat(d.output), Op("−"), mat(problem.target.tolist()), Op("="),
         mat(d.delta, True)),
        (E, Op("="), HALF, Word("Σ"), Sym("δ", "ij", "2"), Op("="), num(d.loss, True)),
    )

    doc.heading(t(lang, "conv_grad_k"))
    doc.para(t(lang, "conv_grad_k_intro"))
    rows = []
    out_rows, out_cols = len(d.delta), len(d.delta[0])
    cells = [(i, j) for i in range(out_rows) for j in range(out_cols)]
    for m in range(kh):
        for n in range(kw):
            symbolic = join([(_s("δ", i, j), Op("·", True), _s("x", i + m, j + n))
                             for i, j in cells])
            numbers = join([(num(d.delta[i][j]), Op("·", True), num(x[i + m][j + n]))
                            for i, j in cells])
            rows.append((Partial(E, _s("k", m, n)), Op("=")) + symbolic + (Op("="),) + numbers
                        + (Op("="), num(d.grad_kernel[m][n], True)))
    rows.append((Partial(E, Sym("K")), Op("="), Sym("X"), STAR, Sym("δ"), Op("="),
                 mat(d.grad_kernel, True)))
    doc.equations(*rows)

    doc.heading(t(lang, "conv_grad_x"))
    doc.para(t(lang, "conv_grad_x_intro"))
    padded = [[0.0] * (out_cols + 2 * (kw - 1)) for _ in range(out_rows + 2 * (kh - 1))]
    for i, j in cells:
        padded[i + kh - 1][j + kw - 1] = d.delta[i][j]
    flipped = [row[::-1] for row in k[::-1]]
    doc.para(t(lang, "conv_flipped"))
    doc.equations((Call("pad", (Sym("δ"),)), Op("="), mat(padded), COMMA,
                   Call("rot180", (Sym("K"),)), Op("="), mat(flipped)))
    rows = []
    for p, line in enumerate(d.grad_image):
        for q, value in enumerate(line):
            terms = [(p - m, q - n, m, n) for m in range(kh) for n in range(kw)
                     if 0 <= p - m < out_rows and 0 <= q - n < out_cols]
            symbolic = join([(_s("δ", i, j), Op("·", True), _s("k", m, n))
                             for i, j, m, n in terms])
            numbers = join([(num(d.delta[i][j]), Op("·", True), num(k[m][n]))
                            for i, j, m, n in terms])
            rows.append((Partial(E, _s("x", p, q)), Op("=")) + symbolic + (Op("="),) + numbers
                        + (Op("="), num(value, True)))
    rows.append((Partial(E, Sym("X")), Op("="), Call("pad", (Sym("δ"),)), STAR,
                 Call("rot180", (Sym("K"),)), Op("="), mat(d.grad_image, True)))
    doc.equations(*rows)

    doc.heading(t(lang, "conv_update"))
    doc.para(t(lang, "update_intro", lr=f"{problem.lr:g}"))
    rows = []
    for m in range(kh):
        for n in range(kw):
            s = _s("k", m, n)
            rows.append((Sym(s.base, s.sub, "+"), Op("="), s, Op("−"), ETA, Op("·", True),
                         Partial(E, s), Op("="), num(k[m][n]), Op("−"), num(problem.lr),
                         Op("·", True), num(d.grad_kernel[m][n]), Op("="),
                         num(d.new_kernel[m][n], True)))
    rows.append((Sym("K", "", "+"), Op("="), mat(d.new_kernel, True)))
    doc.equations(*rows)

    steps = steps_phrase(lang, problem.steps)
    training_section(lang, doc, t(lang, "conv_training", steps=steps), d.errors, [], [])
    doc.para(t(lang, "kernel_after", steps=steps))
    doc.equations((Sym("K"), Op("="), mat(d.final_kernel, True)))
    if checked:
        doc.para(t(lang, "conv_checked", count=checked), note=True)
    return doc
