"""Write a dense network's derivation as a document: every formula with its numbers.

Only numbers from the :class:`~backprop.explain.derivation.DenseDerivation`
(computed by the hand walk and checked against the engine) appear; the given
weights, inputs and targets are printed as given.
"""

from __future__ import annotations

import re

from .derivation import DenseDerivation
from .document import Document
from .formula import (
    Call,
    Group,
    Node,
    Num,
    Op,
    Partial,
    Row,
    Sup,
    Sym,
    Word,
    join,
    mat,
    num,
    row_vec,
)
from .i18n import steps_phrase, t
from .network import DenseProblem

E = Sym("E")
ETA = Sym("η")
COMMA = Word(",  ", r",\quad ", '<mo separator="true">,</mo><mspace width="1em"/>')
HALF = Word("½", r"\tfrac{1}{2}", "<mfrac><mn>1</mn><mn>2</mn></mfrac>")
ONE_MINUS = (Num(1.0), Op("−"))
ACT_SYMBOL = {"sigmoid": "σ", "tanh": "tanh", "relu": "ReLU"}


def sym(name: str) -> Sym:
    """``w5`` → w with subscript 5; ``b_h1`` → b with subscript h1; ``i1`` → i₁."""
    if "_" in name:
        base, sub = name.split("_", 1)
        return Sym(base, sub)
    match = re.fullmatch(r"(\D+?)(\d+)", name)
    return Sym(match.group(1), match.group(2)) if match else Sym(name)


def net(n: str) -> Sym:
    return Sym("net", n)


def out(n: str) -> Sym:
    return Sym("out", n)


def layer_sym(base: str, index: int, sup: str = "") -> Sym:
    """``W⁽²⁾``-style symbols of the matrix form (layers numbered from 1)."""
    return Sym(base, "", f"({index}){sup}")


def _given_rows(names: list[str], values: list[float]) -> Row:
    items: list[Node] = []
    for index, (name, value) in enumerate(zip(names, values)):
        if index:
            items.append(COMMA)
        items += [sym(name), Op("="), num(value)]
    return tuple(items)


def _layer_title(lang: str, problem: DenseProblem, index: int) -> str:
    layer = problem.layers[index]
    names = ", ".join(layer.neuron_names)
    if index == len(problem.layers) - 1:
        return t(lang, "output_layer", names=names)
    if len(problem.layers) == 2:
        return t(lang, "hidden_layer", names=names)
    return t(lang, "hidden_layer_n", n=index + 1, names=names)


def _input_syms(problem: DenseProblem, index: int) -> list[Sym]:
    if index == 0:
        return [sym(n) for n in problem.input_names]
    return [out(n) for n in problem.layers[index - 1].neuron_names]


def _activation_rows(act: str, name: str, z: float, a: float) -> Row:
    if act == "identity":
        return (out(name), Op("="), net(name), Op("="), num(a, True))
    f = ACT_SYMBOL[act]
    return (out(name), Op("="), Call(f, (net(name),)), Op("="), Call(f, (num(z),)), Op("="),
            num(a, True))


def _fprime_row(lang: str, act: str, name: str, z: float, a: float, fp: float) -> Row:
    head: Row = (Partial(out(name), net(name)), Op("="))
    if act == "sigmoid":
        return head + (out(name), Group(ONE_MINUS + (out(name),)), Op("="), num(a), Op("·"),
                       Group(ONE_MINUS + (num(a),)), Op("="), num(fp, True))
    if act == "tanh":
        return head + (Num(1.0), Op("−"), Sup(out(name), "2"), Op("="), Num(1.0), Op("−"),
                       Sup(num(a), "2"), Op("="), num(fp, True))
    if act == "relu":
        cond = t(lang, "if_positive" if z > 0 else "if_not_positive")
        return head + (num(fp, True), Word(f"  ({cond})", rf"\quad\text{{({cond})}}",
                                           f"<mtext>  ({cond})</mtext>"))
    return head + (num(fp, True),)


def _error_rows(problem: DenseProblem, d: DenseDerivation) -> list[Row]:
    """E_o = … for each output, with the numbers substituted."""
    p = d.first
    rows: list[Row] = []
    names = problem.layers[-1].neuron_names
    n = len(names)
    for k, name in enumerate(names):
        o, y, term = p.a[-1][k], float(problem.targets[k]), p.terms[k]
        target = Sym("target", name)
        if problem.loss == "mse_half":
            rows.append((Sym("E", name), Op("="), HALF,
                         Sup(Group((target, Op("−"), out(name))), "2"), Op("="), HALF,
                         Sup(Group((num(y), Op("−"), num(o))), "2"), Op("="), num(term, True)))
        elif problem.loss == "mse":
            rows.append((Sym("E", name), Op("="), Sup(Group((out(name), Op("−"), target)), "2"),
                         Op("/", True), Num(n), Op("="),
                         Sup(Group((num(o), Op("−"), num(y))), "2"), Op("/", True), Num(n),
                         Op("="), num(term, True)))
        elif problem.loss == "bce":
            sym_part = (target, Op("·"), Call("ln", (out(name),)), Op("+"),
                        Group(ONE_MINUS + (target,)), Op("·"),
                        Call("ln", ONE_MINUS + (out(name),)))
            num_part = (num(y), Op("·"), Call("ln", (num(o),)), Op("+"),
                        Group(ONE_MINUS + (num(y),)), Op("·"), Call("ln", ONE_MINUS + (num(o),)))
            rows.append((Sym("E", name), Op("="), Op("−", True), Group(sym_part), Op("/", True),
                         Num(n), Op("="), Op("−", True), Group(num_part), Op("/", True), Num(n),
                         Op("="), num(term, True)))
        else:
            rows.append((Sym("E", name), Op("="), Op("−", True), target, Op("·"),
                         Call("ln", (Sym("p", name),)), Op("="), Op("−", True), num(y),
                         Op("·"), Call("ln", (num(p.probs[k]),)), Op("="), num(term, True)))
    return rows


def _dE_dout_row(problem: DenseProblem, d: DenseDerivation, k: int) -> Row:
    p = d.first
    name = problem.layers[-1].neuron_names[k]
    o, y, g = p.a[-1][k], float(problem.targets[k]), p.dE_da[-1][k]
    n = len(p.a[-1])
    target = Sym("target", name)
    head: Row = (Partial(E, out(name)), Op("="))
    if problem.loss == "mse_half":
        return head + (out(name), Op("−"), target, Op("="), num(o), Op("−"), num(y), Op("="),
                       num(g, True))
    if problem.loss == "mse":
        return head + (Num(2), Group((out(name), Op("−"), target)), Op("/", True), Num(n),
                       Op("="), Num(2), Op("·"), Group((num(o), Op("−"), num(y))),
                       Op("/", True), Num(n), Op("="), num(g, True))
    if problem.loss == "bce":
        return head + (Group((out(name), Op("−"), target)), Op("/", True),
                       Group((out(name), Group(ONE_MINUS + (out(name),)), Op("·", True),
                              Num(n))), Op("="), Group((num(o), Op("−"), num(y))),
                       Op("/", True), Group((num(o), Op("·"), Group(ONE_MINUS + (num(o),)),
                                             Op("·"), Num(n))), Op("="), num(g, True))
    mass = float(sum(problem.targets))
    if mass == 1.0:
        return head + (Sym("p", name), Op("−"), target, Op("="), num(p.probs[k]), Op("−"),
                       num(y), Op("="), num(g, True))
    return head + (Sym("p", name), Op("·"), Word("Σtarget", r"\sum \mathrm{target}"), Op("−"),
                   target, Op("="), num(p.probs[k]), Op("·"), num(mass), Op("−"), num(y),
                   Op("="), num(g, True))


def _grad_rows(problem: DenseProblem, d: DenseDerivation, index: int, j: int) -> list[Row]:
    """∂E/∂w = ∂E/∂out · ∂out/∂net · ∂net/∂w for the weights (and bias) of neuron j."""
    p, layer = d.first, problem.layers[index]
    name = layer.neuron_names[j]
    below = p.a[index - 1] if index else p.a_in
    shared = problem.parameters()
    rows: list[Row] = []
    factors = (num(p.dE_da[index][j]), Op("·"), num(p.fprime[index][j]), Op("·"))
    targets = [(layer.weight_names[j][k], below[k], p.grad_W[index][j][k])
               for k in range(layer.n_in)]
    if layer.bias is not None and layer.train_bias:
        targets.append((layer.bias_names[j], 1.0, p.grad_b[index][j]))
    for param, value, grad in targets:
        lhs: Row = (Partial(E, sym(param)),)
        if len(shared.get(param, ())) > 1:
            lhs += (Word(f" [{name}]", rf"\big|_{{{name}}}", f"<mtext> [{name}]</mtext>"),)
        rows.append(lhs + (Op("="), Partial(E, out(name)), Op("·"), Partial(out(name), net(name)),
                           Op("·"), Partial(net(name), sym(param)), Op("="))
                    + factors + (num(value), Op("="), num(grad, True)))
    return rows


def _shared_rows(lang: str, doc: Document, problem: DenseProblem, d: DenseDerivation) -> None:
    p = d.first
    for param, positions in problem.parameters().items():
        if len(positions) < 2:
            continue
        values = [p.grad_W[i][j][k] if kind == "W" else p.grad_b[i][j]
                  for kind, i, j, k in positions]
        doc.para(t(lang, "shared_intro", name=param))
        doc.equations((Partial(E, sym(param)), Op("="))
                      + join([(num(v),) for v in values]) + (Op("="), num(d.grads[param], True)))


def _delta_row(problem: DenseProblem, d: DenseDerivation, index: int, j: int) -> Row:
    p = d.first
    name = problem.layers[index].neuron_names[j]
    return (Sym("δ", name), Op("="), Partial(E, net(name)), Op("="), Partial(E, out(name)),
            Op("·"), Partial(out(name), net(name)), Op("="), num(p.dE_da[index][j]), Op("·"),
            num(p.fprime[index][j]), Op("="), num(p.delta[index][j], True))


def _hidden_sum_row(problem: DenseProblem, d: DenseDerivation, index: int, k: int) -> Row:
    """∂E/∂out_h = Σ_j δ_j · w_jh = … (the paths through the layer above)."""
    p, above = d.first, problem.layers[index + 1]
    name = problem.layers[index].neuron_names[k]
    symbolic = join([(Sym("δ", above.neuron_names[j]), Op("·", True),
                      sym(above.weight_names[j][k])) for j in range(above.n_out)])
    numbers = join([(num(p.delta[index + 1][j]), Op("·", True), num(d.weights[index + 1][j][k]))
                    for j in range(above.n_out)])
    row: Row = (Partial(E, out(name)), Op("=")) + symbolic + (Op("="),) + numbers
    if above.n_out > 1:
        row += (Op("="),) + join([(num(p.paths[index][j][k]),) for j in range(above.n_out)])
    return row + (Op("="), num(p.dE_da[index][k], True))


def _update_rows(problem: DenseProblem, d: DenseDerivation) -> list[Row]:
    rows: list[Row] = []
    for param, positions in problem.parameters().items():
        kind, i, j, k = positions[0]
        old = d.weights[i][j][k] if kind == "W" else d.biases[i][j]  # type: ignore[index]
        s = sym(param)
        rows.append((Sym(s.base, s.sub, "+"), Op("="), s, Op("−"), ETA, Op("·", True),
                     Partial(E, s), Op("="), num(old), Op("−"), num(problem.lr), Op("·", True),
                     num(d.grads[param]), Op("="), num(d.updated[param], True)))
    return rows


def _matrix_section(lang: str, doc: Document, problem: DenseProblem, d: DenseDerivation) -> None:
    p, L = d.first, len(problem.layers)
    doc.heading(t(lang, "matrix"))
    doc.para(t(lang, "matrix_intro", L=L))
    doc.para(t(lang, "matrix_forward"))
    rows: list[Row] = []
    for index, layer in enumerate(problem.layers):
        l = index + 1
        below = p.a[index - 1] if index else p.a_in
        row: Row = (layer_sym("z", l), Op("="), layer_sym("W", l), layer_sym("a", l - 1))
        numbers: Row = (mat(d.weights[index]), mat(below))
        if layer.bias is not None:
            row += (Op("+"), layer_sym("b", l))
            numbers += (Op("+"), mat(layer.bias))
        rows.append(row + (Op("="),) + numbers + (Op("="), mat(p.z[index], True)))
        if layer.activation != "identity":
            rows.append((layer_sym("a", l), Op("="), Call(ACT_SYMBOL[layer.activation],
                                                          (layer_sym("z", l),)),
                         Op("="), mat(p.a[index], True)))
    doc.equations(*rows)
    f_last = problem.layers[-1].activation
    doc.para(t(lang, "bp1"))
    grad_sym: Row = (Partial(E, layer_sym("a", L)),)
    if problem.loss == "mse_half":
        grad_sym = (Group((layer_sym("a", L), Op("−"), Sym("y"))),)
    doc.equations((layer_sym("δ", L), Op("=")) + grad_sym +
                  (Op("⊙"), _fprime_call(f_last, L), Op("="), mat(p.dE_da[-1]), Op("⊙"),
                   mat(p.fprime[-1]), Op("="), mat(p.delta[-1], True)))
    if L > 1:
        doc.para(t(lang, "bp2"))
        rows = []
        for index in range(L - 2, -1, -1):
            l = index + 1
            wt = [list(col) for col in zip(*d.weights[index + 1])]
            rows.append((layer_sym("δ", l), Op("="),
                         Group((layer_sym("W", l + 1, "T"), layer_sym("δ", l + 1))), Op("⊙"),
                         _fprime_call(problem.layers[index].activation, l), Op("="), mat(wt),
                         mat(p.delta[index + 1]), Op("⊙"), mat(p.fprime[index]), Op("="),
                         mat(p.dE_da[index]), Op("⊙"), mat(p.fprime[index]), Op("="),
                         mat(p.delta[index], True)))
        doc.equations(*rows)
    with_bias = [i for i, layer in enumerate(problem.layers) if layer.bias is not None]
    if with_bias:
        doc.para(t(lang, "bp3"))
        doc.equations(*[(Partial(E, layer_sym("b", i + 1)), Op("="), layer_sym("δ", i + 1),
                         Op("="), mat(p.grad_b[i], True)) for i in with_bias])
        if not all(problem.layers[i].train_bias for i in with_bias):
            doc.para(t(lang, "bp3_fixed"), note=True)
    doc.para(t(lang, "bp4"))
    doc.equations(*[(Partial(E, layer_sym("W", i + 1)), Op("="), layer_sym("δ", i + 1),
                     layer_sym("a", i, "T"), Op("="), mat(p.delta[i]),
                     row_vec(p.a[i - 1] if i else p.a_in), Op("="), mat(p.grad_W[i], True))
                    for i in range(L)])
    doc.para(t(lang, "matrix_update"))
    rows = []
    for i, layer in enumerate(problem.layers):
        l = i + 1
        rows.append((Sym("W", "", f"({l})+"), Op("="), layer_sym("W", l), Op("−"), ETA,
                     Partial(E, layer_sym("W", l)), Op("="), mat(d.new_weights[i], True)))
        if layer.bias is not None and layer.train_bias:
            rows.append((Sym("b", "", f"({l})+"), Op("="), layer_sym("b", l), Op("−"), ETA,
                         Partial(E, layer_sym("b", l)), Op("="),
                         mat(d.new_biases[i], True)))  # type: ignore[arg-type]
    doc.equations(*rows)


def _fprime_call(act: str, l: int) -> Node:
    if act == "identity":
        return Num(1.0)
    return Call(ACT_SYMBOL[act], (layer_sym("z", l),), prime=True)


def narrate_dense(d: DenseDerivation, lang: str = "en", checked: int = 0) -> Document:
    """The whole explanation of a dense network as a :class:`Document`."""
    problem, p = d.problem, d.first
    shape = "-".join(str(n) for n in [problem.inputs.size] +
                     [layer.n_out for layer in problem.layers])
    name = problem.title or (t(lang, problem.builtin + "_title") if problem.builtin else shape)
    doc = Document(t(lang, "title", name=name), lang)
    acts = {layer.activation for layer in problem.layers}
    if len(acts) == 1:
        act_text = t(lang, "acts_" + acts.pop())
    else:
        act_text = "; ".join(t(lang, "acts_layer", layer=t(lang, "layer_word", n=i + 1),
                               act=t(lang, "acts_" + layer.activation))
                             for i, layer in enumerate(problem.layers))
    doc.heading(t(lang, "given"))
    doc.para(t(lang, "intro", shape=shape, acts=act_text, loss=t(lang, "loss_" + problem.loss),
               lr=f"{problem.lr:g}"))
    doc.para(t(lang, "inputs_targets"))
    doc.equations(_given_rows(problem.input_names, list(problem.inputs)),
                  _given_rows([f"target_{n}" for n in problem.layers[-1].neuron_names],
                              list(problem.targets)))
    for index, layer in enumerate(problem.layers):
        title = _layer_title(lang, problem, index)
        key = "weights_of" if layer.bias is not None else "weights_only_of"
        doc.para(t(lang, key, layer=title))
        rows = [_given_rows(names, list(r))
                for names, r in zip(layer.weight_names, d.weights[index])]
        if layer.bias is not None:
            seen: dict[str, float] = {}
            for name, value in zip(layer.bias_names, layer.bias):
                seen.setdefault(name, float(value))
            rows.append(_given_rows(list(seen), list(seen.values())))
        doc.equations(*rows)
    if any(layer.bias is not None and not layer.train_bias for layer in problem.layers):
        doc.para(t(lang, "bias_fixed"), note=True)
    if all(layer.bias is None for layer in problem.layers):
        doc.para(t(lang, "no_bias"), note=True)

    # 1. forward
    doc.heading(t(lang, "forward"))
    doc.para(t(lang, "forward_intro"))
    for index, layer in enumerate(problem.layers):
        doc.heading(_layer_title(lang, problem, index), 3)
        inputs = _input_syms(problem, index)
        below = p.a[index - 1] if index else p.a_in
        rows = []
        for j, name in enumerate(layer.neuron_names):
            symbolic: list[Row] = [(sym(layer.weight_names[j][k]), Op("·", True), inputs[k])
                        for k in range(layer.n_in)]
            numbers: list[Row] = [(num(d.weights[index][j][k]), Op("·", True), num(below[k]))
                       for k in range(layer.n_in)]
            if layer.bias is not None:
                symbolic.append((sym(layer.bias_names[j]), Op("·", True), Num(1.0)))
                numbers.append((num(layer.bias[j]), Op("·", True), Num(1.0)))
            rows.append((net(name), Op("=")) + join(symbolic) + (Op("="),) + join(numbers)
                        + (Op("="), num(p.z[index][j], True)))
            rows.append(_activation_rows(layer.activation, name, p.z[index][j], p.a[index][j]))
        doc.equations(*rows)

    # 2. error
    doc.heading(t(lang, "error"))
    outputs = problem.layers[-1].neuron_names
    if problem.loss == "cross_entropy":
        doc.para(t(lang, "softmax_intro"))
        denominator = join([(Call("exp", (out(n),)),) for n in outputs])
        doc.equations(*[(Sym("p", n), Op("="), Call("exp", (out(n),)), Op("/", True),
                         Group(denominator), Op("="), num(p.probs[k], True))
                        for k, n in enumerate(outputs)])
    doc.para(t(lang, "error_intro"))
    doc.equations(*_error_rows(problem, d))
    doc.para(t(lang, "total_error"))
    doc.equations((Sym("E", "total"), Op("=")) + join([(Sym("E", n),) for n in outputs]) +
                  (Op("="),) + join([(num(v),) for v in p.terms]) +
                  (Op("="), num(p.loss, True)))

    # 3. output layer
    doc.heading(t(lang, "backward_out"))
    doc.para(t(lang, "chain_intro"))
    doc.para(t(lang, "delta_intro"), "" if lang == "zh" else " ", t(lang, "dnet_dw"))
    last = len(problem.layers) - 1
    for j, name in enumerate(outputs):
        doc.para(t(lang, "neuron", name=name))
        doc.equations(_dE_dout_row(problem, d, j),
                      _fprime_row(lang, problem.layers[-1].activation, name, p.z[-1][j],
                                  p.a[-1][j], p.fprime[-1][j]),
                      _delta_row(problem, d, last, j), *_grad_rows(problem, d, last, j))

    # 4. hidden layers
    if last > 0:
        doc.heading(t(lang, "backward_hidden"))
        doc.para(t(lang, "hidden_intro"))
        for index in range(last - 1, -1, -1):
            layer = problem.layers[index]
            doc.heading(_layer_title(lang, problem, index), 3)
            for k, name in enumerate(layer.neuron_names):
                doc.para(t(lang, "neuron", name=name))
                doc.equations(_hidden_sum_row(problem, d, index, k),
                              _fprime_row(lang, layer.activation, name, p.z[index][k],
                                          p.a[index][k], p.fprime[index][k]),
                              _delta_row(problem, d, index, k), *_grad_rows(problem, d, index, k))
    _shared_rows(lang, doc, problem, d)

    # 5. update
    doc.heading(t(lang, "update"))
    doc.para(t(lang, "update_intro", lr=f"{problem.lr:g}"))
    doc.equations(*_update_rows(problem, d))

    # 6. matrix form
    _matrix_section(lang, doc, problem, d)

    # 7. training
    training_section(lang, doc, t(lang, "training", steps=steps_phrase(lang, problem.steps)),
                     d.errors,
                      [(out(n), v) for n, v in zip(outputs, d.final_outputs)],
                      list(problem.targets))
    if checked:
        doc.para(t(lang, "checked", count=checked), note=True)
    return doc


def shown_steps(n_steps: int, first: int = 3) -> list[int]:
    """The steps whose error is printed: 0, the first few, and the last."""
    return sorted(set(range(min(first, n_steps) + 1)) | {n_steps})


def training_section(lang: str, doc: Document, heading: str, errors: list[float],
                      finals: list[tuple[Sym, float]], targets: list[float]) -> None:
    doc.heading(heading)
    doc.para(t(lang, "training_intro"))
    doc.table([t(lang, "step"), t(lang, "total_error_col")],
              [[str(s), num(errors[s], s == len(errors) - 1)] for s in shown_steps(
                  len(errors) - 1)])
    if finals:
        doc.para(t(lang, "outputs_after", steps=steps_phrase(lang, len(errors) - 1),
                   targets=", ".join(f"{v:g}" for v in targets)))
        items: list[Node] = []
        for index, (s, value) in enumerate(finals):
            if index:
                items.append(COMMA)
            items += [s, Op("="), num(value, True)]
        doc.equations(tuple(items))

