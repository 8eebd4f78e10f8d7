"""``Module``: holds parameters, buffers and submodules; ``forward`` says what it computes.

Parameters and submodules register themselves by attribute assignment after
``super().__init__()``; ``state_dict`` keys are their dotted paths, as in
PyTorch (``"0.weight"``, ``"layer.bias"``, ``"bn.running_mean"``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

from ..autograd.function import own_copy
from ..backends import xp
from ..tensor import Tensor
from .parameter import Parameter


class Module:
    """Base class of every layer and model."""

    training: bool
    _parameters: OrderedDict[str, Parameter | None]
    _buffers: OrderedDict[str, Tensor | None]
    _non_persistent: set[str]
    _modules: OrderedDict[str, Any]  # a Module, or None for a slot registered empty
    _forward_hooks: OrderedDict[int, Callable[..., Any]]
    _forward_pre_hooks: OrderedDict[int, Callable[..., Any]]

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "training", True)

    # --- registration -----------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError(
                    f"cannot assign parameter {name!r} before Module.__init__() is called"
                )
            self._forget(name)
            params[name] = value
        elif isinstance(value, Module):
            if params is None:
                raise AttributeError(
                    f"cannot assign module {name!r} before Module.__init__() is called"
                )
            self._forget(name)
            self._modules[name] = value
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as parameter {name!r} "
                    "(nn.Parameter or None expected)"
                )
            params[name] = None
        elif params is not None and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer {name!r}")
            self._buffers[name] = value
        elif params is not None and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module {name!r}")
            self._modules[name] = None
        # Every attribute also lives in __dict__, so reading it is a plain lookup.
        object.__setattr__(self, name, value)

    def _forget(self, name: str) -> None:
        for table in (self._parameters, self._buffers, self._modules):
            table.pop(name, None)

    def __delattr__(self, name: str) -> None:
        if "_parameters" in self.__dict__:
            self._forget(name)
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        if param is None:
            self._forget(name)
            self._parameters[name] = None
            object.__setattr__(self, name, None)
        else:
            setattr(self, name, param)

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """Keep ``tensor`` as state (saved in ``state_dict`` unless not ``persistent``)."""
        if tensor is not None and not isinstance(tensor, Tensor):
            tensor = Tensor(tensor)
        self._forget(name)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)
        object.__setattr__(self, name, tensor)

    def add_module(self, name: str, module: Module | None) -> None:
        if module is None:
            self._forget(name)
            self._modules[name] = None
            object.__setattr__(self, name, None)
        else:
            setattr(self, name, module)

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        module: Module = self
        for part in target.split(".") if target else []:
            if part not in module._modules:
                raise AttributeError(f"{type(module).__name__} has no submodule {part!r}")
            module = module._modules[part]
        return module

    # --- running ----------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    # True while calling the module only runs ``forward`` (no hooks registered anywhere,
    # no ``__call__`` of its own): ``Sequential`` then calls ``forward`` itself.
    _plain_call = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # whatever class of the MRO (a mixin too) gives it: Module's code, or a copy of it?
        call_code = getattr(cls.__call__, "__code__", None)
        cls._plain_call = call_code == Module.__call__.__code__
        own_copy(cls, "__call__")  # its attribute reads then stay specialised for cls

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # No module has had a hook yet (a flag set by the first registration): no look-ups.
        if _hooks_registered and (self._forward_pre_hooks or self._forward_hooks):
            return self._call_with_hooks(args, kwargs)
        if kwargs:
            return self.forward(*args, **kwargs)
        return self.forward(*args)

    def _call_with_hooks(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if self._forward_pre_hooks:
            for hook in list(self._forward_pre_hooks.values()):
                changed = hook(self, args)
                if changed is not None:
                    args = changed if isinstance(changed, tuple) else (changed,)
        output = self.forward(*args, **kwargs)
        if self._forward_hooks:
            for hook in list(self._forward_hooks.values()):
                changed = hook(self, args, output)
                if changed is not None:
                    output = changed
        return output

    def register_forward_hook(self, hook: Callable[..., Any]) -> Any:
        """``hook(module, inputs, output)`` after each forward; may return a new output."""
        return _RemovableHandle(self._forward_hooks, hook)

    def register_forward_pre_hook(self, hook: Callable[..., Any]) -> Any:
        """``hook(module, inputs)`` before each forward; may return new inputs."""
        return _RemovableHandle(self._forward_pre_hooks, hook)

    # --- traversal --------------------------------------------------------------------
    def named_modules(self, memo: set[int] | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[Any]:
        memo = set() if memo is None else memo
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, f"{prefix}.{name}" if prefix else name,
                                                remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, module in self._modules.items():
            if module is not None:
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[Any]:
        seen: set[int] = set()
        modules = self.named_modules(prefix=prefix) if recurse else iter([(prefix, self)])
        for module_prefix, module in modules:
            for name, param in module._parameters.items():
                if param is None or id(param) in seen:
                    continue
                seen.add(id(param))
                yield (f"{module_prefix}.{name}" if module_prefix else name), param

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[Any]:
        modules = self.named_modules(prefix=prefix) if recurse else iter([(prefix, self)])
        for module_prefix, module in modules:
            for name, buffer in module._buffers.items():
                if buffer is not None:
                    yield (f"{module_prefix}.{name}" if module_prefix else name), buffer

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # --- modes and gradients ----------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for param in self.parameters():
            if set_to_none:
                param.grad = None
            elif param.grad is not None:
                param.grad.data[...] = 0

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """``to(dtype)`` converts floating parameters and buffers; ``"cpu"`` changes nothing."""
        dtype = kwargs.get("dtype")
        for arg in args:
            if not isinstance(arg, str):
                dtype = arg
        if dtype is not None:
            for tensor in list(self.parameters()) + list(self.buffers()):
                if tensor.data.dtype.kind == "f":
                    tensor.data = tensor.data.astype(dtype)
                    if tensor.grad is not None:
                        tensor.grad.data = tensor.grad.data.astype(dtype)
        return self

    def double(self) -> Module:
        return self.to(xp.float64)

    def float(self) -> Module:
        return self.to(xp.float32)

    def cpu(self) -> Module:
        return self

    # --- state ------------------------------------------------------------------------
    def state_dict(self, prefix: str = "", keep_vars: bool = False) -> OrderedDict[str, Any]:
        """Every parameter and persistent buffer by dotted name (PyTorch's keys)."""
        state: OrderedDict[str, Any] = OrderedDict()
        # a module used twice is saved under each of its names, as in PyTorch
        for module_prefix, module in self.named_modules(prefix=prefix.rstrip("."),
                                                        remove_duplicate=False):
            for name, param in module._parameters.items():
                if param is not None:
                    key = f"{module_prefix}.{name}" if module_prefix else name
                    state[key] = param if keep_vars else param.detach()
            for name, buffer in module._buffers.items():
                if buffer is not None and name not in module._non_persistent:
                    key = f"{module_prefix}.{name}" if module_prefix else name
                    state[key] = buffer if keep_vars else buffer.detach()
        return state

    def load_state_dict(self, state_dict: Any, strict: bool = True) -> Any:
        """Copy values (Tensors or NumPy arrays) into this module's parameters and buffers.

        With ``strict``, missing or unexpected keys raise a ``RuntimeError`` naming them;
        a shape mismatch always does. Returns ``(missing_keys, unexpected_keys)``.
        """
        own = self.state_dict(keep_vars=True)
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        errors = []
        if strict and (missing or unexpected):
            if missing:
                errors.append(f"missing keys: {missing}")
            if unexpected:
                errors.append(f"unexpected keys: {unexpected}")
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            array = value.data if isinstance(value, Tensor) else xp.asarray(value)
            if array.shape != target.data.shape:
                errors.append(
                    f"size mismatch for {key}: the checkpoint has shape {tuple(array.shape)}, "
                    f"this model has {tuple(target.data.shape)}"
                )
                continue
            target.data[...] = array.astype(target.data.dtype, copy=False)
            target._version += 1
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n  "
                + "\n  ".join(errors)
            )
        from ..return_types import IncompatibleKeys

        return IncompatibleKeys(missing, unexpected)

    # --- printing ---------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, module in self._modules.items():
            child = repr(module).replace("\n", "\n  ")
            lines.append(f"({name}): {child}")
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        body = "\n  ".join(([extra] if extra else []) + lines)
        return f"{type(self).__name__}(\n  {body}\n)"

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()))


_hooks_registered = False  # becomes True for good at the first hook registration


class _RemovableHandle:
    """Returned by hook registration: ``remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, table: OrderedDict[int, Any], hook: Callable[..., Any]) -> None:
        global _hooks_registered
        _hooks_registered = True
        _RemovableHandle._next_id += 1
        self.id = _RemovableHandle._next_id
        self.table = table
        table[self.id] = hook

    def remove(self) -> None:
        self.table.pop(self.id, None)
