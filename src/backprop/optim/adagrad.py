"""Adagrad: per-coordinate learning rates from the sum of squared gradients (Duchi et al.)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..backends import xp
from ..tensor import Tensor
from . import _fused
from .optimizer import Optimizer, _check_nonnegative, _count_step, _step_tensor


class Adagrad(Optimizer):
    r"""Adagrad, as ``torch.optim.Adagrad``.

    For each parameter :math:`\theta` with gradient :math:`g` (negated when
    ``maximize``), at step :math:`t = 1, 2, \dots`:

    .. math::
        g &\leftarrow g + \lambda\theta \\
        \tilde\gamma &\leftarrow \gamma / (1 + (t-1)\eta) \\
        s_t &\leftarrow s_{t-1} + g^2 \\
        \theta &\leftarrow \theta - \tilde\gamma\, g / (\sqrt{s_t} + \epsilon)

    State per parameter: ``step`` and ``sum`` (:math:`s`, starting at
    ``initial_accumulator_value``), created with the optimizer.

    Args:
        params: parameters, or dicts defining parameter groups.
        lr: learning rate :math:`\gamma` (default ``1e-2``).
        lr_decay: :math:`\eta` (default 0).
        weight_decay: :math:`\lambda` (default 0).
        initial_accumulator_value: the starting value of :math:`s` (default 0).
        eps: :math:`\epsilon` (default ``1e-10``).
        maximize: maximise the objective instead of minimising it.

    Example::

        >>> import backprop as bp
        >>> w = bp.nn.Parameter(bp.tensor([1.0, -2.0]))
        >>> opt = bp.optim.Adagrad([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> [round(x, 4) for x in w.detach().tolist()]
        [0.9, -1.9]
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        _check_nonnegative("learning rate", lr)
        _check_nonnegative("lr_decay value", lr_decay)
        _check_nonnegative("weight_decay value", weight_decay)
        _check_nonnegative("initial_accumulator_value value", initial_accumulator_value)
        _check_nonnegative("epsilon value", eps)
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "maximize": maximize,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        state = self.state[p]
        state["step"] = _step_tensor()
        state["sum"] = Tensor._make(xp.full_like(p.data, group["initial_accumulator_value"]))
        return state

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one update of every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        kernels = _fused.kernels()
        for group in self.param_groups:
            lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
            weight_decay, maximize = group["weight_decay"], group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                param, g = p.data, p.grad.data
                state = self.state[p] or self._init_state(p, group)
                step = _count_step(state)
                clr = lr / (1 + (step - 1) * lr_decay)
                state_sum = state["sum"].data
                if kernels is not None and kernels.supports(param, g, state_sum):
                    kernels.adagrad(param, g, state_sum, _fused.hyper(-clr, eps, weight_decay),
                                    kernels.flags(maximize=maximize))
                else:
                    self._adagrad_numpy(param, g, state_sum, clr, eps, weight_decay, maximize)
                p._version += 1
        return loss

    def _adagrad_numpy(self, param: Any, g: Any, state_sum: Any, clr: float, eps: float,
                       weight_decay: float, maximize: bool) -> None:
        """One parameter's update with in-place NumPy ufuncs, in PyTorch's order."""
        g = self._effective_grad(param, g, weight_decay, maximize)
        work = xp.multiply(g, g, out=self._scratch(param, 1))  # s + (1 * g) g
        xp.add(state_sum, work, out=state_sum)
        std = xp.sqrt(state_sum, out=self._scratch(param, 1))
        xp.add(std, eps, out=std)
        update = xp.multiply(g, -clr, out=self._scratch(param, 2))  # p + ((-clr) g) / std
        xp.add(param, xp.divide(update, std, out=update), out=param)
