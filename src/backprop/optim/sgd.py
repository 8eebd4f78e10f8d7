"""Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..backends import xp
from ..tensor import Tensor
from . import _fused
from .optimizer import Optimizer, _check_nonnegative


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum), as ``torch.optim.SGD``.

    For each parameter :math:`\theta` with gradient :math:`g` (negated when
    ``maximize``), learning rate :math:`\gamma`, momentum :math:`\mu`, dampening
    :math:`\tau` and weight decay :math:`\lambda`:

    .. math::
        g &\leftarrow g + \lambda\theta \\
        b_t &\leftarrow g \text{ at the first step, else } \mu b_{t-1} + (1-\tau) g \\
        g &\leftarrow g + \mu b_t \text{ (Nesterov) or } b_t \text{ (classical momentum)} \\
        \theta &\leftarrow \theta - \gamma g

    (the momentum lines only when :math:`\mu \ne 0`). The buffer :math:`b` is
    ``state[p]["momentum_buffer"]``, in the parameter's dtype.

    Args:
        params: parameters, or dicts defining parameter groups.
        lr: learning rate :math:`\gamma` (default ``1e-3``).
        momentum: momentum factor :math:`\mu` (default 0).
        dampening: dampening :math:`\tau` of the momentum (default 0).
        weight_decay: L2 penalty :math:`\lambda` (default 0).
        nesterov: use Nesterov momentum (needs momentum > 0 and zero dampening).
        maximize: maximise the objective instead of minimising it.

    Example::

        >>> import backprop as bp
        >>> w = bp.nn.Parameter(bp.tensor([1.0, -2.0]))
        >>> opt = bp.optim.SGD([w], lr=0.1, momentum=0.9)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w.detach().tolist()
        [0.800000011920929, -1.600000023841858]
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        _check_nonnegative("learning rate", lr)
        _check_nonnegative("momentum value", momentum)
        _check_nonnegative("weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)
        self._forget_loop_checks()

    def _forget_loop_checks(self) -> None:
        self._fit_for_loop: dict[Any, Any] = {}  # see step() and _fits()
        self._fused_cache: Any = None  # the last _fused_args(...)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._forget_loop_checks()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one update of every parameter that has a gradient."""
        loss = None if closure is None else self._closure_loss(closure)
        kernels = _fused.kernels()
        update = None if kernels is None else kernels.sgd_any_shape
        fit = self._fit_for_loop  # {param: its array, once checked}
        for group in self.param_groups:
            lr = group["lr"]
            momentum = group["momentum"]
            dampening = group["dampening"]
            weight_decay = group["weight_decay"]
            nesterov = group["nesterov"]
            maximize = group["maximize"]
            state = self.state
            if update is not None:
                settings = (lr, momentum, dampening, weight_decay, nesterov, maximize)
                cached = self._fused_cache
                if cached is None or cached[0] != settings or cached[1] is not kernels:
                    cached = self._fused_cache = self._fused_args(kernels, settings)
                hyper, flags = cached[2], cached[3]
                # p -= lr g (no momentum, weight decay or maximize): the 3-argument loop
                plain = kernels.sgd_plain if flags == 0 and weight_decay == 0 else None
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                param, g = p.data, grad.data
                buf = None
                if momentum != 0:
                    entry = state[p].get("momentum_buffer")
                    if entry is not None:
                        buf = entry.data
                if (update is not None and (g.dtype is param.dtype or g.dtype == param.dtype)
                        and (fit.get(p) is param or _fits(kernels, fit, p, param, buf))):
                    if momentum != 0 and buf is None:  # the loop copies g into it
                        buf = xp.empty_like(param)
                        state[p]["momentum_buffer"] = Tensor._make(buf)
                        update(param, g, buf, hyper, flags | kernels.FIRST)
                    elif plain is not None:
                        plain(param, g, lr)
                    else:
                        update(param, g, param if buf is None else buf, hyper, flags)
                else:
                    self._sgd_numpy(p, param, g, buf, lr, momentum, dampening, weight_decay,
                                    nesterov, maximize)
                p._version += 1
        return loss

    @staticmethod
    def _fused_args(kernels: Any, settings: tuple[Any, ...]) -> tuple[Any, ...]:
        """``(settings, kernels, hyper, flags)``: the loop's hyper-parameter array and flag
        bits for a group's ``settings`` (lr, momentum, dampening, weight_decay, nesterov,
        maximize). ``step`` keeps the last one and makes it again only when a setting
        changed (a scheduler's new lr): one tiny array less per step."""
        lr, momentum, dampening, weight_decay, nesterov, maximize = settings
        hyper = _fused.hyper(lr, momentum, 1 - dampening, weight_decay)
        flags = kernels.flags(nesterov=nesterov, maximize=maximize, momentum=momentum != 0)
        return settings, kernels, hyper, flags

    def _sgd_numpy(self, p: Tensor, param: Any, g: Any, buf: Any, lr: float, momentum: float,
                   dampening: float, weight_decay: float, nesterov: bool,
                   maximize: bool) -> None:
        """One parameter's update with in-place NumPy ufuncs, in PyTorch's order."""
        g = self._effective_grad(param, g, weight_decay, maximize)
        if momentum != 0:
            if buf is None:
                buf = g.copy()
                self.state[p]["momentum_buffer"] = Tensor._make(buf)
            else:
                xp.multiply(buf, momentum, out=buf)
                if dampening == 0:
                    xp.add(buf, g, out=buf)
                else:
                    xp.add(buf, xp.multiply(g, 1 - dampening, out=self._scratch(param, 1)),
                           out=buf)
            if nesterov:
                step = xp.multiply(buf, momentum, out=self._scratch(param, 1))
                g = xp.add(g, step, out=step)
            else:
                g = buf
        xp.subtract(param, xp.multiply(g, lr, out=self._scratch(param, 1)), out=param)


def _fits(kernels: Any, fit: dict[Any, Any], p: Tensor, param: Any, buf: Any) -> bool:
    """Whether the compiled loop can update ``param`` in place (and ``buf``, if any);
    remembered per parameter while ``p.data`` stays the same array (a momentum buffer is
    made, or loaded by ``load_state_dict``, in its parameter's dtype and layout)."""
    if not kernels.supports(param, buf):
        return False
    fit[p] = param
    return True
