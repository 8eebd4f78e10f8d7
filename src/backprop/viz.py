"""The computation graph as a picture: Graphviz DOT text, SVG when ``dot`` is installed.

Every tensor the graph passes through is a box (its shape and, for small
tensors, its values and gradient); every op is an ellipse named as its
backward node (``MulBackward``), with its local derivative as a tooltip.
Arrows follow the forward pass, from the inputs to the output::

    x = bp.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    print(bp.viz.graph(y))                   # DOT source text
    bp.viz.render(y, "graph.svg")            # needs Graphviz's `dot` program

Intermediate gradients appear for tensors that called ``retain_grad()`` before
``backward``. No Python Graphviz package is needed: the DOT text is built here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from typing import Any

from .backends import xp
from .tensor import Tensor

__all__ = ["graph", "render"]

_LEAF_STYLE = 'shape=box, style="rounded,filled", fillcolor="#dbeafe"'
_TENSOR_STYLE = 'shape=box, style="rounded,filled", fillcolor="#f3f4f6"'
_ROOT_STYLE = 'shape=box, style="rounded,filled", fillcolor="#fde68a", peripheries=2'
_OP_STYLE = 'shape=ellipse, style=filled, fillcolor="#e5e7eb", fontname="Helvetica-Bold"'


def _quote(text: str) -> str:
    """A DOT double-quoted string (newlines become centred line breaks)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _format_array(array: Any, precision: int) -> str:
    """``[0.5374, -0.8]``: each number to ``precision`` significant digits, unpadded."""
    return xp.array2string(
        xp.asarray(array), separator=", ", max_line_width=60,
        formatter={"float_kind": lambda value: f"{value:.{precision}g}"},
    )


def _tensor_label(name: str | None, tensor: Tensor, show_values: bool, show_grads: bool,
                  max_elements: int, precision: int) -> str:
    lines = [name] if name else []
    lines.append(f"shape {tuple(tensor.shape)}" if tensor.ndim else "scalar")
    small = tensor.data.size <= max_elements
    if show_values and small:
        lines.append("value " + _format_array(tensor.data, precision))
    if show_grads and small and tensor.grad is not None:
        lines.append("grad " + _format_array(tensor.grad.data, precision))
    return "\n".join(lines)


def graph(tensor: Tensor, show_values: bool = True, show_grads: bool = True,
          params: Mapping[str, Tensor] | None = None, max_elements: int = 16,
          precision: int = 4, show_derivatives: bool = False, rankdir: str = "LR") -> str:
    """The graph that computed ``tensor``, as Graphviz DOT source text.

    Args:
        tensor: the output (usually the loss); its ``grad_fn`` graph is drawn.
        show_values: print the values of tensors with at most ``max_elements`` elements.
        show_grads: print ``.grad`` of such tensors (leaves after ``backward``; other
            tensors if they called ``retain_grad()``).
        params: names for leaf tensors, e.g. ``dict(model.named_parameters())``.
        max_elements: larger tensors show their shape only.
        precision: significant digits of the values and gradients shown.
        show_derivatives: write each op's local derivative under its name.
        rankdir: Graphviz layout direction ("LR": inputs left, output right; "TB").

    Returns:
        The DOT text: ``digraph backprop { ... }``; nodes ``t<N>`` are tensors,
        ``op<N>`` ops; ``t -> op`` is an op's input, ``op -> t`` its output.

    Example::

        >>> x = bp.tensor([2.0], requires_grad=True)
        >>> print(bp.viz.graph(x * 3, show_values=False).splitlines()[0])
        digraph backprop {
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"viz.graph expects a Tensor, got {type(tensor).__name__}")
    names = {id(t): name for name, t in (params or {}).items()}
    tensor_ids: dict[Any, str] = {}
    op_ids: dict[int, str] = {}
    lines = [
        "digraph backprop {",
        f"  rankdir={rankdir};",
        '  node [fontname="Helvetica", fontsize=11];',
        '  edge [color="#4b5563"];',
    ]
    edges: list[str] = []

    def tensor_key(t: Tensor) -> Any:
        # Several Tensor objects may stand for one op output: key them by (op, index).
        return ("out", id(t._ctx), t._output_index) if t._ctx is not None else ("leaf", id(t))

    def visit_tensor(t: Tensor, is_root: bool = False) -> tuple[str, bool]:
        key = tensor_key(t)
        if key in tensor_ids:
            return tensor_ids[key], False
        node_id = f"t{len(tensor_ids)}"
        tensor_ids[key] = node_id
        name = names.get(id(t))
        if name is None and is_root:
            name = "output"
        if name is None and t._ctx is not None and t._ctx.n_outputs > 1:
            name = f"output {t._output_index}"
        label = _tensor_label(name, t, show_values, show_grads, max_elements, precision)
        style = _ROOT_STYLE if is_root else (_LEAF_STYLE if t._ctx is None else _TENSOR_STYLE)
        lines.append(f"  {node_id} [label={_quote(label)}, {style}];")
        return node_id, True

    def visit_op(node: Any) -> tuple[str, bool]:
        if id(node) in op_ids:
            return op_ids[id(node)], False
        op_id = f"op{len(op_ids)}"
        op_ids[id(node)] = op_id
        label = node.name
        derivative = getattr(type(node), "derivative", "")
        if show_derivatives and derivative:
            label += "\n" + derivative
        tooltip = f", tooltip={_quote(derivative)}" if derivative else ""
        lines.append(f"  {op_id} [label={_quote(label)}, {_OP_STYLE}{tooltip}];")
        return op_id, True

    root_id, _ = visit_tensor(tensor, is_root=True)
    stack = [(tensor, root_id)]
    while stack:
        current, current_id = stack.pop()
        node = current._ctx
        if node is None:
            continue
        op_id, new_op = visit_op(node)
        edges.append(f"  {op_id} -> {current_id};")
        if not new_op:
            continue
        for parent in node.parents:
            if parent is None:
                continue
            parent_id, new_tensor = visit_tensor(parent)
            edges.append(f"  {parent_id} -> {op_id};")
            if new_tensor:
                stack.append((parent, parent_id))
    # Outputs of a visited op reached through another consumer add one edge each.
    lines.extend(dict.fromkeys(edges))
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(tensor: Tensor, path: str | os.PathLike[str], fmt: str | None = None,
           **options: Any) -> str:
    """Write the graph of ``tensor`` to ``path``: DOT text for ``.dot``/``.gv``, otherwise
    the picture Graphviz's ``dot`` draws (``.svg``, ``.png``, ``.pdf``; ``fmt`` overrides
    the extension). ``options`` go to :func:`graph`. Returns the path written.

    Raises:
        RuntimeError: the ``dot`` program is not installed (the DOT text is then written
            next to ``path`` as ``<path>.dot``, ready for any Graphviz viewer).
    """
    path = os.fspath(path)
    source = graph(tensor, **options)
    extension = os.path.splitext(path)[1].lstrip(".").lower()
    fmt = (fmt or extension or "svg").lower()
    if fmt in ("dot", "gv"):
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(source)
        return path
    program = shutil.which("dot")
    if program is None:
        fallback = path + ".dot"
        with open(fallback, "w", encoding="utf-8") as handle:
            handle.write(source)
        raise RuntimeError(
            f"viz.render: Graphviz's `dot` program is needed to draw {fmt.upper()} but is not "
            "installed (Debian/Ubuntu: apt install graphviz; macOS: brew install graphviz; "
            f"conda: conda install graphviz). The DOT source was written to {fallback}; "
            "bp.viz.graph(tensor) returns it as text."
        )
    result = subprocess.run(
        [program, f"-T{fmt}", "-o", path], input=source.encode("utf-8"),
        capture_output=True, check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"viz.render: `dot -T{fmt}` failed ({result.returncode}): "
            f"{result.stderr.decode(errors='replace').strip()}"
        )
    return path
