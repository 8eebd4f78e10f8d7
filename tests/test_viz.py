"""bp.viz: the DOT text is parsed back and compared with the graph PyTorch builds for the
same expression (op names and edges) and with PyTorch's values and gradients."""

import os
import re
import stat

import numpy as np
import pytest
import torch

import backprop as bp
from backprop import nn

NODE = re.compile(r'^\s*(\w+) \[label="((?:[^"\\]|\\.)*)"(.*)\];$')
EDGE = re.compile(r"^\s*(\w+) -> (\w+);$")


def parse(dot: str):
    """{node id: (label lines, attributes)} and the list of edges of a DOT text."""
    lines = dot.strip().splitlines()
    assert lines[0] == "digraph backprop {" and lines[-1] == "}"
    nodes, edges = {}, []
    for line in lines[1:-1]:
        if m := NODE.match(line):
            label = m.group(2).replace('\\"', '"').split("\\n")
            nodes[m.group(1)] = (label, m.group(3))
        elif m := EDGE.match(line):
            edges.append((m.group(1), m.group(2)))
        else:
            assert re.match(r"^\s*(rankdir=\w+|node \[.*\]|edge \[.*\]);$", line), line
    for a, b in edges:
        assert a in nodes and b in nodes
    return nodes, edges


def op_edges(nodes, edges):
    """(input op or leaf name, consuming op) pairs, tensors in between skipped."""
    producer = {b: a for a, b in edges if a.startswith("op")}  # tensor -> its op
    result = set()
    for a, b in edges:
        if a.startswith("t"):
            source = nodes[producer[a]][0][0] if a in producer else "leaf:" + nodes[a][0][0]
            result.add((source, nodes[b][0][0]))
    return result


def torch_op_edges(tensor, names):
    """The same pairs from PyTorch's grad_fn graph (MulBackward0 -> MulBackward)."""
    result, seen, stack = set(), set(), [tensor.grad_fn]
    while stack:
        fn = stack.pop()
        if fn in seen:
            continue
        seen.add(fn)
        consumer = re.sub(r"\d+$", "", type(fn).__name__)
        for nxt, _ in fn.next_functions:
            if nxt is None:
                continue
            if type(nxt).__name__ == "AccumulateGrad":
                result.add(("leaf:" + names[id(nxt.variable)], consumer))
            else:
                result.add((re.sub(r"\d+$", "", type(nxt).__name__), consumer))
                stack.append(nxt)
    return result


def build(lib, x0, w0, b0):
    x = lib.tensor(x0, requires_grad=True)
    w = lib.tensor(w0, requires_grad=True)
    b = lib.tensor(b0, requires_grad=True)
    h = (x * w + b).sigmoid()
    h.retain_grad()
    loss = (h.exp() - h * x).sum()
    loss.backward()
    return loss, {"x": x, "w": w, "b": b}, h


def test_graph_matches_pytorchs_graph_values_and_gradients():
    x0, w0, b0 = [0.5, -1.0, 2.0], [0.3, 0.8, -0.4], [0.1, 0.2, 0.3]
    loss, params, h = build(bp, x0, w0, b0)
    tloss, tparams, th = build(torch, x0, w0, b0)
    dot = bp.viz.graph(loss, params=params, precision=7)
    nodes, edges = parse(dot)
    names = {id(t): name for name, t in tparams.items()}
    assert op_edges(nodes, edges) == torch_op_edges(tloss, names)
    ops = sorted(label[0] for key, (label, _) in nodes.items() if key.startswith("op"))
    assert ops == sorted(["MulBackward", "AddBackward", "SigmoidBackward", "ExpBackward",
                          "MulBackward", "SubBackward", "SumBackward"])
    # every tensor appears once: 3 leaves + 7 op outputs (h once, though used twice)
    assert sum(key.startswith("t") for key in nodes) == 10
    assert len(set(edges)) == len(edges)
    # leaves: name, shape, PyTorch's values and gradients
    leaf_labels = {label[0]: label for key, (label, _) in nodes.items()
                   if key.startswith("t") and label[0] in params}
    for name, tensor in tparams.items():
        label = leaf_labels[name]
        assert label[1] == "shape (3,)"
        value = np.array(eval(label[2].removeprefix("value ")))
        grad = np.array(eval(label[3].removeprefix("grad ")))
        np.testing.assert_allclose(value, tensor.detach().numpy(), rtol=1e-6)
        np.testing.assert_allclose(grad, tensor.grad.numpy(), rtol=1e-6)
    # the retained intermediate gradient of h is shown too
    h_label = next(label for key, (label, _) in nodes.items()
                   if key.startswith("t") and any(line.startswith("grad") for line in label)
                   and label[0] not in params)
    np.testing.assert_allclose(np.array(eval(h_label[-1].removeprefix("grad "))),
                               th.grad.numpy(), rtol=1e-6)
    root = [label for label, attrs in nodes.values() if "peripheries=2" in attrs]
    assert root[0][:2] == ["output", "scalar"]
    np.testing.assert_allclose(float(root[0][2].removeprefix("value ")), tloss.item(),
                               rtol=1e-6)
    # the default shows 4 significant digits, unpadded
    nodes, _ = parse(bp.viz.graph(loss, params=params))
    x_label = next(label for label, _ in nodes.values() if label[0] == "x")
    assert x_label[2] == "value [0.5, -1, 2]"
    two_d = bp.tensor([[1.0, 2.5], [3e-7, 4.0]], requires_grad=True)
    label = parse(bp.viz.graph(two_d * 1))[0]["t1"][0]
    assert label[-2:] == ["value [[1, 2.5],", " [3e-07, 4]]"]


def test_switches_and_large_tensors():
    bp.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 8), nn.Tanh(), nn.Linear(8, 1))
    loss = model(bp.randn(5, 20)).pow(2).mean()
    dot = bp.viz.graph(loss, show_values=False, show_grads=False,
                       params=dict(model.named_parameters()), show_derivatives=True)
    nodes, edges = parse(dot)
    labels = {label[0]: label for label, _ in nodes.values()}
    assert labels["0.weight"] == ["0.weight", "shape (8, 20)"]
    assert labels["2.bias"] == ["2.bias", "shape (1,)"]
    assert labels["TanhBackward"][1] == "∂tanh x/∂x = 1 − tanh²x"
    assert not any(line.startswith(("value", "grad")) for label, _ in nodes.values()
                   for line in label)
    assert 'tooltip="∂tanh x/∂x = 1 − tanh²x"' in dot
    # 160 elements > max_elements: the weight's values are never printed
    loss.backward()
    nodes, _ = parse(bp.viz.graph(loss, params=dict(model.named_parameters())))
    labels = {label[0]: label for label, _ in nodes.values()}
    assert len(labels["0.weight"]) == 2 and labels["2.bias"][2].startswith("value [")
    assert labels["2.bias"][3].startswith("grad [")


def test_graph_survives_backward_and_rejects_non_tensors():
    x = bp.tensor(2.0, requires_grad=True)
    y = x * x
    y.backward()  # frees the saved arrays, keeps the structure
    nodes, edges = parse(bp.viz.graph(y))
    assert [label[0] for key, (label, _) in nodes.items() if key.startswith("op")] == [
        "MulBackward"]
    assert edges.count((next(k for k, (lab, _) in nodes.items() if lab[0] != "output"
                             and k.startswith("t")), "op0")) == 1
    with pytest.raises(TypeError, match="expects a Tensor"):
        bp.viz.graph(np.ones(2))
    nodes, edges = parse(bp.viz.graph(bp.tensor([1.0])))  # a leaf alone
    assert len(nodes) == 1 and not edges


def test_render_dot_file_and_clear_error_without_graphviz(tmp_path, monkeypatch):
    x = bp.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).sum()
    path = bp.viz.render(y, tmp_path / "g.dot")
    assert open(path).read() == bp.viz.graph(y)
    monkeypatch.setattr(bp.viz.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="apt install graphviz") as info:
        bp.viz.render(y, tmp_path / "g.svg")
    assert str(tmp_path / "g.svg.dot") in str(info.value)
    assert open(tmp_path / "g.svg.dot").read() == bp.viz.graph(y)


def test_render_calls_dot_with_the_format(tmp_path, monkeypatch):
    # A stand-in `dot` that records its arguments and its input: what Graphviz would get.
    fake = tmp_path / "dot"
    fake.write_text('#!/bin/sh\necho "$@" > "$0.args"\ncat > "$0.stdin"\n'
                    'printf "<svg/>" > "$3"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(bp.viz.shutil, "which", lambda name: str(fake))
    x = bp.tensor([1.0, 2.0], requires_grad=True)
    y = x.tanh().sum()
    out = bp.viz.render(y, tmp_path / "g.svg", show_values=False)
    assert open(out).read() == "<svg/>"
    assert open(str(fake) + ".args").read().split() == ["-Tsvg", "-o", str(tmp_path / "g.svg")]
    assert open(str(fake) + ".stdin").read() == bp.viz.graph(y, show_values=False)
    bp.viz.render(y, tmp_path / "g.png")
    assert open(str(fake) + ".args").read().split()[0] == "-Tpng"
    assert os.path.exists(tmp_path / "g.png")
