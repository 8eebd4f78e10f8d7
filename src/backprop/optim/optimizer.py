"""``Optimizer``: parameter groups, per-parameter state, and the state dict.

An optimizer holds ``param_groups`` (a list of dicts: ``"params"`` plus the
hyper-parameters of that group, the constructor's defaults filled in where a
group names none) and ``state`` (a dict from parameter to that parameter's
buffers). Subclasses implement ``step()``; updates act on the parameters'
arrays in place, so no graph is recorded.

``state_dict()`` uses PyTorch's layout, so checkpoints move between the two::

    {"state": {0: {"momentum_buffer": Tensor}, ...},
     "param_groups": [{"lr": 0.1, ..., "params": [0, 1]}, ...]}

Parameters are numbered in the order the groups list them; state buffers are
Tensors, so a checkpoint can be written as safetensors.
"""

from __future__ import annotations

import copy
import warnings
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from .. import dtypes
from ..autograd.grad_mode import enable_grad
from ..backends import xp
from ..tensor import Tensor


class _RequiredParameter:
    """Marks a hyper-parameter that has no default: every group must give it."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def _scalar_dtype() -> Any:
    """The dtype of ``state["step"]``: float64 if that is the default dtype, else float32."""
    return xp.float64 if dtypes.default_dtype() == xp.float64 else xp.float32


def _step_tensor(value: float = 0.0) -> Tensor:
    """A 0-d step counter, as PyTorch keeps it (``torch.tensor(0.0)``)."""
    return Tensor._make(xp.array(value, dtype=_scalar_dtype()))


def _count_step(state: dict[str, Any]) -> float:
    """Advance ``state["step"]`` (a 0-d tensor, in place) and return the new count."""
    step = state["step"].data
    step += 1
    return float(step)


def _check_nonnegative(what: str, value: float) -> None:
    """Reject a negative (or NaN) hyper-parameter with PyTorch's message, ``Invalid {what}``."""
    if not 0.0 <= value:
        raise ValueError(f"Invalid {what}: {value}")


class Optimizer:
    """Base class of all optimizers.

    Args:
        params: an iterable of Tensors (one group), or of dicts, each a parameter
            group with a ``"params"`` entry and hyper-parameters that override
            ``defaults`` for that group.
        defaults: the hyper-parameters of groups that do not set their own.

    Example::

        >>> import backprop as bp
        >>> from backprop import nn, optim
        >>> model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
        >>> opt = optim.SGD([{"params": model[0].parameters(), "lr": 0.1},
        ...                  {"params": model[2].parameters()}], lr=0.01, momentum=0.9)
        >>> [g["lr"] for g in opt.param_groups]
        [0.1, 0.01]
    """

    def __init__(self, params: Any, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors "
                f"or dicts, but got {type(params).__name__}"
            )
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        self._work: dict[tuple[Any, int], Any] = {}
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    # --- groups ---------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters, with its own hyper-parameters, to ``param_groups``."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            param_group["params"] = list(params)

        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):  # (name, parameter) pairs from named_parameters()
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError(
                    "all optimizer params should be with/without names. Some param names are "
                    "missing"
                )
            param_group["param_names"] = names

        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is "
                    f"{type(param).__module__}.{type(param).__name__}"
                )
            if not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            param_group.setdefault(name, default)

        ids = [id(p) for p in tensors]
        if len(ids) != len(set(ids)):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, "
                "this will cause an error; see github.com/pytorch/pytorch/issues/40967 for "
                "more information",
                stacklevel=3,
            )
        seen: set[int] = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {which} to the optimizer"
                )
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # --- gradients and steps --------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients: drop them (``set_to_none=True``) or fill them with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    grad.detach_()
                    if grad.data.flags.writeable:
                        grad.data[...] = 0
                    else:
                        grad.data = xp.zeros_like(grad.data)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update the parameters once from their ``.grad``; ``closure`` recomputes the loss."""
        raise NotImplementedError

    @staticmethod
    def _closure_loss(closure: Callable[[], Any] | None) -> Any:
        """Evaluate ``closure`` (with grad mode on) as ``step(closure)`` does first."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def _effective_grad(self, param: Any, g: Any, weight_decay: float, maximize: bool) -> Any:
        """The gradient an update uses, g' = ±g + λθ (− when ``maximize``), in work arrays.

        ``g`` itself (the parameter's ``.grad``) is never changed; g' is ``g`` when there is
        nothing to add, else the work array of slot 0 (slot 1 is used on the way).
        """
        if maximize:
            g = xp.negative(g, out=self._scratch(param, 0))
        if weight_decay != 0:
            decay = xp.multiply(param, weight_decay, out=self._scratch(param, 1))
            g = xp.add(g, decay, out=self._scratch(param, 0))
        return g

    def _scratch(self, like: Any, slot: int = 0) -> Any:
        """A work array shaped like ``like``, reused across parameters and steps.

        One flat buffer per (dtype, slot), as large as the largest parameter seen, so
        an update needs no new memory after the first step.
        """
        key = (like.dtype, slot)
        flat = self._work.get(key)
        size = like.size
        if flat is None or flat.size < size:
            flat = self._work[key] = xp.empty(size, dtype=like.dtype)
        return flat[:size].reshape(like.shape)

    # --- state dict -----------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The state as ``{"state": {index: {name: Tensor}}, "param_groups": [...]}``.

        Parameters are replaced by their index in the order of ``param_groups``; the
        buffers are the optimizer's own Tensors (not copies), as in PyTorch.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {
            (index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state dict from :meth:`state_dict` (ours or PyTorch's).

        Buffers may be Tensors, NumPy arrays or anything ``numpy.asarray`` reads
        (PyTorch CPU tensors included); they are copied, and floating buffers take
        their parameter's dtype (``"step"`` keeps its own).
        """
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for group, saved in zip(groups, saved_groups):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size "
                    "of optimizer's group"
                )
        id_map = {
            saved_id: p
            for group, saved in zip(groups, saved_groups)
            for saved_id, p in zip(saved["params"], group["params"])
        }
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for key, value in state_dict["state"].items():
            param = id_map.get(key)
            if param is None:
                state[key] = value
            else:
                state[param] = {name: _cast(param, name, v) for name, v in value.items()}
        new_groups = []
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            for name, default in self.defaults.items():
                saved.setdefault(name, default)
            new_groups.append(saved)
        self.state = state
        self.param_groups = new_groups

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._work = {}

    def __repr__(self) -> str:
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {group[k]}" for k in sorted(group) if k != "params")
        return "\n".join(lines) + "\n)"


def _cast(param: Tensor, name: str, value: Any) -> Any:
    """A loaded state entry as our own Tensor: a copy, floating ones in ``param``'s dtype."""
    if isinstance(value, Tensor):
        array = value.data
    elif isinstance(value, dict):
        return {k: _cast(param, k, v) for k, v in value.items()}
    elif isinstance(value, xp.ndarray) or hasattr(value, "__array__"):
        array = xp.asarray(value)
    elif name == "step" and isinstance(value, int | float):
        return _step_tensor(float(value))
    else:
        return value
    if name != "step" and param.data.dtype.kind == "f" and array.dtype.kind == "f":
        return Tensor._make(array.astype(param.data.dtype, copy=True))
    return Tensor._make(array.copy())

