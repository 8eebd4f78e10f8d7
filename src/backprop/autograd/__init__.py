"""Reverse-mode automatic differentiation: the graph, the engine, custom Functions."""

from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import backward as _backward
from .function import Function
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck
from .op import Op

__all__ = [
    "Function", "Op", "backward", "grad", "gradcheck", "GradcheckError", "no_grad",
    "enable_grad", "set_grad_enabled", "is_grad_enabled", "detect_anomaly",
    "set_detect_anomaly", "is_anomaly_enabled",
]


def backward(tensors, grad_tensors=None, retain_graph=False):  # type: ignore[no-untyped-def]
    """``torch.autograd.backward``: backpropagate from one tensor or several."""
    _backward_all(tensors, grad_tensors, retain_graph)


def _backward_all(tensors, grad_tensors, retain_graph, sink=None):  # type: ignore[no-untyped-def]
    if not isinstance(tensors, list | tuple):
        tensors, grad_tensors = [tensors], [grad_tensors]
    grad_tensors = grad_tensors or [None] * len(tensors)
    last = len(tensors) - 1
    for i, (tensor, gradient) in enumerate(zip(tensors, grad_tensors)):
        # the roots may share nodes: keep the graph until the last one has gone through it
        _backward(tensor, gradient, retain_graph if i == last else True, sink)


def grad(outputs, inputs, grad_outputs=None, retain_graph=False,  # type: ignore[no-untyped-def]
         create_graph=False, allow_unused=False):
    """``torch.autograd.grad``: the gradients of ``outputs`` with respect to ``inputs``,
    returned as a tuple rather than accumulated: no ``.grad`` anywhere in the graph changes."""
    if create_graph:
        raise NotImplementedError("autograd.grad: create_graph=True (double backward)")
    inputs = [inputs] if not isinstance(inputs, list | tuple) else list(inputs)
    captured: dict[int, object] = {}
    leaves = {id(t): position for position, t in enumerate(inputs) if t.grad_fn is None}

    def sink(leaf, g):  # type: ignore[no-untyped-def]
        """Instead of leaf.grad += g: keep g if the leaf is one of ``inputs``."""
        position = leaves.get(id(leaf))
        if position is not None:
            previous = captured.get(position)
            captured[position] = g.copy() if previous is None else previous + g

    hooks = []
    for position, t in enumerate(inputs):
        if t.grad_fn is not None:
            def keep(g, position=position):  # type: ignore[no-untyped-def]
                captured[position] = g.data.copy()
            hooks.append(t.register_hook(keep))
    try:
        _backward_all(outputs, grad_outputs, retain_graph, sink)
    finally:
        for handle in hooks:
            handle.remove()
    from ..tensor import Tensor

    results = []
    for position, t in enumerate(inputs):
        value = captured.get(position)
        if value is None and not allow_unused:
            raise RuntimeError(
                f"autograd.grad: input {position} (shape {tuple(t.shape)}) was not used to "
                "compute the outputs; pass allow_unused=True to get None for it"
            )
        results.append(None if value is None else Tensor._make(value))
    return tuple(results)
