"""Fused optimizer loops compiled by numba (imported only when numba is installed).

Each loop walks flat, contiguous arrays once. ``fma(a, b, c)`` is ``a * b + c``
rounded once, as PyTorch's CPU kernels compute ``c.add_(a, alpha=b)``; every
other operation rounds as NumPy does. No ``fastmath``: the compiler may not
reorder or fuse anything on its own.
"""

from __future__ import annotations

import math
from typing import Any

import numba
from numba import types
from numba.extending import intrinsic


@intrinsic
def fma(typingctx: Any, a: Any, b: Any, c: Any) -> Any:
    """``a * b + c`` with a single rounding (``llvm.fma``), for three floats of one type."""
    if not (isinstance(a, types.Float) and a == b == c):
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.fma(*args)

    return a(a, b, c), codegen


@numba.njit(cache=True, nogil=True)
def sgd(param, grad, buf, lr, momentum, one_minus_dampening, weight_decay,  # type: ignore[no-untyped-def]
        nesterov, maximize, first, use_momentum):
    """SGD on flat arrays: ``g = ±grad + wd p; b = mu b + (1-tau) g; p -= lr (g + mu b or b)``."""
    neg_lr = -lr
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
def adam(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, lerp_coeff, lerp_small,  # type: ignore[no-untyped-def]
         beta2, one_minus_beta2, bias_correction2_sqrt, eps, neg_step_size, weight_decay,
         decay_factor, amsgrad, maximize, decoupled):
    """Adam on flat arrays (see ``Adam``), operation by operation as PyTorch rounds them."""
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
def rmsprop(param, grad, square_avg, grad_avg, buf, alpha, one_minus_alpha,  # type: ignore[no-untyped-def]
            lerp_coeff, lerp_small, eps, lr, weight_decay, centered, use_momentum, momentum,
            maximize):
    """RMSprop on flat arrays (see ``RMSprop``), operation by operation as PyTorch."""
    neg_lr = -lr
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
            if lerp_small:  # grad_avg.lerp_(g, 1 - alpha)
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
def adagrad(param, grad, state_sum, neg_clr, eps, weight_decay, maximize):  # type: ignore[no-untyped-def]
    """Adagrad on flat arrays (see ``Adagrad``), operation by operation as PyTorch."""
    for i in range(param.size):
        g = grad[i]
        if maximize:
            g = -g
        if weight_decay != 0:
            g = fma(param[i], weight_decay, g)
        s = fma(g, g, state_sum[i])  # state_sum.addcmul_(g, g, value=1)
        state_sum[i] = s
        param[i] = param[i] + (neg_clr * g) / (math.sqrt(s) + eps)
