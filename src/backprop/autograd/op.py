"""Built-in ops: a :class:`Function` whose forward and backward work on arrays.

``Op.apply`` is the hot path of every forward pass: it unwraps the Tensors,
runs ``forward`` on their arrays, wraps the result in a new Tensor and, when an
input needs a gradient, links the node into the graph. The common shapes of a
call (one Tensor; two operands; three Tensors as in x Wᵀ + b) take branches
without argument lists, since on small arrays this bookkeeping costs as much as
the arithmetic.
"""

from __future__ import annotations

from typing import Any

from ..backends import xp
from . import anomaly as _anomaly
from .anomaly import anomaly_state
from .function import Function, _function_type, _next_seq, own_copy
from .grad_mode import grad_state
from .versions import saved_versions

Tensor: Any = None  # set by backprop.tensor at import time (avoids an import cycle)
_new_tensor = object.__new__  # makes a Tensor without running __init__ (ops fill its slots)
_ndarray = xp.ndarray


class Op(Function):
    """A built-in op: ``forward(ctx, *arrays, **params)`` and ``backward(ctx, grad)`` on arrays.

    Non-Tensor arguments (Python numbers, shapes) pass through as they are. ``apply``
    makes the node by calling the class with no arguments: an op defines no ``__init__``.
    """

    def vjp(self, grad_outputs: Any) -> Any:
        return self.backward(grad_outputs)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        backward = cls.__dict__.get("backward")
        if type(backward) is _function_type and "vjp" not in cls.__dict__:
            cls.vjp = backward  # the engine calls backward directly: one call less per node
        # Each op class gets its own copy of ``apply``'s code: CPython specialises
        # attribute access per code object, for one type at a time, so a shared copy
        # (one ctx type after another) would miss its caches on every call.
        own_copy(cls, "apply")

    @classmethod
    def apply(cls, *args: Any, **params: Any) -> Any:
        # The hot path of every forward: one pass over the arguments, one Tensor made
        # slot by slot (no __init__), version records only for ops that save inputs.
        ctx = cls()  # the node (an op defines no __init__: cheaper than object.__new__)
        n_args = len(args)
        if n_args == 1 and not params and isinstance(args[0], Tensor):  # unary: σ, Σ, eˣ ...
            x = args[0]
            requires = x.requires_grad
            parents: Any = args
            out = ctx.forward(x.data)
        elif n_args == 2 and not params:  # binary (a − b, 0.5 · x): no lists either
            a, b = args
            if isinstance(a, Tensor):
                if isinstance(b, Tensor):
                    pb = b if b.requires_grad else None
                    b = b.data
                else:
                    pb = None
                pa = a if a.requires_grad else None
                a = a.data
            elif isinstance(b, Tensor):
                pa = None
                pb = b if b.requires_grad else None
                b = b.data
            else:
                pa = pb = None
            requires = pa is not None or pb is not None
            parents = (pa, pb)
            try:
                out = ctx.forward(a, b)
            except ValueError as error:
                raise _broadcast_error(cls, error, (a, b)) from None
        elif (n_args == 3 and not params and isinstance(args[0], Tensor)
              and isinstance(args[1], Tensor) and isinstance(args[2], Tensor)):
            a, b, c = args  # x Wᵀ + b
            requires = a.requires_grad or b.requires_grad or c.requires_grad
            parents = (a if a.requires_grad else None, b if b.requires_grad else None,
                       c if c.requires_grad else None)
            try:
                out = ctx.forward(a.data, b.data, c.data)
            except ValueError as error:
                raise _broadcast_error(cls, error, (a.data, b.data, c.data)) from None
        else:  # any number of inputs, and parameters by keyword
            arrays = []
            parents = []
            requires = False
            for a in args:
                if isinstance(a, Tensor):
                    arrays.append(a.data)
                    if a.requires_grad:
                        requires = True
                        parents.append(a)
                        continue
                else:
                    arrays.append(a)
                parents.append(None)
            parents = tuple(parents)
            try:
                out = ctx.forward(*arrays, **params) if params else ctx.forward(*arrays)
            except ValueError as error:
                raise _broadcast_error(cls, error, arrays) from None
        if anomaly_state.enabled:
            _anomaly.on_forward(ctx, args, out)
        if type(out) is not _ndarray:
            if type(out) is tuple:
                return cls._link_outputs(ctx, args, out, requires and grad_state.enabled)
            out = xp.asarray(out)  # a ufunc on 0-d arrays returns a NumPy scalar: keep arrays
        result = _new_tensor(Tensor)
        result.data = out
        result.grad = None
        result._version = 0
        result._hooks = None
        result._output_index = 0
        if requires and grad_state.enabled:
            ctx.parents = parents  # ctx._link(parents), inlined
            ctx.seq = _next_seq()
            ctx.plain = True
            ctx.n_outputs = 1
            ctx.freed = False
            ctx.output_hooks = ctx._version_check = None
            result.requires_grad = True
            result._ctx = ctx
            rule = cls.saves_inputs
            if rule:
                ctx._version_check = saved_versions(rule, args, parents)
        else:
            result.requires_grad = False
            result._ctx = None
        return result

    @staticmethod
    def _link_outputs(ctx: Any, args: Any, outs: tuple[Any, ...], requires: bool) -> Any:
        """Several outputs (an LSTM layer's sequence and final states): one node, n outputs."""
        if not requires:
            return tuple(Tensor._make(o) for o in outs)
        ctx._link(tuple(a if isinstance(a, Tensor) and a.requires_grad else None for a in args),
                  len(outs))
        ctx._output_meta = [(o.shape, o.dtype) for o in outs]
        if ctx.saves_inputs:  # every tensor input, whatever the rule
            ctx._version_check = saved_versions(True, args, ctx.parents)
        return tuple(Tensor._make(o, ctx, index) for index, o in enumerate(outs))


def _broadcast_error(cls: Any, error: ValueError, arrays: Any) -> Exception:
    """NumPy's broadcasting failure, told as PyTorch tells it: the op and the shapes (any
    other ValueError is raised as it is)."""
    if "broadcast" not in str(error):
        return error
    shapes = [tuple(a.shape) for a in arrays if isinstance(a, _ndarray)]
    detail = ""
    if len(shapes) >= 2:
        a, b = shapes[0], shapes[1]
        for dim in range(-1, -min(len(a), len(b)) - 1, -1):
            if a[dim] != b[dim] and 1 not in (a[dim], b[dim]):
                detail = (f": the size of tensor a ({a[dim]}) must match the size of tensor b "
                          f"({b[dim]}) at non-singleton dimension {dim % max(len(a), len(b))}")
                break
    listed = " and ".join(str(s) for s in shapes)
    return RuntimeError(f"{cls.__name__}: shapes {listed} cannot be broadcast together{detail}")
