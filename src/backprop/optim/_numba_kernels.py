"""Fused optimizer loops compiled by numba (imported only when numba is installed).

Each loop walks flat, contiguous arrays once. ``fma(a, b, c)`` is ``a * b + c``
rounded once, as PyTorch's CPU kernels compute ``c.add_(a, alpha=b)``; every
other operation rounds as NumPy does. No ``fastmath``: the compiler may not
reorder or fuse anything on its own.

Hyper-parameters arrive as one float64 array (few arguments keep numba's call
cheap) and are cast to the parameters' dtype first, as PyTorch casts a Python
number to a tensor's dtype; switches arrive as bits of one integer.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

if not hasattr(ir.IRBuilder, "fma"):  # llvmlite too old: the NumPy path is used instead
    raise ImportError("backprop's fused optimizer loops need llvmlite with IRBuilder.fma")

NESTEROV, MAXIMIZE, FIRST, MOMENTUM, AMSGRAD, DECOUPLED, CENTERED = 1, 2, 4, 8, 16, 32, 64


@intrinsic
def fma(typingctx: Any, a: Any, b: Any, c: Any) -> Any:
    """``a * b + c`` with a single rounding (``llvm.fma``), for three floats of one type."""
    if not (isinstance(a, types.Float) and a == b == c):
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.fma(*args)

    return a(a, b, c), codegen


@numba.njit(cache=True, nogil=True)
def sgd(param, grad, buf, hyper, flags):  # type: ignore[no-untyped-def]
    """SGD on flat arrays: ``g = ±grad + wd p; b = mu b + (1-tau) g; p -= lr (g + mu b or b)``.

    ``hyper`` = (lr, momentum, 1 - dampening, weight_decay).
    """
    cast = param.dtype.type
    neg_lr, momentum = -cast(hyper[0]), cast(hyper[1])
    one_minus_dampening, weight_decay = cast(hyper[2]), cast(hyper[3])
    maximize, nesterov = flags & MAXIMIZE, flags & NESTEROV
    first, use_momentum = flags & FIRST, flags & MOMENTUM
    for i in range(param.size):
        g = grad[i]
        if maximize:
            g = -g
        if weight_decay != 0:
            g = fma(param[i], weight_decay, g)  # grad.add(param, alpha=weight_decay)
        if use_momentum:
            if first:
                b = g  # the buffer starts as a copy of the gradient
            else:
                b = fma(g, one_minus_dampening, buf[i] * momentum)
            buf[i] = b
            if nesterov:
                g = fma(b, momentum, g)
            else:
                g = b
        param[i] = fma(g, neg_lr, param[i])  # param.add_(g, alpha=-lr)


@numba.njit(cache=True, nogil=True)
def sgd_any_shape(param, grad, buf, hyper, flags):  # type: ignore[no-untyped-def]
    """:func:`sgd` on arrays of any shape: ``param`` and ``buf`` C-contiguous, ``grad`` of
    the same shape in any layout (its flat copy is made only when it is not contiguous).
    Saves the caller two reshapes per parameter (the 2-2-2 benchmark's step is mostly such
    fixed costs)."""
    if grad.shape != param.shape or buf.shape != param.shape:
        raise ValueError("SGD: the gradient or momentum buffer has another shape than the "
                         "parameter")
    n = param.size
    sgd(param.reshape(n), np.ascontiguousarray(grad).reshape(n), buf.reshape(n), hyper, flags)


@numba.njit(cache=True, nogil=True)
def sgd_plain(param, grad, lr):  # type: ignore[no-untyped-def]
    """Plain SGD, ``p -= lr g`` (no momentum, weight decay or maximize), rounded as
    :func:`sgd` rounds it, on arrays of any shape (``param`` C-contiguous). Three arguments
    instead of five: the textbook step costs less to call."""
    if grad.shape != param.shape:
        raise ValueError("SGD: the gradient has another shape than the parameter")
    n = param.size
    flat, g = param.reshape(n), np.ascontiguousarray(grad).reshape(n)
    neg_lr = -param.dtype.type(lr)
    for i in range(n):
        flat[i] = fma(g[i], neg_lr, flat[i])  # param.add_(g, alpha=-lr)


@numba.njit(cache=True, nogil=True)
def adam(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, hyper, flags):  # type: ignore[no-untyped-def]
    """Adam on flat arrays (see ``Adam``), operation by operation as PyTorch rounds them.

    ``hyper`` = (1 - beta1, beta2, 1 - beta2, sqrt(1 - beta2^t), eps, -lr / (1 - beta1^t),
    weight_decay, 1 - lr * weight_decay).
    """
    cast = param.dtype.type
    weight = cast(hyper[0])
    lerp_small = abs(weight) < 0.5
    lerp_coeff = weight if lerp_small else weight - cast(1)
    beta2, one_minus_beta2 = cast(hyper[1]), cast(hyper[2])
    bias_correction2_sqrt, eps, neg_step_size = cast(hyper[3]), cast(hyper[4]), cast(hyper[5])
    weight_decay, decay_factor = cast(hyper[6]), cast(hyper[7])
    maximize, amsgrad, decoupled = flags & MAXIMIZE, flags & AMSGRAD, flags & DECOUPLED
    for i in range(param.size):
        g = grad[i]
        if maximize:
            g = -g
        p = param[i]
        if weight_decay != 0:
            if decoupled:
                p = p * decay_factor  # param.mul_(1 - lr * weight_decay)
            else:
                g = fma(p, weight_decay, g)  # grad.add(param, alpha=weight_decay)
        m = exp_avg[i]
        if lerp_small:  # exp_avg.lerp_(g, 1 - beta1)
            m = fma(lerp_coeff, g - m, m)
        else:
            m = fma(lerp_coeff, g - m, g)
        exp_avg[i] = m
        v = fma(one_minus_beta2 * g, g, exp_avg_sq[i] * beta2)  # mul_(b2).addcmul_(g, g, 1-b2)
        exp_avg_sq[i] = v
        if amsgrad:  # torch.maximum: NaN wins
            top = max_exp_avg_sq[i]
            if v != v or v > top:
                top = v
            max_exp_avg_sq[i] = top
            v = top
        denom = math.sqrt(v) / bias_correction2_sqrt + eps
        param[i] = p + (neg_step_size * m) / denom  # param.addcdiv_(m, denom, -step_size)


@numba.njit(cache=True, nogil=True)
def rmsprop(param, grad, square_avg, grad_avg, buf, hyper, flags):  # type: ignore[no-untyped-def]
    """RMSprop on flat arrays (see ``RMSprop``), operation by operation as PyTorch.

    ``hyper`` = (alpha, 1 - alpha, eps, lr, weight_decay, momentum).
    """
    cast = param.dtype.type
    alpha, one_minus_alpha, eps = cast(hyper[0]), cast(hyper[1]), cast(hyper[2])
    neg_lr, weight_decay, momentum = -cast(hyper[3]), cast(hyper[4]), cast(hyper[5])
    lerp_small = abs(one_minus_alpha) < 0.5  # grad_avg.lerp_(g, 1 - alpha)
    lerp_coeff = one_minus_alpha if lerp_small else one_minus_alpha - cast(1)
    maximize, centered, use_momentum = flags & MAXIMIZE, flags & CENTERED, flags & MOMENTUM
    for i in range(param.size):
        g = grad[i]
        if maximize:
            g = -g
        if weight_decay != 0:
            g = fma(param[i], weight_decay, g)
        v = fma(one_minus_alpha * g, g, square_avg[i] * alpha)  # mul_(a).addcmul_(g, g, 1-a)
        square_avg[i] = v
        if centered:
            ga = grad_avg[i]
            if lerp_small:
                ga = fma(lerp_coeff, g - ga, ga)
            else:
                ga = fma(lerp_coeff, g - ga, g)
            grad_avg[i] = ga
            avg = math.sqrt(fma(-ga, ga, v)) + eps  # v.addcmul(ga, ga, value=-1).sqrt_()
        else:
            avg = math.sqrt(v) + eps
        if use_momentum:
            b = buf[i] * momentum + g / avg  # buf.mul_(momentum).addcdiv_(g, avg)
            buf[i] = b
            param[i] = fma(b, neg_lr, param[i])
        else:
            param[i] = param[i] + (neg_lr * g) / avg  # param.addcdiv_(g, avg, value=-lr)


@numba.njit(cache=True, nogil=True)
def adagrad(param, grad, state_sum, hyper, flags):  # type: ignore[no-untyped-def]
    """Adagrad on flat arrays (see ``Adagrad``); ``hyper`` = (-clr, eps, weight_decay)."""
    cast = param.dtype.type
    neg_clr, eps, weight_decay = cast(hyper[0]), cast(hyper[1]), cast(hyper[2])
    maximize = flags & MAXIMIZE
    for i in range(param.size):
        g = grad[i]
        if maximize:
            g = -g
        if weight_decay != 0:
            g = fma(param[i], weight_decay, g)
        s = fma(g, g, state_sum[i])  # state_sum.addcmul_(g, g, value=1)
        state_sum[i] = s
        param[i] = param[i] + (neg_clr * g) / (math.sqrt(s) + eps)
