"""RMSprop (Hinton's lecture 6e), with momentum and the centered variant."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..backends import xp
from ..tensor import Tensor
from . import _fused
from .adam import _average_square_, _lerp_
from .optimizer import Optimizer, _check_nonnegative, _count_step, _step_tensor


class RMSprop(Optimizer):
    r"""RMSprop, as ``torch.optim.RMSprop``.

    For each parameter :math:`\theta` with gradient :math:`g` (negated when
    ``maximize``):

    .. math::
        g &\leftarrow g + \lambda\theta \\
        v_t &\leftarrow \alpha v_{t-1} + (1-\alpha) g^2 \\
        \bar g_t &\leftarrow \alpha \bar g_{t-1} + (1-\alpha) g
            \text{ and } \tilde v_t \leftarrow v_t - \bar g_t^2 \text{ if centered, else }
            \tilde v_t \leftarrow v_t \\
        b_t &\leftarrow \mu b_{t-1} + g / (\sqrt{\tilde v_t} + \epsilon), \quad
            \theta \leftarrow \theta - \gamma b_t \quad \text{if } \mu > 0 \\
        \theta &\leftarrow \theta - \gamma\, g / (\sqrt{\tilde v_t} + \epsilon)
            \quad \text{otherwise}

    State per parameter: ``step``, ``square_avg`` (:math:`v`), and
    ``momentum_buffer`` (:math:`b`) when momentum > 0, ``grad_avg``
    (:math:`\bar g`) when centered; all start at zero.

    Args:
        params: parameters, or dicts defining parameter groups.
        lr: learning rate :math:`\gamma` (default ``1e-2``).
        alpha: smoothing constant :math:`\alpha` (default 0.99).
        eps: :math:`\epsilon` (default ``1e-8``).
        weight_decay: :math:`\lambda` (default 0).
        momentum: :math:`\mu` (default 0).
        centered: normalise by an estimate of the gradient's variance.
        maximize: maximise the objective instead of minimising it.

    Example::

        >>> import backprop as bp
        >>> w = bp.nn.Parameter(bp.tensor([1.0, -2.0]))
        >>> opt = bp.optim.RMSprop([w], lr=0.01)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> [round(x, 4) for x in w.detach().tolist()]
        [0.9, -1.9]
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        _check_nonnegative("learning rate", lr)
        _check_nonnegative("epsilon value", eps)
        _check_nonnegative("momentum value", momentum)
        _check_nonnegative("weight_decay value", weight_decay)
        _check_nonnegative("alpha value", alpha)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one update of every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        kernels = _fused.kernels()
        for group in self.param_groups:
            lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
            weight_decay, momentum = group["weight_decay"], group["momentum"]
            centered, maximize = group["centered"], group["maximize"]
            if kernels is not None:
                hyper = _fused.hyper(alpha, 1 - alpha, eps, lr, weight_decay, momentum)
                flags = kernels.flags(maximize=maximize, centered=centered,
                                      momentum=momentum > 0)
            for p in group["params"]:
                if p.grad is None:
                    continue
                param, g = p.data, p.grad.data
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["square_avg"] = Tensor._make(xp.zeros_like(param))
                    if momentum > 0:
                        state["momentum_buffer"] = Tensor._make(xp.zeros_like(param))
                    if centered:
                        state["grad_avg"] = Tensor._make(xp.zeros_like(param))
                _count_step(state)
                square_avg = state["square_avg"].data
                grad_avg = state["grad_avg"].data if centered else None
                buf = state["momentum_buffer"].data if momentum > 0 else None
                if kernels is not None and kernels.supports(param, g, square_avg, grad_avg, buf):
                    kernels.rmsprop(param, g, square_avg, grad_avg, buf, hyper, flags)
                else:
                    self._rmsprop_numpy(param, g, square_avg, grad_avg, buf, lr, alpha, eps,
                                        weight_decay, momentum, maximize)
                p._version += 1
        return loss

    def _rmsprop_numpy(self, param: Any, g: Any, square_avg: Any, grad_avg: Any, buf: Any,
                       lr: float, alpha: float, eps: float, weight_decay: float,
                       momentum: float, maximize: bool) -> None:
        """One parameter's update with in-place NumPy ufuncs, in PyTorch's order."""
        g = self._effective_grad(param, g, weight_decay, maximize)
        _average_square_(square_avg, g, alpha, self._scratch(param, 1))

        avg = self._scratch(param, 1)
        if grad_avg is not None:  # centered: sqrt(v - ga ga)
            _lerp_(grad_avg, g, 1 - alpha, avg)
            xp.multiply(grad_avg, grad_avg, out=avg)
            xp.sqrt(xp.subtract(square_avg, avg, out=avg), out=avg)
        else:
            xp.sqrt(square_avg, out=avg)
        xp.add(avg, eps, out=avg)

        update = self._scratch(param, 2)
        if buf is not None:  # b = mu b + g / avg; p - lr b
            xp.multiply(buf, momentum, out=buf)
            xp.add(buf, xp.divide(g, avg, out=update), out=buf)
            xp.subtract(param, xp.multiply(buf, lr, out=update), out=param)
        else:  # p + ((-lr) g) / avg
            xp.multiply(g, -lr, out=update)
            xp.add(param, xp.divide(update, avg, out=update), out=param)
