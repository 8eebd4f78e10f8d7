"""Nodes of the graph: every op is a ``Function`` whose instance is its own context.

An op is defined once, forward and backward side by side:

* ``forward(ctx, *inputs)`` computes the output and saves on ``ctx`` what the
  backward needs;
* ``backward(ctx, grad_output)`` returns the vector-Jacobian product
  ``grad_input_i = grad_output · ∂output/∂input_i`` for each input (``None``
  where an input needs no gradient);
* ``derivative`` is the same derivative as a short formula, for the explainer.

Built-in ops subclass :class:`~backprop.autograd.op.Op` and work on raw arrays (fast: no Tensor in
the inner loop). User ops subclass :class:`Function` and work on Tensors, as
in PyTorch (``ctx.save_for_backward``, ``ctx.saved_tensors``, ``Fn.apply``).
"""

from __future__ import annotations

import itertools
from typing import Any

from ..backends import xp
from . import anomaly as _anomaly
from . import engine as _engine
from .anomaly import anomaly_state
from .grad_mode import grad_state, no_grad

# Set by backprop.tensor at import time (avoids an import cycle).
Tensor: Any = None
_function_type = type(lambda: None)
_next_seq = itertools.count().__next__  # a node's sequence number: the engine runs newest first


def own_copy(cls: Any, name: str) -> None:
    """Give ``cls`` its own copy of the method ``name`` it inherits (same code, a new code
    object, so its own attribute caches), unless it defines one."""
    if name in cls.__dict__:
        return
    inherited = getattr(cls, name)
    is_classmethod = hasattr(inherited, "__self__")
    shared = inherited.__func__ if is_classmethod else inherited
    copy = _function_type(shared.__code__.replace(), shared.__globals__, shared.__name__,
                          shared.__defaults__, shared.__closure__)
    copy.__doc__, copy.__qualname__ = shared.__doc__, shared.__qualname__
    setattr(cls, name, classmethod(copy) if is_classmethod else copy)


class Function:
    """Base of every node. Subclass with static ``forward`` and ``backward`` (PyTorch's API)."""

    # What the engine reads of every node, in slots (fast to read), all set by ``apply``
    # when the output needs a gradient (``_link``); what an op saves goes in ``__dict__``.
    __slots__ = ("parents", "seq", "plain", "n_outputs", "freed", "output_hooks",
                 "_version_check", "__dict__")
    parents: tuple[Any, ...]  # the input Tensors (None for inputs that need no grad)
    seq: int  # when the node was made: the engine runs newest first
    plain: bool  # one output, no hooks on it, not freed: the engine's common case
    n_outputs: int
    freed: bool  # saved values released after a backward
    output_hooks: Any  # {output index: [hook]} once register_hook is called on an output
    _version_check: Any  # [(input index or -1 for the output, tensor, version)] or None

    derivative = ""  # the local derivative as a formula, e.g. "∂σ(x)/∂x = σ(x)(1 − σ(x))"

    # An op whose backward reads its input arrays (x·y, ln x, A@B) or its output array
    # (σ, tanh, eˣ) declares it: ``apply`` then records those tensors' versions and the
    # engine refuses to run backward if one was modified in place since (always on).
    # ``saves_inputs = "cross"``: a·b, A@B, x Wᵀ read input 0 only for input 1's gradient
    # and the other way round, so each is recorded only when the other needs a gradient.
    saves_inputs: bool | str = False
    saves_output = False

    def _link(self, parents: tuple[Any, ...], n_outputs: int = 1) -> None:
        """Make this node part of the graph (its slots' first values)."""
        self.parents = parents
        self.seq = _next_seq()
        self.plain = n_outputs == 1
        self.n_outputs = n_outputs
        self.freed = False
        self.output_hooks = None
        self._version_check = None

    @property
    def needs_input_grad(self) -> tuple[bool, ...]:
        """For each input, whether backward must return its gradient."""
        return tuple(p is not None for p in self.parents)

    @property
    def name(self) -> str:
        return type(self).__name__ + "Backward"

    def __repr__(self) -> str:
        return f"<{self.name}>"

    # --- the PyTorch custom-Function API (Tensor level) -----------------------------
    def save_for_backward(self, *tensors: Any) -> None:
        """Keep ``tensors`` for backward; an in-place change to one before then is an error."""
        self._saved = tensors
        self._saved_versions = tuple(
            t._version if isinstance(t, Tensor) else None for t in tensors
        )

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        if self.freed:
            raise RuntimeError(
                f"{self.name}: saved tensors were freed after the first backward; "
                "call backward(retain_graph=True) to backpropagate twice"
            )
        saved = getattr(self, "_saved", ())
        versions = getattr(self, "_saved_versions", ())
        for index, (tensor, version) in enumerate(zip(saved, versions)):
            if version is not None and tensor._version != version:
                raise RuntimeError(
                    f"{self.name}: saved tensor {index} (shape {tuple(tensor.shape)}) was "
                    f"modified in place after it was saved (version {version} -> "
                    f"{tensor._version}); backward needs its old value"
                )
        return saved

    def mark_non_differentiable(self, *tensors: Any) -> None:
        self._non_differentiable = {id(t) for t in tensors}

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("a Function subclass must define forward(ctx, *inputs)")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError("a Function subclass must define backward(ctx, *grad_outputs)")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward`` on Tensors without recording, then link the outputs to this node."""
        ctx = cls()
        requires = grad_state.enabled and any(
            isinstance(a, Tensor) and a.requires_grad for a in args
        )
        ctx._link(tuple(  # set now, so that forward can read ctx.needs_input_grad
            a if requires and isinstance(a, Tensor) and a.requires_grad else None for a in args
        ))
        with no_grad():
            outputs = cls.forward(ctx, *args, **kwargs)
        if anomaly_state.enabled:
            _anomaly.on_forward(ctx, args, outputs)
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        if requires:
            ctx.n_outputs = len(outs)
            ctx.plain = ctx.n_outputs == 1
            ctx._output_meta = [(o.shape, o.dtype) if isinstance(o, Tensor) else None
                                for o in outs]
            skip = getattr(ctx, "_non_differentiable", ())
            linked = []
            for index, out in enumerate(outs):
                if isinstance(out, Tensor) and id(out) not in skip:
                    out = Tensor._make(out.data, ctx, index)
                linked.append(out)
            outs = tuple(linked)
        return outs[0] if single else outs

    def vjp(self, grad_outputs: Any) -> tuple[Any, ...]:
        """The engine's entry: arrays in, arrays out (wraps the Tensor-level backward)."""
        grads = grad_outputs if self.n_outputs > 1 else (grad_outputs,)
        with no_grad():
            result = type(self).backward(self, *(Tensor(g) for g in grads))
        if not isinstance(result, tuple):
            result = (result,)
        if len(result) != len(self.parents):
            raise RuntimeError(
                f"{self.name}: backward returned {len(result)} gradients, "
                f"forward took {len(self.parents)} inputs"
            )
        grads = []
        for g, parent in zip(result, self.parents):
            if g is not None:
                g = g.data if isinstance(g, Tensor) else xp.asarray(g)
                if parent is not None and g.shape != parent.data.shape:
                    g = _sum_to_shape(self, g, parent.data.shape)
            grads.append(g)
        return tuple(grads)

    def check_saved_versions(self) -> None:
        """Raise if a tensor this op saved for backward was modified in place since."""
        for index, tensor, version in self._version_check:
            if index < 0:
                tensor = tensor()  # the output, held weakly
                if tensor is None:
                    continue
            if tensor._version != version:
                which = "its output" if index < 0 else f"its input {index}"
                site = _anomaly.creation_site(self)
                raise RuntimeError(
                    f"{self.name}: {which} (shape {tuple(tensor.shape)}, {tensor.dtype}) was "
                    f"modified by an in-place operation after the op saved it for backward: it "
                    f"is at version {tensor._version}, expected version {version}"
                    f"{f' (op created at {site})' if site else ''}. Backward needs the old "
                    "value: use an out-of-place op (y = y * 2, not y.mul_(2)) or .clone() "
                    "first. Run under bp.autograd.detect_anomaly() to see where the op was "
                    "created."
                )

    def release(self) -> None:
        """Free what forward saved (after backward, unless ``retain_graph``); ``parents``
        stay, so that a second walk can name this node."""
        self.__dict__.clear()
        self.freed = True
        self.plain = False

    def run_backward(self, grad_output: Any, retain_graph: bool, anomaly_on: bool) -> Any:
        """The engine's work at this node: the checks, the vector-Jacobian product, then
        the release of what forward saved. Returns the input gradients.

        Every node class runs its own copy of this code (see ``__init_subclass__``), so
        the attribute reads below stay specialised for one type."""
        if not self.plain:  # freed, several outputs, or hooks on an output
            grad_output = _engine.prepare(self, grad_output)
        checks = self._version_check
        if checks is not None:  # forward saved tensors: still unmodified?
            for index, saved, version in checks:
                if index < 0:
                    saved = saved()  # the output, held weakly
                    if saved is None:
                        continue
                if saved._version != version:
                    self.check_saved_versions()  # raises, naming the tensor
        if anomaly_on:  # NaN/Inf checks, and no forward checks inside backward
            input_grads = _anomaly.checked_vjp(self, grad_output)
        else:
            input_grads = self.vjp(grad_output)
        if not retain_graph:
            if type(self).release is _base_release:  # (inlined)
                self.__dict__.clear()
                self.freed = True
                self.plain = False
            else:
                self.release()
        return input_grads

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own_copy(cls, "run_backward")


_base_release = Function.release


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
