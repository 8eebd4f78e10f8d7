"""Element-wise ops. With broadcasting, the gradient of an operand is summed back to its shape.

Each op states its local derivative in ``derivative``; ``backward`` multiplies
it by the incoming gradient ``grad`` (the vector-Jacobian product of a
diagonal Jacobian is an element-wise product).

Where numba is installed, the backward of σ, tanh and x² is one compiled ufunc
(``pointwise_kernels``) instead of two or three NumPy calls; the NumPy path
stays, gives the same bits, and runs when BACKPROP_NUMBA is "0" or
``use_compiled_kernels`` is set False.
"""

from __future__ import annotations

import math
import os
from typing import Any

from ..autograd.op import Op
from ..backends import ARRAY_OUT, scalar_one, xp

use_compiled_kernels = os.environ.get("BACKPROP_NUMBA", "1") != "0"
_KERNEL_DTYPES = (xp.dtype(xp.float32), xp.dtype(xp.float64))
_kernels: dict[str, Any] = {}  # name → compiled ufunc, or False where numba is missing


def compiled_kernel(name: str, first: Any, second: Any) -> Any:
    """The compiled ufunc ``pointwise_kernels.name`` for these two operands, or None (use
    NumPy): both must be float32 or both float64, as the ufunc's loops are."""
    dtype = first.dtype
    if not use_compiled_kernels or second.dtype is not dtype or dtype not in _KERNEL_DTYPES:
        return None
    kernel = _kernels.get(name)
    if kernel is None:
        try:
            from . import pointwise_kernels
        except ImportError:  # numba not installed: the NumPy path does the same math
            kernel = False
        else:
            kernel = pointwise_kernels.ufunc(name)
        _kernels[name] = kernel
    return kernel or None


def unbroadcast(grad: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``grad`` over the axes that broadcasting added or stretched, back to ``shape``."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


class Add(Op):
    """a + b."""

    derivative = "∂(a+b)/∂a = 1,  ∂(a+b)/∂b = 1"

    def forward(ctx, a: Any, b: Any) -> Any:
        return a + b

    def backward(ctx, grad: Any) -> Any:
        pa, pb = ctx.parents
        return (
            None if pa is None else unbroadcast(grad, pa.data.shape),
            None if pb is None else unbroadcast(grad, pb.data.shape),
        )


class Sub(Op):
    """a − b."""

    derivative = "∂(a−b)/∂a = 1,  ∂(a−b)/∂b = −1"

    def forward(ctx, a: Any, b: Any) -> Any:
        return a - b

    def backward(ctx, grad: Any) -> Any:
        pa, pb = ctx.parents
        shape = grad.shape  # (unbroadcast only where broadcasting stretched an input)
        return (
            None if pa is None else (grad if pa.data.shape == shape
                                     else unbroadcast(grad, pa.data.shape)),
            None if pb is None else (-grad if pb.data.shape == shape
                                     else unbroadcast(-grad, pb.data.shape)),
        )


class Mul(Op):
    """a · b."""

    derivative = "∂(ab)/∂a = b,  ∂(ab)/∂b = a"
    saves_inputs = "cross"

    def forward(ctx, a: Any, b: Any) -> Any:
        ctx.a, ctx.b = a, b
        return xp.multiply(a, b, out=ARRAY_OUT)  # (a loss's 0.5 · s stays a 0-d array)

    def backward(ctx, grad: Any) -> Any:
        pa, pb = ctx.parents
        grad_a = None if pa is None else grad * ctx.b
        grad_b = None if pb is None else grad * ctx.a
        if grad_a is not None and grad_a.shape != pa.data.shape:
            grad_a = unbroadcast(grad_a, pa.data.shape)
        if grad_b is not None and grad_b.shape != pb.data.shape:
            grad_b = unbroadcast(grad_b, pb.data.shape)
        return grad_a, grad_b


class Div(Op):
    """a / b."""

    derivative = "∂(a/b)/∂a = 1/b,  ∂(a/b)/∂b = −a/b²"
    saves_inputs = True

    def forward(ctx, a: Any, b: Any) -> Any:
        ctx.a, ctx.b = a, b
        return a / b

    def backward(ctx, grad: Any) -> Any:
        pa, pb = ctx.parents
        grad_a = grad / ctx.b
        return (
            None if pa is None else unbroadcast(grad_a, pa.data.shape),
            None if pb is None else unbroadcast(-grad_a * ctx.a / ctx.b, pb.data.shape),
        )


class Neg(Op):
    """−x."""

    derivative = "∂(−x)/∂x = −1"

    def forward(ctx, x: Any) -> Any:
        return -x

    def backward(ctx, grad: Any) -> Any:
        return -grad


class PowScalar(Op):
    """xᶜ for a constant exponent c."""

    derivative = "∂xᶜ/∂x = c·xᶜ⁻¹"
    saves_inputs = True

    def forward(ctx, x: Any, exponent: float) -> Any:
        ctx.x, ctx.exponent = x, exponent
        if exponent == 2:
            return x * x
        return x**exponent

    def backward(ctx, grad: Any) -> Any:
        x, c = ctx.x, ctx.exponent
        if c == 2:
            kernel = compiled_kernel("square_backward", x, grad)
            return grad * (x + x) if kernel is None else kernel(x, grad)
        if c == 0:  # x⁰ = 1 is constant, even at x = 0 (where 0·0⁻¹ would be nan)
            return xp.zeros_like(grad)
        return grad * (c * x ** (c - 1))


class Pow(Op):
    """aᵇ with both operands variable (or a constant base: cˣ)."""

    derivative = "∂aᵇ/∂a = b·aᵇ⁻¹,  ∂aᵇ/∂b = aᵇ·ln a"
    saves_inputs = saves_output = True

    def forward(ctx, a: Any, b: Any) -> Any:
        ctx.a, ctx.b = a, b
        ctx.out = out = xp.power(a, b)
        return out

    def backward(ctx, grad: Any) -> Any:
        pa, pb = ctx.parents
        a, b = ctx.a, ctx.b
        grad_a = grad_b = None
        if pa is not None:
            grad_a = unbroadcast(grad * b * xp.power(a, b - 1), pa.data.shape)
        if pb is not None:
            with xp.errstate(divide="ignore", invalid="ignore"):
                log_a = xp.where(a > 0, xp.log(xp.where(a > 0, a, 1)), xp.nan)
                grad_b = grad * ctx.out * log_a
            grad_b = xp.where((ctx.out == 0) & (a == 0), 0, grad_b).astype(ctx.out.dtype)
            grad_b = unbroadcast(grad_b, pb.data.shape)
        return grad_a, grad_b


class Exp(Op):
    """eˣ."""

    derivative = "∂eˣ/∂x = eˣ"
    saves_output = True

    def forward(ctx, x: Any) -> Any:
        ctx.out = out = xp.exp(x)
        return out

    def backward(ctx, grad: Any) -> Any:
        return grad * ctx.out


class Log(Op):
    """ln x."""

    derivative = "∂ln x/∂x = 1/x"
    saves_inputs = True

    def forward(ctx, x: Any) -> Any:
        ctx.x = x
        return xp.log(x)

    def backward(ctx, grad: Any) -> Any:
        return grad / ctx.x


class Sqrt(Op):
    """√x."""

    derivative = "∂√x/∂x = 1/(2√x)"
    saves_output = True

    def forward(ctx, x: Any) -> Any:
        ctx.out = out = xp.sqrt(x)
        return out

    def backward(ctx, grad: Any) -> Any:
        return grad / (ctx.out + ctx.out)


class Abs(Op):
    """|x|."""

    derivative = "∂|x|/∂x = sign(x)"
    saves_inputs = True

    def forward(ctx, x: Any) -> Any:
        ctx.x = x
        return xp.abs(x)

    def backward(ctx, grad: Any) -> Any:
        return grad * xp.sign(ctx.x)


class Clamp(Op):
    """min(max(x, lo), hi); the gradient passes where lo ≤ x ≤ hi (PyTorch's convention)."""

    derivative = "∂clamp(x)/∂x = 1 if lo ≤ x ≤ hi else 0"
    saves_inputs = True

    def forward(ctx, x: Any, min: Any = None, max: Any = None) -> Any:  # noqa: A002
        ctx.x, ctx.lo, ctx.hi = x, min, max
        return xp.clip(x, min, max)

    def backward(ctx, grad: Any) -> Any:
        x = ctx.x
        keep = xp.ones(x.shape, dtype=bool)
        if ctx.lo is not None:
            keep &= x >= ctx.lo
        if ctx.hi is not None:
            keep &= x <= ctx.hi
        return grad * keep


class Tanh(Op):
    """tanh x."""

    derivative = "∂tanh x/∂x = 1 − tanh²x"
    saves_output = True

    def forward(ctx, x: Any) -> Any:
        ctx.out = out = xp.tanh(x)
        return out

    def backward(ctx, grad: Any) -> Any:
        out = ctx.out
        kernel = compiled_kernel("tanh_backward", out, grad)
        if kernel is not None:
            return kernel(out, grad)
        return grad * (scalar_one(out.dtype) - out * out)


class Sigmoid(Op):
    """σ(x) = 1 / (1 + e⁻ˣ)."""

    derivative = "∂σ(x)/∂x = σ(x)(1 − σ(x))"
    saves_output = True

    def forward(ctx, x: Any) -> Any:
        expit = _expit if _expit is not None else _load_expit()
        if expit and x.dtype in _EXPIT_DTYPES:  # SciPy's one-pass σ: no temporaries
            ctx.out = out = expit(x)
            return out
        ctx.out = out = sigmoid_numpy(x)
        return out

    def backward(ctx, grad: Any) -> Any:
        out = ctx.out
        kernel = compiled_kernel("sigmoid_backward", out, grad)
        if kernel is not None:
            return kernel(out, grad)
        local = scalar_one(out.dtype) - out  # σ(1 − σ), then times the gradient, in one buffer
        local *= out
        local *= grad
        return local


def sigmoid_numpy(x: Any) -> Any:
    """σ(x) with NumPy alone: 1 / (1 + e⁻ˣ) in three in-place passes."""
    # exp(-x) overflows to inf for x < -88 in float32; 1/(1+inf) = 0 is the right limit.
    with xp.errstate(over="ignore"):
        out = xp.exp(-x)
    out += 1
    xp.reciprocal(out, out=out)
    return out


_expit: Any = None  # scipy.special.expit once looked up; False where SciPy is missing
_EXPIT_DTYPES = (xp.dtype(xp.float32), xp.dtype(xp.float64))


def _load_expit() -> Any:
    """SciPy's σ ufunc (an optional fast path: SciPy comes with the data extra)."""
    global _expit
    try:
        from scipy.special import expit
    except ImportError:  # pragma: no cover - SciPy comes with the data extra
        expit = False
    _expit = expit
    return expit


class ReLU(Op):
    """max(x, 0)."""

    derivative = "∂relu(x)/∂x = 1 if x > 0 else 0"
    saves_output = True

    def forward(ctx, x: Any) -> Any:
        ctx.out = out = xp.maximum(x, 0)
        return out

    def backward(ctx, grad: Any) -> Any:
        if grad.flags.writeable:  # the engine hands each node its own gradient: reuse it
            grad *= ctx.out > 0
            return grad
        return grad * (ctx.out > 0)


class LeakyReLU(Op):
    """x if x > 0 else a·x."""

    derivative = "∂leaky_relu(x)/∂x = 1 if x > 0 else a"

    def forward(ctx, x: Any, negative_slope: float = 0.01) -> Any:
        ctx.positive, ctx.slope = x > 0, negative_slope
        return xp.where(ctx.positive, x, x * negative_slope)

    def backward(ctx, grad: Any) -> Any:
        return xp.where(ctx.positive, grad, grad * ctx.slope)


class ELU(Op):
    """x if x > 0 else α(eˣ − 1)."""

    derivative = "∂elu(x)/∂x = 1 if x > 0 else α·eˣ"

    def forward(ctx, x: Any, alpha: float = 1.0) -> Any:
        ctx.positive = positive = x > 0
        ctx.alpha = alpha
        ctx.exp_x = xp.exp(xp.minimum(x, 0))
        return xp.where(positive, x, alpha * (ctx.exp_x - 1))

    def backward(ctx, grad: Any) -> Any:
        return xp.where(ctx.positive, grad, grad * (ctx.alpha * ctx.exp_x))


def _erf(x: Any) -> Any:
    try:
        from scipy.special import erf
    except ImportError:  # pragma: no cover - SciPy comes with the data extra
        return xp.vectorize(math.erf, otypes=[x.dtype])(x)
    return erf(x).astype(x.dtype, copy=False)


class GELU(Op):
    """x·Φ(x), Φ the standard normal CDF.

    ``approximate='tanh'``: 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))).
    """

    derivative = "∂gelu(x)/∂x = Φ(x) + x·φ(x)"
    saves_inputs = True

    def forward(ctx, x: Any, approximate: str = "none") -> Any:
        ctx.x, ctx.approximate = x, approximate
        if approximate == "tanh":
            ctx.t = xp.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))
            return 0.5 * x * (1 + ctx.t)
        ctx.cdf = 0.5 * (1 + _erf(x / math.sqrt(2)))
        return x * ctx.cdf

    def backward(ctx, grad: Any) -> Any:
        x = ctx.x
        if ctx.approximate == "tanh":
            t = ctx.t
            inner = math.sqrt(2 / math.pi) * (1 + 3 * 0.044715 * x * x)
            return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * inner)
        pdf = xp.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return grad * (ctx.cdf + x * pdf)


class Where(Op):
    """where(c, a, b): a where c is true, else b."""

    derivative = "∂/∂a = 1 where c, ∂/∂b = 1 where not c"

    def forward(ctx, condition: Any, a: Any, b: Any) -> Any:
        ctx.condition = condition
        return xp.where(condition, a, b)

    def backward(ctx, grad: Any) -> Any:
        _, pa, pb = ctx.parents
        c = ctx.condition
        zero = xp.zeros((), grad.dtype)
        return (
            None,
            None if pa is None else unbroadcast(xp.where(c, grad, zero), pa.data.shape),
            None if pb is None else unbroadcast(xp.where(c, zero, grad), pb.data.shape),
        )


class Maximum(Op):
    """max(a, b) element-wise; ties split the gradient evenly (PyTorch's convention)."""

    derivative = "∂max(a,b)/∂a = 1 if a > b, ½ if a = b, else 0"
    saves_inputs = True

    def forward(ctx, a: Any, b: Any) -> Any:
        ctx.a, ctx.b = a, b
        return xp.maximum(a, b)

    def backward(ctx, grad: Any) -> Any:
        pa, pb = ctx.parents
        a, b = ctx.a, ctx.b
        share = xp.where(a > b, 1.0, xp.where(a == b, 0.5, 0.0)).astype(grad.dtype)
        return (
            None if pa is None else unbroadcast(grad * share, pa.data.shape),
            None if pb is None else unbroadcast(grad * (1 - share), pb.data.shape),
        )


class Minimum(Op):
    """min(a, b) element-wise; ties split the gradient evenly."""

    derivative = "∂min(a,b)/∂a = 1 if a < b, ½ if a = b, else 0"
    saves_inputs = True

    def forward(ctx, a: Any, b: Any) -> Any:
        ctx.a, ctx.b = a, b
        return xp.minimum(a, b)

    def backward(ctx, grad: Any) -> Any:
        pa, pb = ctx.parents
        a, b = ctx.a, ctx.b
        share = xp.where(a < b, 1.0, xp.where(a == b, 0.5, 0.0)).astype(grad.dtype)
        return (
            None if pa is None else unbroadcast(grad * share, pa.data.shape),
            None if pb is None else unbroadcast(grad * (1 - share), pb.data.shape),
        )
