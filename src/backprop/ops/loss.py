"""Loss functions, fused so that forward and backward each take a few array passes.

``reduction``: 'mean' averages over elements (NLL and cross-entropy: over the
weights of the targets), 'sum' adds, 'none' keeps one loss per element.
"""

from __future__ import annotations

from typing import Any

from ..autograd.op import Op
from ..backends import xp

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction: str, where: str) -> None:
    """Raise a ValueError naming ``where`` (the loss) unless ``reduction`` is one we know."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"{where}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def check_label_smoothing(label_smoothing: float, where: str) -> None:
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{where}: label_smoothing must be in [0, 1], got {label_smoothing}")


def _reduce(loss: Any, reduction: str) -> Any:
    if reduction == "mean":
        return xp.asarray(loss.mean())
    if reduction == "sum":
        return xp.asarray(loss.sum())
    return loss


def _spread(grad: Any, reduction: str, count: Any) -> Any:
    """∂L/∂ℓ for each loss ℓ: the incoming gradient, divided by ``count`` after a 'mean'."""
    if reduction == "mean":
        return grad / count
    return grad


def _reduce_weighted(losses: Any, reduction: str, denominator: Any, shape: tuple[int, ...]) -> Any:
    """NLL/cross-entropy reduction: 'none' keeps ``shape``, 'mean' divides the sum by the
    targets' total weight (nan when every target is ignored, as PyTorch)."""
    if reduction == "none":
        return losses.reshape(shape)
    if reduction == "sum":
        return xp.asarray(losses.sum())
    with xp.errstate(invalid="ignore", divide="ignore"):
        return xp.asarray(losses.sum() / denominator)


def _input_and_target(ctx: Any, grad_input: Any) -> tuple[Any, Any]:
    """(∂L/∂x, ∂L/∂y = −∂L/∂x) for a loss of x − y, None where no gradient is needed."""
    p_input, p_target = ctx.parents
    return (grad_input if p_input is not None else None,
            -grad_input if p_target is not None else None)


def check_same_shape(name: str, input: Any, target: Any) -> None:  # noqa: A002
    if input.shape != target.shape:
        raise ValueError(
            f"{name}: input of shape {tuple(input.shape)} and target of shape "
            f"{tuple(target.shape)} must have the same shape"
        )


class MSELoss(Op):
    """ℓ = (x − y)² per element, then reduced."""

    derivative = "∂(x − y)²/∂x = 2(x − y)"

    def forward(ctx, input: Any, target: Any, reduction: str = "mean") -> Any:  # noqa: A002
        ctx.diff = diff = input - target
        ctx.reduction = reduction
        return _reduce(diff * diff, reduction)

    def backward(ctx, grad: Any) -> Any:
        diff = ctx.diff
        g = _spread(grad, ctx.reduction, diff.size)
        return _input_and_target(ctx, (g + g) * diff)


class L1Loss(Op):
    """ℓ = |x − y| per element, then reduced."""

    derivative = "∂|x − y|/∂x = sign(x − y)"

    def forward(ctx, input: Any, target: Any, reduction: str = "mean") -> Any:  # noqa: A002
        ctx.diff = diff = input - target
        ctx.reduction = reduction
        return _reduce(xp.abs(diff), reduction)

    def backward(ctx, grad: Any) -> Any:
        diff = ctx.diff
        return _input_and_target(ctx, _spread(grad, ctx.reduction, diff.size) * xp.sign(diff))


def _class_axis_last(x: Any) -> Any:
    """(N, C, d1, …) → (N·d1·…, C); (C,) → (1, C)."""
    if x.ndim == 1:
        return x[None, :]
    if x.ndim == 2:
        return x
    return xp.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _class_axis_back(flat: Any, shape: tuple[int, ...]) -> Any:
    if len(shape) == 1:
        return flat[0]
    if len(shape) == 2:
        return flat
    moved = (shape[0],) + shape[2:] + (shape[1],)
    return xp.moveaxis(flat.reshape(moved), -1, 1)


def _loss_shape(input: Any) -> tuple[int, ...]:  # noqa: A002
    """The shape of one loss per sample: (N, d1, …) for input (N, C, d1, …); () for (C,)."""
    return input.shape[:1] + input.shape[2:] if input.ndim > 1 else ()


def _check_targets(name: str, input: Any, target: Any) -> None:  # noqa: A002
    expected = _loss_shape(input)
    if target.shape != expected:
        raise ValueError(
            f"{name}: input of shape {tuple(input.shape)} needs class-index targets of shape "
            f"{tuple(expected)}, got {tuple(target.shape)}"
        )
    if target.dtype.kind not in "iu":
        raise TypeError(f"{name}: class-index targets must be integers (int64), got {target.dtype}")


def _class_indices(name: str, target: Any, classes: int, ignore_index: int) -> tuple[Any, Any]:
    """(safe, keep): the flat targets with ignored ones set to class 0, and which are kept.

    Raises an IndexError naming ``name`` for a kept target outside [0, classes).
    """
    labels = target.reshape(-1)
    keep = labels != ignore_index
    safe = xp.where(keep, labels, 0)
    outside = (safe < 0) | (safe >= classes)
    if outside.any():
        raise IndexError(f"{name}: target {int(safe[outside][0])} is out of bounds for "
                         f"{classes} classes")
    return safe, keep


class NLLLoss(Op):
    """ℓₙ = −w_{yₙ} · x[n, yₙ] for log-probabilities x; 'mean' divides by Σ w_{yₙ}."""

    derivative = "∂ℓ/∂x[n, c] = −w_c if c = yₙ else 0"

    def forward(ctx, input: Any, target: Any, weight: Any = None,  # noqa: A002
                ignore_index: int = -100, reduction: str = "mean") -> Any:
        _check_targets("nll_loss", input, target)
        flat = _class_axis_last(input)
        classes = flat.shape[1]
        safe, keep = _class_indices("nll_loss", target, classes, ignore_index)
        w = xp.ones(classes, dtype=flat.dtype) if weight is None else weight.astype(flat.dtype)
        sample_weight = w[safe] * keep
        picked = flat[xp.arange(flat.shape[0]), safe]
        losses = -picked * sample_weight
        ctx.shape, ctx.safe, ctx.sample_weight = input.shape, safe, sample_weight
        ctx.reduction = reduction
        ctx.denominator = sample_weight.sum() if reduction == "mean" else 1
        return _reduce_weighted(losses, reduction, ctx.denominator, target.shape)

    def backward(ctx, grad: Any) -> Any:
        scale = ctx.sample_weight * _spread(grad, ctx.reduction, ctx.denominator).reshape(-1)
        rows = scale.shape[0]
        classes = ctx.shape[1] if len(ctx.shape) > 1 else ctx.shape[0]
        flat = xp.zeros((rows, classes), dtype=scale.dtype)
        flat[xp.arange(rows), ctx.safe] = -scale
        return _class_axis_back(flat, ctx.shape), None


class CrossEntropyLoss(Op):
    """log-softmax and NLL in one op: ℓₙ = −w_{yₙ} log softmax(xₙ)[yₙ] (or −Σ_c pₙ_c w_c
    log softmax(xₙ)_c for class-probability targets), with optional label smoothing."""

    derivative = "∂ℓ/∂x = softmax(x) − onehot(y)  (per sample, before weights)"

    def forward(ctx, input: Any, target: Any, weight: Any = None,  # noqa: A002
                ignore_index: int = -100, reduction: str = "mean",
                label_smoothing: float = 0.0) -> Any:
        if input.ndim == 0:
            raise ValueError("cross_entropy: the input must have a class dimension")
        flat = _class_axis_last(input)
        classes = flat.shape[1]
        shifted = flat - flat.max(axis=1, keepdims=True)
        exp = xp.exp(shifted)
        sums = exp.sum(axis=1, keepdims=True)
        ctx.probs = exp / sums
        ctx.shape, ctx.reduction = input.shape, reduction
        w = None if weight is None else weight.astype(flat.dtype)
        ctx.target_mass = None
        indices = target.dtype.kind != "f"
        if indices:
            _check_targets("cross_entropy", input, target)
            safe, keep = _class_indices("cross_entropy", target, classes, ignore_index)
            rows = xp.arange(flat.shape[0])
        if indices and not label_smoothing:
            # Class indices: only the target's log-probability is needed, ℓₙ = −w log sₙ[yₙ].
            sample_weight = (keep.astype(flat.dtype) if w is None else w[safe] * keep)
            picked = shifted[rows, safe] - xp.log(sums[:, 0])
            losses = -picked * sample_weight
            if not keep.all():
                losses[~keep] = 0  # ignored samples contribute nothing (even at −inf logits)
            ctx.rows, ctx.safe, ctx.sample_weight = rows, safe, sample_weight
            ctx.denominator = sample_weight.sum()
            return _reduce_weighted(losses, reduction, ctx.denominator, _loss_shape(input))
        log_probs = shifted - xp.log(sums)
        if not indices:  # class probabilities
            check_same_shape("cross_entropy", input, target)
            probs = _class_axis_last(target)
            if label_smoothing:
                probs = probs * (1 - label_smoothing) + label_smoothing / classes
            weighted = probs if w is None else probs * w
            losses = -(weighted * log_probs).sum(axis=1)
            ctx.target_mass = weighted
            ctx.sample_weight = weighted.sum(axis=1)
            ctx.denominator = flat.shape[0]
            # ∂ℓₙ/∂p_c = −(1 − smoothing)·w_c·log softmax(xₙ)_c (soft targets can learn too)
            scale = 1 - label_smoothing
            ctx.grad_target_flat = -(log_probs * (scale if w is None else scale * w))
        else:  # class indices with label smoothing: a dense target mass per sample
            class_weight = xp.ones(classes, dtype=flat.dtype) if w is None else w
            sample_weight = class_weight[safe] * keep
            mass = xp.full_like(flat, label_smoothing / classes)
            mass[rows, safe] += 1 - label_smoothing
            mass *= class_weight
            mass *= keep[:, None]
            losses = -(mass * log_probs).sum(axis=1)
            ctx.target_mass = mass
            ctx.sample_weight = mass.sum(axis=1)
            ctx.denominator = sample_weight.sum()
        return _reduce_weighted(losses, reduction, ctx.denominator, _loss_shape(input))

    def backward(ctx, grad: Any) -> Any:
        # ∂ℓₙ/∂x = (Σ_c m_c) softmax(x) − m, m the (weighted) target mass of sample n.
        grad_flat = ctx.probs * ctx.sample_weight[:, None]
        if ctx.target_mass is None:  # class indices: m is w at the target, 0 elsewhere
            grad_flat[ctx.rows, ctx.safe] -= ctx.sample_weight
        else:
            grad_flat -= ctx.target_mass
        upstream = _spread(grad, ctx.reduction, ctx.denominator).reshape(-1, 1)
        grad_flat *= upstream
        grad_target = None
        if ctx.parents[1] is not None:
            grad_target = _class_axis_back(ctx.grad_target_flat * upstream, ctx.shape)
        return _class_axis_back(grad_flat, ctx.shape), grad_target


class BCELoss(Op):
    """ℓ = −w[y log x + (1 − y) log(1 − x)] for probabilities x; logs clamped at −100."""

    derivative = "∂ℓ/∂x = w(x − y) / (x(1 − x))"
    saves_inputs = True

    def forward(ctx, input: Any, target: Any, weight: Any = None,  # noqa: A002
                reduction: str = "mean") -> Any:
        check_same_shape("binary_cross_entropy", input, target)
        if ((input < 0) | (input > 1)).any():
            raise ValueError("binary_cross_entropy: input values must lie between 0 and 1")
        with xp.errstate(divide="ignore"):
            log_x = xp.maximum(xp.log(input), -100)
            log_1mx = xp.maximum(xp.log(1 - input), -100)
        losses = -(target * log_x + (1 - target) * log_1mx)
        if weight is not None:
            losses = losses * weight
        ctx.input, ctx.target, ctx.weight, ctx.reduction = input, target, weight, reduction
        return _reduce(losses, reduction)

    def backward(ctx, grad: Any) -> Any:
        x, y = ctx.input, ctx.target
        eps = 1e-12  # PyTorch's clamp of the denominator
        g = (x - y) / xp.maximum((1 - x) * x, eps)
        if ctx.weight is not None:
            g = g * ctx.weight
        scale = _spread(grad, ctx.reduction, x.size)
        g = g * scale
        grad_target = None
        if ctx.parents[1] is not None:
            with xp.errstate(divide="ignore"):
                grad_target = (xp.maximum(xp.log(1 - x), -100) - xp.maximum(xp.log(x), -100))
            if ctx.weight is not None:
                grad_target = grad_target * ctx.weight
            grad_target = grad_target * scale
        return g.astype(x.dtype, copy=False), grad_target


class BCEWithLogitsLoss(Op):
    """Sigmoid and BCE in one stable op: ℓ = w[(1 − y)x + (1 + (p − 1)y)·log(1 + e⁻ˣ)]."""

    derivative = "∂ℓ/∂x = w[(1 + (p − 1)y)σ(x) − py]  (p the positive weight)"
    saves_inputs = True

    def forward(ctx, input: Any, target: Any, weight: Any = None,  # noqa: A002
                pos_weight: Any = None, reduction: str = "mean") -> Any:
        check_same_shape("binary_cross_entropy_with_logits", input, target)
        # log(1 + e^{−x}) = max(−x, 0) + log(e^{−max(−x,0)} + e^{−x−max(−x,0)}), overflow-free
        softplus_neg = xp.logaddexp(0, -input)
        if pos_weight is not None:
            log_weight = 1 + (pos_weight - 1) * target
            losses = (1 - target) * input + log_weight * softplus_neg
        else:
            losses = (1 - target) * input + softplus_neg
        if weight is not None:
            losses = losses * weight
        ctx.input, ctx.target, ctx.weight, ctx.pos_weight = input, target, weight, pos_weight
        ctx.reduction = reduction
        return _reduce(losses, reduction).astype(input.dtype, copy=False)

    def backward(ctx, grad: Any) -> Any:
        x, y = ctx.input, ctx.target
        with xp.errstate(over="ignore"):  # e^{800} = inf gives σ = 0, the right limit
            sig = 1 / (1 + xp.exp(-x))
        if ctx.pos_weight is not None:
            g = (1 + (ctx.pos_weight - 1) * y) * sig - ctx.pos_weight * y
        else:
            g = sig - y
        if ctx.weight is not None:
            g = g * ctx.weight
        scale = _spread(grad, ctx.reduction, x.size)
        grad_input = g * scale
        grad_target = None
        if ctx.parents[1] is not None:
            # ∂ℓ/∂y = −x + (p − 1)·log(1 + e⁻ˣ)
            grad_target = -x
            if ctx.pos_weight is not None:
                grad_target = grad_target + (ctx.pos_weight - 1) * xp.logaddexp(0, -x)
            if ctx.weight is not None:
                grad_target = grad_target * ctx.weight
            grad_target = grad_target * scale
        return grad_input.astype(x.dtype, copy=False), grad_target
