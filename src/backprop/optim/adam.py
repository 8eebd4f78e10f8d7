"""Adam: adaptive moment estimation (Kingma & Ba, 2015), with AMSGrad and weight decay."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..backends import xp
from ..tensor import Tensor
from . import _fused
from .optimizer import Optimizer, _check_nonnegative, _count_step, _step_tensor


class Adam(Optimizer):
    r"""Adam, as ``torch.optim.Adam``.

    For each parameter :math:`\theta` with gradient :math:`g` (negated when
    ``maximize``), at step :math:`t = 1, 2, \dots`:

    .. math::
        g &\leftarrow g + \lambda\theta
            \quad(\text{or } \theta \leftarrow \theta(1 - \gamma\lambda)
            \text{ if decoupled\_weight\_decay, as AdamW}) \\
        m_t &\leftarrow \beta_1 m_{t-1} + (1-\beta_1) g \\
        v_t &\leftarrow \beta_2 v_{t-1} + (1-\beta_2) g^2 \\
        \hat v_t &\leftarrow \max(\hat v_{t-1}, v_t) \text{ with amsgrad, else } v_t \\
        \theta &\leftarrow \theta - \frac{\gamma}{1-\beta_1^t}\,
            \frac{m_t}{\sqrt{\hat v_t}/\sqrt{1-\beta_2^t} + \epsilon}

    State per parameter: ``step`` (a 0-d tensor), ``exp_avg`` (:math:`m`),
    ``exp_avg_sq`` (:math:`v`) and, with amsgrad, ``max_exp_avg_sq``
    (:math:`\hat v`), in the parameter's dtype. The arithmetic follows PyTorch's
    single-tensor loop operation by operation (:math:`m` by ``lerp``).

    Args:
        params: parameters, or dicts defining parameter groups.
        lr: learning rate :math:`\gamma` (default ``1e-3``).
        betas: :math:`(\beta_1, \beta_2)`, each in [0, 1) (default ``(0.9, 0.999)``).
        eps: :math:`\epsilon`, added to the denominator (default ``1e-8``).
        weight_decay: :math:`\lambda` (default 0).
        amsgrad: use the running maximum of :math:`v` (AMSGrad).
        maximize: maximise the objective instead of minimising it.
        decoupled_weight_decay: decay the weights directly (AdamW) instead of adding
            :math:`\lambda\theta` to the gradient.

    Example::

        >>> import backprop as bp
        >>> w = bp.nn.Parameter(bp.tensor([1.0, -2.0]))
        >>> opt = bp.optim.Adam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> [round(x, 4) for x in w.detach().tolist()]
        [0.9, -1.9]
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        _check_nonnegative("learning rate", lr)
        _check_nonnegative("epsilon value", eps)
        for index, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {index}: {beta}")
        _check_nonnegative("weight_decay value", weight_decay)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one update of every parameter that has a gradient."""
        loss = self._closure_loss(closure)
        kernels = _fused.kernels()
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            weight_decay, amsgrad = group["weight_decay"], group["amsgrad"]
            maximize, decoupled = group["maximize"], group["decoupled_weight_decay"]
            if kernels is not None:
                flags = kernels.flags(maximize=maximize, amsgrad=amsgrad, decoupled=decoupled)
                hyper_step, hyper = None, None
            for p in group["params"]:
                if p.grad is None:
                    continue
                param, g = p.data, p.grad.data
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _step_tensor()
                    state["exp_avg"] = Tensor._make(xp.zeros_like(param))
                    state["exp_avg_sq"] = Tensor._make(xp.zeros_like(param))
                    if amsgrad:
                        state["max_exp_avg_sq"] = Tensor._make(xp.zeros_like(param))
                step = _count_step(state)
                exp_avg, exp_avg_sq = state["exp_avg"].data, state["exp_avg_sq"].data
                max_sq = state["max_exp_avg_sq"].data if amsgrad else None
                if kernels is not None and kernels.supports(param, g, exp_avg, exp_avg_sq, max_sq):
                    if step != hyper_step:  # parameters of a group usually share their step
                        hyper_step = step
                        hyper = _fused.hyper(
                            1 - beta1, beta2, 1 - beta2, (1 - beta2**step) ** 0.5, eps,
                            -(lr / (1 - beta1**step)), weight_decay, 1 - lr * weight_decay)
                    kernels.adam(param, g, exp_avg, exp_avg_sq, max_sq, hyper, flags)
                else:
                    self._adam_numpy(param, g, exp_avg, exp_avg_sq, max_sq, step, lr, beta1,
                                     beta2, eps, weight_decay, amsgrad, maximize, decoupled)
                p._version += 1
        return loss

    def _adam_numpy(self, param: Any, g: Any, exp_avg: Any, exp_avg_sq: Any, max_sq: Any,
                    step: float, lr: float, beta1: float, beta2: float, eps: float,
                    weight_decay: float, amsgrad: bool, maximize: bool,
                    decoupled: bool) -> None:
        """One parameter's update with in-place NumPy ufuncs, in PyTorch's order."""
        g = self._effective_grad(param, g, 0 if decoupled else weight_decay, maximize)
        if decoupled and weight_decay != 0:
            xp.multiply(param, 1 - lr * weight_decay, out=param)
        _lerp_(exp_avg, g, 1 - beta1, self._scratch(param, 1))
        _average_square_(exp_avg_sq, g, beta2, self._scratch(param, 1))

        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2**0.5
        if amsgrad:
            xp.maximum(max_sq, exp_avg_sq, out=max_sq)
        denom = xp.sqrt(max_sq if amsgrad else exp_avg_sq, out=self._scratch(param, 1))
        xp.divide(denom, bias_correction2_sqrt, out=denom)
        xp.add(denom, eps, out=denom)
        update = xp.multiply(exp_avg, -step_size, out=self._scratch(param, 2))
        xp.add(param, xp.divide(update, denom, out=update), out=param)


def _average_square_(average: Any, g: Any, decay: float, work: Any) -> None:
    """``average = decay·average + ((1 − decay)·g)·g`` in place, in PyTorch's order
    (``average.mul_(decay).addcmul_(g, g, value=1 - decay)``)."""
    xp.multiply(average, decay, out=average)
    work = xp.multiply(g, 1 - decay, out=work)
    xp.add(average, xp.multiply(work, g, out=work), out=average)


def _lerp_(start: Any, end: Any, weight: float, work: Any) -> None:
    """``start += weight * (end - start)`` in place, as ``torch.lerp_`` rounds it.

    PyTorch uses ``start + w (end - start)`` for ``|w| < 0.5`` and
    ``end - (end - start)(1 - w)`` otherwise, with ``w`` in the tensors' dtype.
    """
    w = start.dtype.type(weight)
    diff = xp.subtract(end, start, out=work)
    if abs(w) < 0.5:
        xp.add(start, xp.multiply(diff, w, out=diff), out=start)
    else:
        xp.subtract(end, xp.multiply(diff, start.dtype.type(1) - w, out=diff), out=start)
