"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, 2019)."""

from __future__ import annotations

from typing import Any

from .adam import Adam


class AdamW(Adam):
    r"""AdamW, as ``torch.optim.AdamW``: Adam whose weight decay shrinks the weights directly.

    .. math::
        \theta &\leftarrow \theta (1 - \gamma\lambda) \\
        m_t &\leftarrow \beta_1 m_{t-1} + (1-\beta_1) g, \quad
        v_t \leftarrow \beta_2 v_{t-1} + (1-\beta_2) g^2 \\
        \theta &\leftarrow \theta - \frac{\gamma}{1-\beta_1^t}\,
            \frac{m_t}{\sqrt{\hat v_t}/\sqrt{1-\beta_2^t} + \epsilon}

    so the decay does not pass through the moment estimates (:math:`\hat v` is
    :math:`v` or, with amsgrad, its running maximum). Arguments as in
    :class:`Adam`; ``weight_decay`` defaults to ``1e-2``.

    Example::

        >>> import backprop as bp
        >>> w = bp.nn.Parameter(bp.tensor([1.0, -2.0]))
        >>> opt = bp.optim.AdamW([w], lr=0.1, weight_decay=0.5)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> [round(x, 4) for x in w.detach().tolist()]
        [0.85, -1.8]
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
