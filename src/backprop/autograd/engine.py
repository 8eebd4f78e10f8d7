"""Reverse-mode automatic differentiation: the chain rule, one node at a time.

For a scalar loss L and a node y = f(x₁, …, xₙ), the chain rule says

    ∂L/∂xᵢ = Σ over uses of xᵢ of  (∂L/∂y) · (∂y/∂xᵢ)

``backward`` visits the nodes from the loss back to the leaves so that a node
runs only when ∂L/∂y is complete (every consumer of y has added its share),
asks it for the vector-Jacobian products, and adds each into its input's
node, or into ``.grad`` when the input is a leaf. Every node carries the
sequence number it got when forward made it, and a consumer is always made
after what it consumes, so running the waiting nodes newest first (a heap, as
PyTorch's engine does) is such an order: no recursion, so graphs thousands of
ops deep work, and no pass over the graph before the walk.
"""

from __future__ import annotations

from heapq import heappop as _heappop
from heapq import heappush as _heappush
from typing import Any

from ..backends import scalar_one, xp
from .anomaly import anomaly_state

Tensor: Any = None  # set by backprop.tensor
_new_tensor = object.__new__
_SEVERAL = object()  # (marks a node whose gradients go to several inputs)


def backward(root: Any, gradient: Any = None, retain_graph: bool = False,
             sink: Any = None) -> None:
    """Accumulate ∂root/∂leaf (times ``gradient``) into ``leaf.grad`` for every leaf.

    ``sink(leaf, grad)``, when given, receives each leaf's gradient instead
    (``autograd.grad``)."""
    if not root.requires_grad:
        raise RuntimeError(
            "backward(): this tensor does not require grad and has no grad_fn; "
            "create the inputs with requires_grad=True"
        )
    grad = _initial_gradient(root, gradient)
    node = root._ctx
    to_leaf = accumulate_into_leaf if sink is None else sink
    if node is None:
        to_leaf(root, grad)
        return
    # Nodes run newest first (by the sequence number each got when it was made): every
    # consumer of a node was made after it, so ∂L/∂y is complete when the node runs. The
    # waiting nodes sit in a heap; a chain (one new node, none waiting) skips the heap.
    grad_output = (grad if node.n_outputs == 1
                   else _as_output_grads(node, root._output_index, grad))
    pending: dict[Any, Any] = {}  # ∂L/∂y of the nodes waiting to run
    pop_pending = pending.pop
    get_pending = pending.get
    waiting: list[Any] = []
    anomaly_on = anomaly_state.enabled
    while True:
        input_grads = node.run_backward(grad_output, retain_graph, anomaly_on)
        parents = node.parents
        if type(input_grads) is not tuple:  # one input
            parent = parents[0]
        elif len(input_grads) == 2:  # a binary op, often with one input needing a gradient
            first, second = input_grads
            if second is None or parents[1] is None:
                parent, input_grads = parents[0], first
            elif first is None or parents[0] is None:
                parent, input_grads = parents[1], second
            else:
                parent = _SEVERAL
                if first is second:  # x + y handing one array to both
                    input_grads = (first, first.copy())
        else:
            parent = _SEVERAL
            if len(input_grads) == 3:  # x Wᵀ + b: one array handed to two inputs?
                a, b, c = input_grads
                if (a is not None and (a is b or a is c)) or (b is not None and b is c):
                    input_grads = _unshare(input_grads)
            elif _shared(input_grads):
                input_grads = _unshare(input_grads)
        if parent is not _SEVERAL:  # one input receives a gradient: no loop
            if parent is None or input_grads is None:
                pairs: Any = ()
            else:
                upstream = parent._ctx
                if upstream is None:
                    to_leaf(parent, input_grads)
                    pairs = ()
                else:
                    previous = get_pending(upstream)
                    if previous is None and upstream.n_outputs == 1 and not waiting:
                        grad_output = input_grads  # a chain: run it next
                        node = upstream
                        continue
                    pairs = ((parent, input_grads),)
        else:
            pairs = zip(parents, input_grads)
        # Hand each input its share of ∂L/∂y (the Σ of the chain rule over its consumers).
        found = None  # the first node that this one hands a gradient to for the first time
        for parent, input_grad in pairs:
            if parent is None or input_grad is None:
                continue
            upstream = parent._ctx
            if upstream is None:
                to_leaf(parent, input_grad)
                continue
            previous = get_pending(upstream)
            if previous is None:
                if upstream.n_outputs == 1:
                    pending[upstream] = input_grad
                else:
                    _add_pending(pending, upstream, parent._output_index, input_grad)
                if found is None:
                    found = upstream
                else:
                    _heappush(waiting, (-upstream.seq, upstream))
            elif type(previous) is list:  # a node of several outputs
                _add_pending(pending, upstream, parent._output_index, input_grad)
            else:
                pending[upstream] = previous + input_grad
        if found is not None:
            if not waiting:
                node = found
                grad_output = pop_pending(node)
                continue
            _heappush(waiting, (-found.seq, found))
        if not waiting:
            return
        node = _heappop(waiting)[1]
        grad_output = pop_pending(node)


def prepare(node: Any, grad_output: Any) -> Any:
    """The rare cases before a node runs: a freed graph (an error), outputs that received
    no gradient (zeros), hooks on the node's outputs."""
    if node.freed:
        raise RuntimeError(
            f"{node.name}: trying to backward through the graph a second time; its saved "
            "values were freed after the first backward. Call backward(retain_graph=True) "
            "the first time to keep them."
        )
    if node.n_outputs > 1:
        grad_output = _fill_missing(node, grad_output)
    if node.output_hooks:
        grad_output = _run_output_hooks(node, node.output_hooks, grad_output)
    return grad_output


def _initial_gradient(root: Any, gradient: Any) -> Any:
    if gradient is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"backward(): grad can be implicitly created only for scalar outputs, but this "
                f"tensor has shape {tuple(root.data.shape)}; pass gradient= of that shape "
                "(e.g. loss.sum().backward() or y.backward(bp.ones_like(y)))"
            )
        data = root.data
        if data.ndim == 0:  # ∂L/∂L = 1: one read-only array per dtype (ops copy, not write)
            return scalar_one(data.dtype)
        return xp.ones(data.shape, data.dtype)
    data = gradient.data if isinstance(gradient, Tensor) else xp.asarray(gradient)
    if data.shape != root.data.shape:
        raise RuntimeError(
            f"backward(): gradient has shape {data.shape} but the tensor has shape "
            f"{root.data.shape}"
        )
    return xp.array(data, dtype=root.data.dtype)  # a private copy: ops may reuse it in place


def _as_output_grads(node: Any, index: int, grad: Any) -> Any:
    if node.n_outputs == 1:
        return grad
    grads: list[Any] = [None] * node.n_outputs
    grads[index] = grad
    return grads


def _add_pending(pending: dict[Any, Any], node: Any, index: int, grad: Any) -> None:
    """∂L/∂y accumulates over every consumer of y, output by output, for a node of several
    outputs."""
    grads = pending.get(node)
    if grads is None:
        grads = pending[node] = [None] * node.n_outputs
    grads[index] = grad if grads[index] is None else grads[index] + grad


def _fill_missing(node: Any, grads: list[Any]) -> tuple[Any, ...]:
    """An output that no consumer used contributes a zero gradient."""
    return tuple(
        xp.zeros(shape, dtype) if g is None else g
        for g, (shape, dtype) in zip(grads, node._output_meta)
    )


def _shared(grads: tuple[Any, ...]) -> bool:
    """Whether one array object appears twice among ``grads`` (x + x, or an op's shortcut)."""
    if len(grads) == 1:  # (a custom Function of one input returns a 1-tuple)
        return False
    arrays = [g for g in grads if g is not None]
    return len({id(g) for g in arrays}) != len(arrays)


def _unshare(grads: tuple[Any, ...]) -> tuple[Any, ...]:
    """An op may hand one array to two inputs (x + y); give each its own, since
    later ops may update gradients in place."""
    seen: list[int] = []
    result = list(grads)
    for i, g in enumerate(grads):
        if g is None:
            continue
        if id(g) in seen:
            result[i] = g.copy()
        else:
            seen.append(id(g))
    return tuple(result)


def _run_output_hooks(node: Any, hooks: dict[int, list[Any]], grad_output: Any) -> Any:
    """Hooks registered on non-leaf tensors see (and may replace) ∂L/∂y."""
    grads = list(grad_output) if node.n_outputs > 1 else [grad_output]
    for index, functions in hooks.items():
        for function in functions:
            replaced = function(_for_hook(grads[index]))
            if replaced is not None:
                grads[index] = replaced.data if isinstance(replaced, Tensor) else replaced
    return tuple(grads) if node.n_outputs > 1 else grads[0]


def _for_hook(grad: Any) -> Any:
    """The gradient as a hook sees it. Made read-only, so that no backward changes it in
    place afterwards (a hook may keep it); an op then writes into a fresh array instead."""
    if isinstance(grad, xp.ndarray):  # (an op may hand on a NumPy scalar)
        grad.flags.writeable = False
    return Tensor._make(grad)


def accumulate_into_leaf(leaf: Any, grad: Any) -> None:
    """``leaf.grad += grad`` (PyTorch's AccumulateGrad), after the leaf's hooks."""
    if leaf._hooks:
        for hook in leaf._hooks:
            replaced = hook(_for_hook(grad))
            if replaced is not None:
                grad = replaced.data if isinstance(replaced, Tensor) else replaced
    existing = leaf.grad
    if existing is None:
        if not grad.flags.writeable or grad.dtype != leaf.data.dtype:
            grad = xp.array(grad, dtype=leaf.data.dtype)  # own, writable, the leaf's dtype
        new = _new_tensor(Tensor)  # Tensor._make(grad), inlined: this runs once per leaf
        new.data = grad
        new.grad = new._ctx = new._hooks = None
        new._output_index = new._version = 0
        new.requires_grad = False
        leaf.grad = new
    elif existing.data.flags.writeable:
        existing.data += grad
    else:
        existing.data = existing.data + grad
    post_hooks = getattr(leaf, "_post_hooks", None)
    if post_hooks:
        for hook in post_hooks:
            hook(leaf)
