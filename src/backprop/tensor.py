"""``Tensor``: an array, the gradient it receives, and the node that made it.

A tensor made by an op that had an input requiring a gradient remembers that
op (``grad_fn``); ``backward()`` walks those links in reverse (see
``autograd/engine.py``). Leaves (made by the user, ``grad_fn`` None) collect
gradients in ``.grad``.
"""

from __future__ import annotations

import builtins
import numbers
from typing import Any

from . import dtypes
from .autograd import engine, function, versions
from .autograd import op as autograd_op
from .autograd.grad_mode import grad_state
from .backends import constant, xp
from .ops import elementwise as ew
from .ops import matmul as mm
from .ops import movement as mv
from .ops import reduce as rd

# Tensor has methods named bool, int and float (casts); its annotations name the builtins so.
_bool = builtins.bool
_int = builtins.int
_float = builtins.float


def _as_array(data: Any, dtype: Any = None) -> Any:
    """``data`` as an array: Python floats become the default dtype, arrays keep theirs."""
    if isinstance(data, Tensor):
        data = data.data
    target = dtypes.to_dtype(dtype)
    if isinstance(data, xp.ndarray):
        return data if target is None or data.dtype == target else data.astype(target)
    array = xp.asarray(data)
    if target is not None:
        return array.astype(target, copy=False)
    if array.dtype.kind == "f" and not isinstance(data, xp.generic):
        return array.astype(dtypes.default_dtype(), copy=False)
    if array.dtype.kind in "iu" and not isinstance(data, xp.generic):
        return array.astype(xp.int64, copy=False)
    return array


def _operand(value: Any) -> Any:
    """The other operand of an arithmetic operator: Tensors and Python numbers pass,
    NumPy scalars become Python numbers (so float32 stays float32), arrays become Tensors."""
    if isinstance(value, Tensor) or type(value) is float or type(value) is int:
        return value
    if isinstance(value, xp.generic | numbers.Number):  # np.float64 is a float subclass too
        return value.item() if hasattr(value, "item") else value
    return Tensor(value)


def _pair(a: Tensor, b: Any, true_divide: bool = False) -> tuple[Any, Any]:
    """The operands of ``a ∘ b``, converted to the dtype PyTorch's type promotion gives.

    The fast path (same dtypes, or a floating tensor and a Python number) returns them
    as they are; anything else goes through :func:`_promote`."""
    kind = type(b)
    if kind is Tensor:
        dtype = a.data.dtype
        if dtype is b.data.dtype and (not true_divide or dtype.kind == "f"):
            return a, b
    elif kind is float or kind is int:
        if a.data.dtype.kind == "f":
            return a, b
    else:
        b = _operand(b)
    return _promote(a, b, true_divide)


def _arithmetic(op: Any, reflected: bool = False) -> Any:
    """The operator ``a ∘ b`` (``b ∘ a`` when ``reflected``) for ``op``: operands of one
    dtype, or a floating tensor and a Python number, go straight to the op; anything
    else through :func:`_pair` (PyTorch's type promotion). One frame per operator call."""
    apply = op.apply

    if reflected:  # other ∘ self, where other is not a Tensor
        def operator(self: Tensor, other: Any) -> Tensor:
            kind = type(other)
            if (kind is float or kind is int) and self.data.dtype.kind == "f":
                return apply(constant(other, self.data.dtype), self)
            x, y = _pair(self, other)
            return apply(y, x)
    else:
        def operator(self: Tensor, other: Any) -> Tensor:
            kind = type(other)
            if kind is Tensor:
                if other.data.dtype is self.data.dtype:
                    return apply(self, other)
            elif (kind is float or kind is int) and self.data.dtype.kind == "f":
                return apply(self, constant(other, self.data.dtype))
            return apply(*_pair(self, other))

    operator.__name__ = f"__{'r' if reflected else ''}{op.__name__.lower()}__"
    return operator


_pow_scalar = ew.PowScalar.apply
_sum_all = rd.Sum.apply
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _promote_types(first: Any, second: Any) -> Any:
    """PyTorch's ``promote_types``: the higher category (bool < integer < floating) wins
    as it is (float32 with int64 is float32); within one category, NumPy's rule."""
    a, b = _CATEGORY[first.kind], _CATEGORY[second.kind]
    if a != b:
        return first if a > b else second
    return xp.promote_types(first, second)


def _promote(a: Any, b: Any, true_divide: bool) -> tuple[Any, Any]:
    """Both operands in their result's dtype, by PyTorch's rule: dimensioned tensors
    decide, unless a 0-d tensor is of a higher category, unless a Python number is (an
    int tensor times 2.5 gives the default float dtype); true division of integers gives
    the default float dtype. Tensors are cast (with gradient), Python numbers stay."""
    target: Any = None
    for dimensioned in (True, False):
        group = None
        for x in (a, b):
            if isinstance(x, Tensor) and builtins.bool(x.data.ndim) == dimensioned:
                group = x.data.dtype if group is None else _promote_types(group, x.data.dtype)
        if group is not None and (target is None or
                                  _CATEGORY[group.kind] > _CATEGORY[target.kind]):
            target = group
    for x in (a, b):
        if not isinstance(x, Tensor):
            kind = ("b" if isinstance(x, builtins.bool) else "i" if isinstance(x, builtins.int)
                    else "f" if isinstance(x, builtins.float) else "c")
            if _CATEGORY[kind] > _CATEGORY[target.kind]:
                target = xp.dtype({"i": xp.int64, "f": dtypes.default_dtype(),
                                   "c": xp.complex64}[kind])
    if true_divide and target.kind in "biu":
        target = dtypes.default_dtype()
    return tuple(x.type(target) if isinstance(x, Tensor) and x.data.dtype != target else x
                 for x in (a, b))  # type: ignore[return-value]


class Tensor:
    """A multi-dimensional array that can record the operations applied to it."""

    __slots__ = (
        "data", "grad", "requires_grad", "_ctx", "_output_index", "_version", "_hooks",
        "_post_hooks", "_retains_grad", "__weakref__",
    )
    __array_priority__ = 1000  # ndarray + Tensor defers to Tensor.__radd__

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> None:
        self.data = _as_array(data, dtype)
        self.grad: Tensor | None = None
        self._ctx = None
        self._output_index = 0
        self._version = 0
        self._hooks: list[Any] | None = None
        # set, so that the engine's look-up finds it at once
        self._post_hooks: list[Any] | None = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, data: Any, ctx: Any = None, index: int = 0) -> Tensor:
        """Wrap an array without copying (the engine's and ops' constructor)."""
        t = Tensor.__new__(Tensor)
        t.data = data
        t.grad = None
        t._ctx = ctx
        t._output_index = index
        t._version = 0
        t._hooks = None
        t.requires_grad = ctx is not None
        return t

    # --- attributes -------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> Any:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def grad_fn(self) -> Any:
        return self._ctx

    @property
    def device(self) -> str:
        return "cpu"

    def size(self, dim: int | None = None) -> Any:
        return self.data.shape if dim is None else self.data.shape[dim]

    def dim(self) -> int:
        return self.data.ndim

    def numel(self) -> int:
        return int(self.data.size)

    def element_size(self) -> int:
        return int(self.data.itemsize)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __repr__(self) -> str:
        body = xp.array2string(self.data, separator=", ", prefix="tensor(")
        extra = ""
        if self.data.dtype != dtypes.default_dtype() and self.data.dtype != xp.int64:
            extra += f", dtype={self.data.dtype}"
        if self._ctx is not None:
            extra += f", grad_fn={self._ctx.name}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        """``np.asarray(t)`` shares t's memory; ``np.array(t)`` (copy=True) copies it."""
        if dtype is not None and self.data.dtype != dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    __hash__ = object.__hash__  # by identity (as torch.Tensor), in C: optimizer state looks
    # tensors up every step

    def __bool__(self) -> bool:
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.data)

    def __int__(self) -> int:
        return int(self.data)

    def __index__(self) -> int:
        return int(self.data)

    def __iter__(self) -> Any:
        return (self[i] for i in range(len(self)))

    # --- conversion -------------------------------------------------------------------
    def numpy(self) -> Any:
        if self.requires_grad:
            raise RuntimeError(
                "numpy(): this tensor requires grad; call tensor.detach().numpy() instead"
            )
        return self.data

    def item(self) -> Any:
        if self.data.size != 1:
            raise RuntimeError(
                f"item(): a tensor with {self.data.size} elements cannot be converted to a scalar"
            )
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def detach(self) -> Tensor:
        """The same data, cut from the graph."""
        return Tensor._make(self.data)

    def detach_(self) -> Tensor:
        self._ctx = None
        self.requires_grad = False
        return self

    def clone(self) -> Tensor:
        return ew.Add.apply(self, 0) if self.requires_grad else Tensor._make(self.data.copy())

    def contiguous(self) -> Tensor:
        return self

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """``to(dtype)``; a device argument ``"cpu"`` is accepted and changes nothing."""
        dtype = kwargs.get("dtype")
        for arg in args:
            if not isinstance(arg, str):
                dtype = arg
        return self if dtype is None else self.type(dtype)

    def type(self, dtype: Any) -> Tensor:
        target = dtypes.to_dtype(dtype)
        if self.data.dtype == target:
            return self
        if self.requires_grad:
            return _Cast.apply(self, target)
        return Tensor._make(self.data.astype(target))

    def float(self) -> Tensor:
        return self.type(xp.float32)

    def double(self) -> Tensor:
        return self.type(xp.float64)

    def long(self) -> Tensor:
        return self.type(xp.int64)

    def int(self) -> Tensor:
        return self.type(xp.int32)

    def bool(self) -> Tensor:
        return self.type(xp.bool_)

    def cpu(self) -> Tensor:
        return self

    # --- autograd ---------------------------------------------------------------------
    def requires_grad_(self, requires_grad: _bool = True) -> Tensor:
        if self._ctx is not None and not requires_grad:
            raise RuntimeError(
                "requires_grad_(False): only leaf tensors can stop requiring grad; use detach()"
            )
        if requires_grad and self.data.dtype.kind not in "fc":
            raise RuntimeError(
                f"only tensors of floating point dtype can require gradients, got {self.dtype}"
            )
        self.requires_grad = requires_grad
        return self

    def backward(self, gradient: Any = None, retain_graph: _bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (times ``gradient``)."""
        engine.backward(self, gradient, retain_graph)

    def register_hook(self, hook: Any) -> Any:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor
        replaces the gradient. Returns a handle with ``remove()``."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: this tensor does not require grad")
        if self._ctx is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        else:
            table = self._ctx.output_hooks
            if table is None:
                table = self._ctx.output_hooks = {}
                self._ctx.plain = False
            hooks = table.setdefault(self._output_index, [])
        hooks.append(hook)
        return _HookHandle(hooks, hook)

    def register_post_accumulate_grad_hook(self, hook: Any) -> Any:
        """Call ``hook(tensor)`` after a leaf's ``.grad`` has been accumulated."""
        if self._ctx is not None:
            raise RuntimeError("post-accumulate-grad hooks are for leaf tensors only")
        hooks = getattr(self, "_post_hooks", None)
        if hooks is None:
            hooks = self._post_hooks = []
        hooks.append(hook)
        return _HookHandle(hooks, hook)

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if self._ctx is None or getattr(self, "_retains_grad", False):
            return
        self._retains_grad = True
        import weakref

        ref = weakref.ref(self)

        def store(grad: Tensor) -> None:
            tensor = ref()
            if tensor is not None:
                copy = grad.data.copy()
                if tensor.grad is None:
                    tensor.grad = Tensor._make(copy)
                else:
                    tensor.grad.data = tensor.grad.data + copy

        self.register_hook(store)

    @property
    def retains_grad(self) -> _bool:
        return bool(getattr(self, "_retains_grad", False))

    def _bump_version(self) -> None:
        self._version += 1

    def _check_inplace(self) -> None:
        if self.requires_grad and grad_state.enabled and self._ctx is None:
            raise RuntimeError(
                "a leaf tensor that requires grad is being used in an in-place operation; "
                "wrap the update in `with bp.no_grad():`"
            )

    # --- arithmetic -------------------------------------------------------------------
    __add__ = _arithmetic(ew.Add)
    __radd__ = _arithmetic(ew.Add, reflected=True)
    __sub__ = _arithmetic(ew.Sub)
    __rsub__ = _arithmetic(ew.Sub, reflected=True)
    __mul__ = _arithmetic(ew.Mul)
    __rmul__ = _arithmetic(ew.Mul, reflected=True)

    def __truediv__(self, other: Any) -> Tensor:
        return ew.Div.apply(*_pair(self, other, True))

    def __rtruediv__(self, other: Any) -> Tensor:
        x, y = _pair(self, other, True)
        return ew.Div.apply(y, x)

    def __pow__(self, exponent: Any) -> Tensor:
        kind = type(exponent)
        if (kind is float or kind is int) and self.data.dtype.kind == "f":
            return _pow_scalar(self, exponent)  # x ** 2: no type promotion to work out
        x, exponent = _pair(self, exponent)
        if isinstance(exponent, Tensor):
            return ew.Pow.apply(x, exponent)
        return ew.PowScalar.apply(x, exponent)

    def __rpow__(self, base: Any) -> Tensor:
        x, base = _pair(self, base)
        if not isinstance(base, Tensor):
            base = Tensor._make(xp.asarray(base, dtype=x.data.dtype))
        return ew.Pow.apply(base, x)

    def __matmul__(self, other: Any) -> Tensor:
        return mm.MatMul.apply(self, _operand(other))

    def __rmatmul__(self, other: Any) -> Tensor:
        return mm.MatMul.apply(_operand(other), self)

    def __neg__(self) -> Tensor:
        return ew.Neg.apply(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return ew.Abs.apply(self)

    pow = __pow__
    matmul = __matmul__
    neg = __neg__

    def add(self, other: Any, alpha: _float = 1) -> Tensor:
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other: Any, alpha: _float = 1) -> Tensor:
        return self - (other if alpha == 1 else other * alpha)

    def mul(self, other: Any) -> Tensor:
        return self * other

    def div(self, other: Any) -> Tensor:
        return self / other

    # --- comparisons (no gradient) ------------------------------------------------------
    def _compare(self, other: Any, ufunc: Any) -> Tensor:
        other = other.data if isinstance(other, Tensor) else other
        return Tensor._make(ufunc(self.data, other))

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, xp.equal)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, xp.not_equal)

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, xp.less)

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, xp.less_equal)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, xp.greater)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, xp.greater_equal)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def __invert__(self) -> Tensor:
        return Tensor._make(~self.data)

    def __and__(self, other: Any) -> Tensor:
        return self._compare(other, xp.logical_and)

    def __or__(self, other: Any) -> Tensor:
        return self._compare(other, xp.logical_or)

    def equal(self, other: Any) -> _bool:
        return bool(xp.array_equal(self.data, _as_array(other)))

    def allclose(self, other: Any, rtol: _float = 1e-5, atol: _float = 1e-8) -> _bool:
        return bool(xp.allclose(self.data, _as_array(other), rtol=rtol, atol=atol))

    # --- element-wise functions ---------------------------------------------------------
    def exp(self) -> Tensor:
        return ew.Exp.apply(self)

    def log(self) -> Tensor:
        return ew.Log.apply(self)

    def sqrt(self) -> Tensor:
        return ew.Sqrt.apply(self)

    def abs(self) -> Tensor:
        return ew.Abs.apply(self)

    def tanh(self) -> Tensor:
        return ew.Tanh.apply(self)

    def sigmoid(self) -> Tensor:
        return ew.Sigmoid.apply(self)

    def relu(self) -> Tensor:
        return ew.ReLU.apply(self)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        if min is None and max is None:
            raise RuntimeError("clamp: at least one of min and max must be given")
        if isinstance(min, Tensor) or isinstance(max, Tensor):  # bounds that are tensors:
            from .functions import where  # x wins ties, as in PyTorch's clamp

            out = self if min is None else where(self < min, min, self)
            return out if max is None else where(out > max, max, out)
        return ew.Clamp.apply(self, min=min, max=max)

    clip = clamp

    def maximum(self, other: Any) -> Tensor:
        return ew.Maximum.apply(self, _operand(other))

    def minimum(self, other: Any) -> Tensor:
        return ew.Minimum.apply(self, _operand(other))

    def sign(self) -> Tensor:
        return Tensor._make(xp.sign(self.data))

    def square(self) -> Tensor:
        return ew.PowScalar.apply(self, 2)

    def rsqrt(self) -> Tensor:
        return ew.PowScalar.apply(self, -0.5)

    def reciprocal(self) -> Tensor:
        return ew.PowScalar.apply(self, -1)

    def softmax(self, dim: _int) -> Tensor:
        return rd.Softmax.apply(self, dim=dim)

    def log_softmax(self, dim: _int) -> Tensor:
        return rd.LogSoftmax.apply(self, dim=dim)

    # --- reductions -------------------------------------------------------------------
    def sum(self, dim: Any = None, keepdim: _bool = False, dtype: Any = None) -> Tensor:
        if dim is None and not keepdim and dtype is None:
            return _sum_all(self)  # loss.sum(): no keywords to pass on
        source = self if dtype is None else self.type(dtype)
        return rd.Sum.apply(source, dim=dim, keepdim=keepdim)

    def mean(self, dim: Any = None, keepdim: _bool = False) -> Tensor:
        if self.data.dtype.kind not in "fc":
            raise RuntimeError(f"mean(): the input must be floating point, got {self.dtype}")
        return rd.Mean.apply(self, dim=dim, keepdim=keepdim)

    def var(self, dim: Any = None, unbiased: _bool | None = None, keepdim: _bool = False,
            correction: _int | None = None) -> Tensor:
        """Σ(x − mean)² / (n − correction); ``correction=1`` (unbiased) by default."""
        if correction is None:
            correction = 0 if unbiased is False else 1
        dims = rd.normalize_dims(dim, self.ndim)
        count = 1
        for d in dims:
            count *= self.shape[d]
        centred = self - self.mean(dim=dims, keepdim=True)
        return (centred * centred).sum(dim=dims, keepdim=keepdim) / max(count - correction, 0)

    def std(self, dim: Any = None, unbiased: _bool | None = None, keepdim: _bool = False,
            correction: _int | None = None) -> Tensor:
        return self.var(dim, unbiased, keepdim, correction).sqrt()

    def _extreme(self, dim: Any, keepdim: _bool, largest: _bool) -> Any:
        if dim is None:
            return rd.Amax.apply(self, largest=largest)
        values = rd.MaxAlongDim.apply(self, dim=dim, keepdim=keepdim, largest=largest)
        along = self.data.argmax if largest else self.data.argmin
        indices = along(axis=dim, keepdims=keepdim) if self.ndim else xp.zeros((), xp.int64)
        from .return_types import MaxResult

        return MaxResult(values, Tensor._make(xp.asarray(indices, dtype=xp.int64)))

    def max(self, dim: Any = None, keepdim: _bool = False) -> Any:
        """The largest element, or ``(values, indices)`` along ``dim``."""
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        return self._extreme(dim, keepdim, largest=True)

    def min(self, dim: Any = None, keepdim: _bool = False) -> Any:
        """The smallest element, or ``(values, indices)`` along ``dim``."""
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        return self._extreme(dim, keepdim, largest=False)

    def amax(self, dim: Any = None, keepdim: _bool = False) -> Tensor:
        return rd.Amax.apply(self, dim=dim, keepdim=keepdim)

    def amin(self, dim: Any = None, keepdim: _bool = False) -> Tensor:
        return rd.Amax.apply(self, dim=dim, keepdim=keepdim, largest=False)

    def argmax(self, dim: _int | None = None, keepdim: _bool = False) -> Tensor:
        if dim is None:
            return Tensor._make(xp.asarray(self.data.argmax(), dtype=xp.int64))
        return Tensor._make(xp.asarray(self.data.argmax(axis=dim, keepdims=keepdim), xp.int64))

    def argmin(self, dim: _int | None = None, keepdim: _bool = False) -> Tensor:
        if dim is None:
            return Tensor._make(xp.asarray(self.data.argmin(), dtype=xp.int64))
        return Tensor._make(xp.asarray(self.data.argmin(axis=dim, keepdims=keepdim), xp.int64))

    def logsumexp(self, dim: Any, keepdim: _bool = False) -> Tensor:
        return rd.LogSumExp.apply(self, dim=dim, keepdim=keepdim)

    def norm(self, p: _float = 2) -> Tensor:
        if p == 2:
            return (self * self).sum().sqrt()
        return (self.abs() ** p).sum() ** (1.0 / p)

    # --- shape and movement -----------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], tuple | list):
            shape = tuple(shape[0])
        return mv.Reshape.apply(self, shape=shape)

    view = reshape

    def view_as(self, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    def flatten(self, start_dim: _int = 0, end_dim: _int = -1) -> Tensor:
        if self.ndim == 0:
            return self.reshape(1)
        start, end = start_dim % self.ndim, end_dim % self.ndim
        shape = self.shape[:start] + (-1,) + self.shape[end + 1:]
        return self.reshape(shape)

    def permute(self, *dims: Any) -> Tensor:
        if len(dims) == 1 and isinstance(dims[0], tuple | list):
            dims = tuple(dims[0])
        return mv.Permute.apply(self, dims=dims)

    def transpose(self, dim0: _int, dim1: _int) -> Tensor:
        (dim0,), (dim1,) = rd.normalize_dims(dim0, self.ndim), rd.normalize_dims(dim1, self.ndim)
        if self.ndim == 0:
            return self.reshape(())
        dims = list(range(self.ndim))
        dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
        return mv.Permute.apply(self, dims=tuple(dims))

    swapaxes = transpose

    @property
    def T(self) -> Tensor:
        return mv.Permute.apply(self, dims=tuple(range(self.ndim - 1, -1, -1)))

    def t(self) -> Tensor:
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, got {self.ndim}")
        return self.T

    def squeeze(self, dim: Any = None) -> Tensor:
        if dim is None:
            shape = tuple(s for s in self.shape if s != 1)
        else:
            dims = rd.normalize_dims(dim, self.ndim)
            shape = tuple(s for i, s in enumerate(self.shape) if not (i in dims and s == 1))
        return self.reshape(shape)

    def unsqueeze(self, dim: _int) -> Tensor:
        (dim,) = rd.normalize_dims(dim, self.ndim + 1)
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    def expand(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], tuple | list):
            shape = tuple(shape[0])
        return mv.Expand.apply(self, shape=shape)

    def expand_as(self, other: Tensor) -> Tensor:
        return self.expand(other.shape)

    def repeat(self, *sizes: Any) -> Tensor:
        if len(sizes) == 1 and isinstance(sizes[0], tuple | list):
            sizes = tuple(sizes[0])
        lead = len(sizes) - self.ndim
        x = self.reshape((1,) * lead + self.shape)
        pieces = [x]
        for axis, count in enumerate(sizes):
            if count != 1:
                pieces = [_cat_fn(pieces * count if len(pieces) == 1 else pieces, axis)]
        return pieces[0]

    def split(self, split_size: Any, dim: _int = 0) -> tuple[Tensor, ...]:
        length = self.shape[dim]
        if isinstance(split_size, int):
            sizes = [split_size] * (length // split_size)
            if length % split_size:
                sizes.append(length % split_size)
        else:
            sizes = list(split_size)
        pieces, start = [], 0
        for size in sizes:
            index = [slice(None)] * self.ndim
            index[dim] = slice(start, start + size)
            pieces.append(self[tuple(index)])
            start += size
        return tuple(pieces)

    def chunk(self, chunks: _int, dim: _int = 0) -> tuple[Tensor, ...]:
        size = -(-self.shape[dim] // chunks)
        return self.split(size, dim)

    def __getitem__(self, index: Any) -> Tensor:
        return mv.GetItem.apply(self, index=_index_data(index))

    def __setitem__(self, index: Any, value: Any) -> None:
        """``x[index] = value``; recorded in the graph when it must be (see ``_records``)."""
        index = _index_data(index)
        if self._records(value):
            self._rebase(mv.SetItem.apply(self._old(), value, index=index))
            return
        self.data[index] = value.data if isinstance(value, Tensor) else value
        self._written_in_place()

    # --- in-place updates ---------------------------------------------------------------
    # Without grad (initialisation, optimizers under no_grad) they write into the array.
    # When the value written requires grad (x[i] = v, x.copy_(v), x.add_(v), ...), the
    # update is recorded as in PyTorch: x is rebased onto the op's node, whose input is x's
    # old value, so gradients reach v and x's untouched part (building a tensor row by
    # row works). An update by a constant of an x that requires grad is written outside
    # the graph, as before: right for ops that used x earlier, not for ops after it (nodes
    # hold their input tensors, not the nodes that made them, so one x cannot be both).
    # ``x = x * 2`` and ``x *= 2`` (which rebinds x) are always right.
    def _records(self, other: Any = None) -> _bool:
        """Whether this in-place update must be recorded (and a leaf needing grad refuses)."""
        self._check_inplace()
        return grad_state.enabled and isinstance(other, Tensor) and other.requires_grad

    def _old(self) -> Tensor:
        """This tensor as it is now, as a separate node input."""
        old = Tensor._make(self.data, self._ctx, self._output_index)
        old.requires_grad = self.requires_grad
        return old

    def _rebase(self, new: Tensor) -> Tensor:
        new = self._same_shape_and_dtype(new)
        self.data, self._ctx, self._output_index = new.data, new._ctx, new._output_index
        self.requires_grad = new.requires_grad
        self._version += 1
        return self

    def _same_shape_and_dtype(self, new: Tensor) -> Tensor:
        if new.shape != self.shape:
            raise RuntimeError(
                f"in-place op: the result has shape {new.shape}, but the tensor updated in "
                f"place has shape {self.shape}"
            )
        return new if new.dtype == self.dtype else new.type(self.dtype)

    def _inplace(self, result: Any) -> Tensor:
        self._check_inplace()
        self.data[...] = result
        self._written_in_place()
        return self

    def _written_in_place(self) -> None:
        """This tensor's array was just changed in place: a new version; and if the op
        that made it saved that array for backward, the engine must now check it."""
        self._version += 1
        ctx = self._ctx
        if ctx is not None and ctx.saves_output and ctx.n_outputs == 1 and not ctx.freed:
            versions.watch_output(ctx, self)

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def fill_(self, value: Any) -> Tensor:
        if self._records(value):
            return self._rebase(mv.SetItem.apply(self._old(), value, index=Ellipsis))
        return self._inplace(value.data if isinstance(value, Tensor) else value)

    def copy_(self, source: Any) -> Tensor:
        if self._records(source):
            return self._rebase(mv.SetItem.apply(self._old(), source, index=Ellipsis))
        return self._inplace(_as_array(source))

    def add_(self, other: Any, alpha: _float = 1) -> Tensor:
        if self._records(other):
            return self._rebase(self._old() + (other if alpha == 1 else other * alpha))
        other = other.data if isinstance(other, Tensor) else other
        return self._inplace(self.data + (other if alpha == 1 else alpha * other))

    def sub_(self, other: Any, alpha: _float = 1) -> Tensor:
        if self._records(other):
            return self._rebase(self._old() - (other if alpha == 1 else other * alpha))
        other = other.data if isinstance(other, Tensor) else other
        return self._inplace(self.data - (other if alpha == 1 else alpha * other))

    def mul_(self, other: Any) -> Tensor:
        if self._records(other):
            return self._rebase(self._old() * other)
        other = other.data if isinstance(other, Tensor) else other
        return self._inplace(self.data * other)

    def div_(self, other: Any) -> Tensor:
        if self._records(other):
            return self._rebase(self._old() / other)
        other = other.data if isinstance(other, Tensor) else other
        return self._inplace(self.data / other)

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        return self._inplace(xp.clip(self.data, min, max))

    def uniform_(self, a: _float = 0.0, b: _float = 1.0, generator: Any = None) -> Tensor:
        from .random import rng

        return self.copy_(rng(generator).uniform(a, b, self.shape).astype(self.dtype))

    def normal_(self, mean: _float = 0.0, std: _float = 1.0, generator: Any = None) -> Tensor:
        from .random import rng

        return self.copy_(rng(generator).normal(mean, std, self.shape).astype(self.dtype))

    # Python's in-place operators: in the array when no graph is involved; otherwise
    # ``x = x + y`` (x rebound: right for every op, before and after), except that a
    # leaf that requires grad refuses, as in PyTorch.
    def _rebinds(self, other: Any) -> _bool:
        return (self._records(other) or self.requires_grad) and grad_state.enabled

    def __iadd__(self, other: Any) -> Tensor:
        if self._rebinds(other):
            return self._same_shape_and_dtype(self + other)
        return self.add_(other)

    def __isub__(self, other: Any) -> Tensor:
        if self._rebinds(other):
            return self._same_shape_and_dtype(self - other)
        return self.sub_(other)

    def __imul__(self, other: Any) -> Tensor:
        if self._rebinds(other):
            return self._same_shape_and_dtype(self * other)
        return self.mul_(other)

    def __itruediv__(self, other: Any) -> Tensor:
        if self._rebinds(other):
            return self._same_shape_and_dtype(self / other)
        return self.div_(other)


class _HookHandle:
    """Returned by ``register_hook``: ``remove()`` unregisters the hook."""

    def __init__(self, hooks: list[Any], hook: Any) -> None:
        self.hooks, self.hook = hooks, hook

    def remove(self) -> None:
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


class _Cast(autograd_op.Op):
    """x converted to another floating dtype; the gradient is converted back."""

    derivative = "∂cast(x)/∂x = 1"

    def forward(ctx, x: Any, dtype: Any) -> Any:
        ctx.dtype = x.dtype
        return x.astype(dtype)

    def backward(ctx, grad: Any) -> Any:
        return grad.astype(ctx.dtype)


def _index_data(index: Any) -> Any:
    """Tensors inside an index become arrays (integer-array and boolean-mask indexing)."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        return xp.asarray(index)
    return index


def _cat_fn(tensors: Any, dim: int) -> Tensor:
    return mv.Cat.apply(*tensors, dim=dim)


function.Tensor = autograd_op.Tensor = versions.Tensor = engine.Tensor = Tensor
