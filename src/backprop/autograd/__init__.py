"""Reverse-mode automatic differentiation: the graph, the engine, custom Functions."""

from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import backward as _backward
from .function import Function, Op
from .gradcheck import GradcheckError, gradcheck
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = [
    "Function", "Op", "backward", "grad", "gradcheck", "GradcheckError", "no_grad",
    "enable_grad", "set_grad_enabled", "is_grad_enabled", "detect_anomaly",
    "set_detect_anomaly", "is_anomaly_enabled",
]


def backward(tensors, grad_tensors=None, retain_graph=False):  # type: ignore[no-untyped-def]
    """``torch.autograd.backward``: backpropagate from one tensor or several."""
    if not isinstance(tensors, list | tuple):
        tensors, grad_tensors = [tensors], [grad_tensors]
    grad_tensors = grad_tensors or [None] * len(tensors)
    for tensor, gradient in zip(tensors, grad_tensors):
        _backward(tensor, gradient, retain_graph=True if len(tensors) > 1 else retain_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=False):  # type: ignore[no-untyped-def]
    """``torch.autograd.grad``: the gradients of ``outputs`` with respect to ``inputs``,
    returned rather than accumulated (``.grad`` of the inputs is left as it was)."""
    single = not isinstance(inputs, list | tuple)
    inputs = [inputs] if single else list(inputs)
    saved = [t.grad for t in inputs]
    for t in inputs:
        t.grad = None
    hooks = []
    captured: dict[int, object] = {}
    try:
        for position, t in enumerate(inputs):
            if t.grad_fn is not None:
                def keep(g, position=position):  # type: ignore[no-untyped-def]
                    captured[position] = g.data.copy()
                hooks.append(t.register_hook(keep))
        backward(outputs, grad_outputs, retain_graph=retain_graph)
        from ..tensor import Tensor

        results = []
        for position, t in enumerate(inputs):
            if t.grad_fn is None:
                results.append(t.grad)
            else:
                value = captured.get(position)
                results.append(None if value is None else Tensor._make(value))
    finally:
        for handle in hooks:
            handle.remove()
        for t, g in zip(inputs, saved):
            t.grad = g
    return results[0] if single else tuple(results)
