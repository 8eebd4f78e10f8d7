"""Write the RNN example (backpropagation through time) as a document."""

from __future__ import annotations

from .document import Document
from .formula import Call, Group, Node, Num, Op, Partial, Row, Sup, Sym, join, num
from .i18n import steps_phrase, t
from .narrate_dense import COMMA, ETA, HALF, training_section
from .rnn import RNNDerivation

E = Sym("E")
WX, WH, B = Sym("w", "x"), Sym("w", "h"), Sym("b")


def _h(t: int) -> Sym:
    return Sym("h", str(t))


def _z(t: int) -> Sym:
    return Sym("z", str(t))


def _given(pairs: list[tuple[Sym, float]]) -> Row:
    items: list[Node] = []
    for index, (s, value) in enumerate(pairs):
        if index:
            items.append(COMMA)
        items += [s, Op("="), num(value)]
    return tuple(items)


def narrate_rnn(d: RNNDerivation, lang: str = "en", checked: int = 0) -> Document:
    """The whole BPTT explanation as a :class:`Document`."""
    problem, p = d.problem, d.first
    T = len(problem.inputs)
    w = {"w_x": problem.w_x, "w_h": problem.w_h, "b": problem.b}
    target = Sym("target")
    doc = Document(t(lang, "title", name=problem.title or t(lang, "rnn_title", T=T)), lang)
    doc.heading(t(lang, "given_example"))
    doc.para(t(lang, "rnn_intro", lr=f"{problem.lr:g}", T=T))
    doc.para(t(lang, "rnn_given"))
    doc.equations(_given([(Sym("x", str(i + 1)), v) for i, v in enumerate(problem.inputs)]),
                  _given([(WX, problem.w_x), (WH, problem.w_h), (B, problem.b)]),
                  _given([(_h(0), 0.0), (target, problem.target)]))

    doc.heading(t(lang, "rnn_forward"))
    rows: list[Row] = []
    for s in range(1, T + 1):
        rows.append((_z(s), Op("="), WX, Op("·", True), Sym("x", str(s)), Op("+"), WH,
                     Op("·", True), _h(s - 1), Op("+"), B, Op("="), num(problem.w_x),
                     Op("·", True), num(problem.inputs[s - 1]), Op("+"), num(problem.w_h),
                     Op("·", True), num(p.h[s - 1]), Op("+"), num(problem.b), Op("="),
                     num(p.z[s], True)))
        rows.append((_h(s), Op("="), Call("tanh", (_z(s),)), Op("="),
                     Call("tanh", (num(p.z[s]),)), Op("="), num(p.h[s], True)))
    doc.equations(*rows)

    doc.heading(t(lang, "error"))
    doc.equations((E, Op("="), HALF, Sup(Group((_h(T), Op("−"), target)), "2"), Op("="), HALF,
                   Sup(Group((num(p.h[T]), Op("−"), num(problem.target))), "2"), Op("="),
                   num(p.loss, True)))

    doc.heading(t(lang, "rnn_backward"))
    doc.para(t(lang, "rnn_backward_intro"))
    for s in range(T, 0, -1):
        doc.para(t(lang, "rnn_time", t=s))
        if s == T:
            first: Row = (Partial(E, _h(s)), Op("="), _h(s), Op("−"), target, Op("="),
                          num(p.h[s]), Op("−"), num(problem.target), Op("="),
                          num(p.dE_dh[s], True))
        else:
            first = (Partial(E, _h(s)), Op("="), Sym("δ", str(s + 1)), Op("·", True), WH,
                     Op("="), num(p.delta[s + 1]), Op("·", True), num(problem.w_h), Op("="),
                     num(p.dE_dh[s], True))
        doc.equations(
            first,
            (Partial(_h(s), _z(s)), Op("="), Num(1.0), Op("−"), Sup(_h(s), "2"), Op("="),
             Num(1.0), Op("−"), Sup(num(p.h[s]), "2"), Op("="), num(p.fprime[s], True)),
            (Sym("δ", str(s)), Op("="), Partial(E, _z(s)), Op("="), Partial(E, _h(s)), Op("·"),
             Partial(_h(s), _z(s)), Op("="), num(p.dE_dh[s]), Op("·"), num(p.fprime[s]),
             Op("="), num(p.delta[s], True)),
        )

    doc.heading(t(lang, "rnn_grads"))
    doc.para(t(lang, "rnn_grads_intro"))
    steps = range(1, T + 1)

    def grad_row(weight: Sym, factor: list[Node], values: list[float], shares: list[float],
                 total: float) -> Row:
        symbolic = join([(Sym("δ", str(s)), Op("·", True), factor[s - 1]) for s in steps])
        numbers = join([(num(p.delta[s]), Op("·", True), num(values[s - 1])) for s in steps])
        return (Partial(E, weight), Op("=")) + symbolic + (Op("="),) + numbers + (Op("="),) + \
            join([(num(v),) for v in shares]) + (Op("="), num(total, True))

    doc.equations(
        grad_row(WX, [Sym("x", str(s)) for s in steps], list(problem.inputs), p.share_x[1:],
                 p.grad_wx),
        grad_row(WH, [_h(s - 1) for s in steps], p.h[:T], p.share_h[1:], p.grad_wh),
        (Partial(E, B), Op("=")) + join([(Sym("δ", str(s)),) for s in steps]) + (Op("="),) +
        join([(num(p.delta[s]),) for s in steps]) + (Op("="), num(p.grad_b, True)),
    )
    if T > 1:
        doc.para(t(lang, "rnn_vanish", T=T))
        symbolic = join([(WH, Group((Num(1.0), Op("−"), Sup(_h(s), "2")))) for s in
                         range(T, 1, -1)], "·")
        numbers = join([(num(problem.w_h), Op("·", True), num(p.fprime[s])) for s in
                        range(T, 1, -1)], "·")
        doc.equations((Partial(_h(T), _h(1)), Op("=")) + symbolic + (Op("="),) + numbers +
                      (Op("="), num(d.dhT_dh1, True)))

    doc.heading(t(lang, "rnn_update"))
    doc.para(t(lang, "update_intro", lr=f"{problem.lr:g}"))
    rows = []
    for name, weight in (("w_x", WX), ("w_h", WH), ("b", B)):
        rows.append((Sym(weight.base, weight.sub, "+"), Op("="), weight, Op("−"), ETA,
                     Op("·", True), Partial(E, weight), Op("="), num(w[name]), Op("−"),
                     num(problem.lr),
                     Op("·", True), num(d.grads[name]), Op("="), num(d.new[name], True)))
    doc.equations(*rows)

    training_section(lang, doc, t(lang, "rnn_training",
                                  steps=steps_phrase(lang, problem.steps)), d.errors,
                     [(_h(T), d.final_h)], [problem.target])
    if checked:
        doc.para(t(lang, "conv_checked", count=checked), note=True)
    return doc
