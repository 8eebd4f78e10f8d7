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

Tensor: Any = None  # set by backprop.tensor


def _count_consumers(root: Any) -> dict[Any, int]:
    """For every node reachable from ``root``: how many times its outputs are used."""
    consumers = {root: 0}
    stack = [root]
    while stack:
        node = stack.pop()
        for parent in node.parents:
            if parent is None or parent._ctx is None:
                continue
            upstream = parent._ctx
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
    ready = [node]
    while ready:
        node = ready.pop()
        grad_output = pending.pop(node, None)
        if grad_output is None:  # no gradient reached this node: only release its inputs
            _release_consumers(node.parents, consumers, ready)
            continue
        if node.freed:
            raise RuntimeError(
                f"{node.name}: trying to backward through the graph a second time; its saved "
                "values were freed after the first backward. Call backward(retain_graph=True) "
                "the first time to keep them."
            )
        if node.n_outputs > 1:
            grad_output = _fill_missing(node, grad_output)
        hooks = getattr(node, "output_hooks", None)
        if hooks:
            grad_output = _run_output_hooks(node, hooks, grad_output)
        if node._version_check is not None:  # forward saved tensors: still unmodified?
            node.check_saved_versions()
        if anomaly_state.enabled:  # NaN/Inf checks, and no forward checks inside backward
            input_grads = anomaly.checked_vjp(node, grad_output)
        else:
            input_grads = node.vjp(grad_output)
        if type(input_grads) is not tuple:
            input_grads = (input_grads,)
        if not retain_graph:
            node.release()
        parents = node.parents
        if len(input_grads) > 1:
            input_grads = _unshare(input_grads)
        for parent, input_grad in zip(parents, input_grads):
            if parent is None or input_grad is None:
                continue
            if input_grad.shape != parent.data.shape:
                input_grad = _sum_to_shape(node, input_grad, parent.data.shape)
            upstream = parent._ctx
            if upstream is None:
                accumulate_into_leaf(parent, input_grad)
            else:
                _add_pending(pending, upstream, parent._output_index, input_grad)
        _release_consumers(parents, consumers, ready)


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
        return xp.ones_like(root.data)
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
        leaf.grad = Tensor._make(grad)
    elif existing.data.flags.writeable:
        existing.data += grad
    else:
        existing.data = existing.data + grad
    post_hooks = getattr(leaf, "_post_hooks", None)
    if post_hooks:
        for hook in post_hooks:
            hook(leaf)
