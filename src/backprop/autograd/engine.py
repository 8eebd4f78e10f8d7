"""Reverse-mode automatic differentiation: the chain rule, one node at a time.

For a scalar loss L and a node y = f(x₁, …, xₙ), the chain rule says

    ∂L/∂xᵢ = Σ over uses of xᵢ of  (∂L/∂y) · (∂y/∂xᵢ)

``backward`` visits the nodes from the loss back to the leaves so that a node
runs only when ∂L/∂y is complete (every consumer of y has added its share),
asks it for the vector-Jacobian products, and adds each into its input's
node, or into ``.grad`` when the input is a leaf. The order is found by
counting each node's consumers first (Kahn's algorithm): no recursion, so
graphs thousands of ops deep work.
"""

from __future__ import annotations

from typing import Any

from ..backends import xp
from . import anomaly
from .anomaly import anomaly_state
from .function import Function

Tensor: Any = None  # set by backprop.tensor
_base_release = Function.release
_new_tensor = object.__new__


def _count_consumers(root: Any) -> dict[Any, int]:
    """For every node reachable from ``root``: how many times its outputs are used."""
    consumers = {root: 0}
    stack = [root]
    while stack:
        for parent in stack.pop().parents:
            if parent is not None:
                upstream = parent._ctx
                if upstream is not None:
                    if upstream in consumers:
                        consumers[upstream] += 1
                    else:
                        consumers[upstream] = 1
                        stack.append(upstream)
    return consumers


def backward(root: Any, gradient: Any = None, retain_graph: bool = False) -> None:
    """Accumulate ∂root/∂leaf (times ``gradient``) into ``leaf.grad`` for every leaf."""
    if not root.requires_grad:
        raise RuntimeError(
            "backward(): this tensor does not require grad and has no grad_fn; "
            "create the inputs with requires_grad=True"
        )
    grad = _initial_gradient(root, gradient)
    node = root._ctx
    if node is None:
        accumulate_into_leaf(root, grad)
        return
    consumers = _count_consumers(node)
    pending: dict[Any, Any] = {node: _as_output_grads(node, root._output_index, grad)}
    pop_pending = pending.pop
    ready = [node]
    while ready:
        node = ready.pop()
        parents = node.parents
        grad_output = pop_pending(node, None)
        if grad_output is None:  # no gradient reached this node: only release its inputs
            _release_consumers(parents, consumers, ready)
            continue
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
        checks = node._version_check
        if checks is not None:  # forward saved tensors: still unmodified? (inlined)
            for index, saved, version in checks:
                if index < 0:
                    saved = saved()  # the output, held weakly
                    if saved is None:
                        continue
                if saved._version != version:
                    node.check_saved_versions()  # raises, naming the tensor
        if anomaly_state.enabled:  # NaN/Inf checks, and no forward checks inside backward
            input_grads = anomaly.checked_vjp(node, grad_output)
        else:
            input_grads = node.vjp(grad_output)
        if type(input_grads) is not tuple:
            input_grads = (input_grads,)
        elif len(input_grads) == 2:  # the common binary op, without a call
            first = input_grads[0]
            if first is input_grads[1] and first is not None:
                input_grads = (first, first.copy())
        elif len(input_grads) > 2 and _shared(input_grads):
            input_grads = _unshare(input_grads)
        if not retain_graph:
            if type(node).release is _base_release:  # Function.release, inlined
                state = node.__dict__
                state.clear()
                state["parents"] = parents  # kept so that a second walk can name this node
                state["freed"] = True
            else:
                node.release()
        # Hand each input its share of ∂L/∂y, and count this node off its inputs' consumers.
        for parent, input_grad in zip(parents, input_grads):
            if parent is None:
                continue
            upstream = parent._ctx
            if input_grad is not None:
                if input_grad.shape != parent.data.shape:
                    input_grad = _sum_to_shape(node, input_grad, parent.data.shape)
                if upstream is None:
                    accumulate_into_leaf(parent, input_grad)
                    continue
                if upstream.n_outputs == 1:
                    previous = pending.get(upstream)
                    pending[upstream] = (input_grad if previous is None
                                         else previous + input_grad)
                else:
                    _add_pending(pending, upstream, parent._output_index, input_grad)
            elif upstream is None:
                continue
            count = consumers[upstream] - 1
            consumers[upstream] = count
            if count == 0:
                ready.append(upstream)
        if len(input_grads) < len(parents):  # a backward that returned too few: still count
            _release_consumers(parents[len(input_grads):], consumers, ready)


def _sum_to_shape(node: Any, grad: Any, shape: tuple[int, ...]) -> Any:
    """A gradient of a broadcast shape summed back to its input's ``shape`` (as PyTorch's
    engine does for a custom Function's backward); any other shape is an error."""
    try:
        compatible = xp.broadcast_shapes(shape, grad.shape) == grad.shape
    except ValueError:
        compatible = False
    if not compatible:
        raise RuntimeError(
            f"{node.name} returned a gradient of shape {grad.shape} for an "
            f"input of shape {shape}"
        )
    extra = grad.ndim - len(shape)
    stretched = tuple(extra + i for i, n in enumerate(shape)
                      if n == 1 and grad.shape[extra + i] != 1)
    return grad.sum(axis=tuple(range(extra)) + stretched, keepdims=True).reshape(shape)


def _release_consumers(parents: Any, consumers: dict[Any, int], ready: list[Any]) -> None:
    """One consumer of each input node is done; a node with none left is ready to run."""
    for parent in parents:
        if parent is not None and parent._ctx is not None:
            upstream = parent._ctx
            consumers[upstream] -= 1
            if consumers[upstream] == 0:
                ready.append(upstream)


def _initial_gradient(root: Any, gradient: Any) -> Any:
    if gradient is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"backward(): grad can be implicitly created only for scalar outputs, but this "
                f"tensor has shape {tuple(root.data.shape)}; pass gradient= of that shape "
                "(e.g. loss.sum().backward() or y.backward(bp.ones_like(y)))"
            )
        data = root.data
        if data.ndim == 0:  # ∂L/∂L = 1 (np.array is the cheapest way to make it)
            return xp.array(1, dtype=data.dtype)
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
    """∂L/∂y accumulates over every consumer of y (the Σ of the chain rule)."""
    if node.n_outputs == 1:
        previous = pending.get(node)
        pending[node] = grad if previous is None else previous + grad
        return
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
    n = len(grads)
    if n == 2:
        return grads[0] is grads[1] and grads[0] is not None
    if n == 3:
        a, b, c = grads
        return (a is not None and (a is b or a is c)) or (b is not None and b is c)
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
