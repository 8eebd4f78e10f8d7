"""The machinery behind the reference table: inputs, the two libraries, and the checks.

A :class:`Case` names an op, describes its inputs (:class:`Input`) and gives the call
as a function ``fn(L, *inputs)``, where ``L`` is :data:`BP` or :data:`TORCH` (each has
``.t`` the library, ``.F`` its functional module, ``.nn`` its layers). Where PyTorch
spells the op differently, ``torch_fn`` gives PyTorch's call. A case with ``module``
builds a layer with ``module(L)``; PyTorch's float64 layer's weights are copied into
ours through ``state_dict`` and the layer is passed to ``fn`` as its first argument.

The checks, all in float64:

* :func:`check_against_torch`: forward values equal PyTorch's (rtol 1e-10), and the
  gradients of every differentiable input (and parameter) for a random upstream
  gradient on every output (nested tuples flattened) equal PyTorch's; a layer's
  state_dict after the call (running statistics) equals PyTorch's;
* :func:`check_gradcheck`: ``bp.gradcheck`` (central differences) agrees with our
  backward;
* :func:`check_float32`: in float32 every output and every gradient stays float32
  (and is close to PyTorch's float64 result, to float32 precision).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch

import backprop as bp

BP = SimpleNamespace(t=bp, F=bp.nn.functional, nn=bp.nn, name="backprop")
TORCH = SimpleNamespace(t=torch, F=torch.nn.functional, nn=torch.nn, name="torch")

RTOL, ATOL = 1e-10, 1e-12  # float64 agreement with PyTorch
RTOL32, ATOL32 = 2e-4, 2e-5  # float32 results against PyTorch's float64 ones


# --- inputs ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Input:
    """One input of a case: how to draw it, its shape, and whether it needs a gradient."""

    kind: str
    shape: tuple[int, ...]
    grad: bool = True
    options: dict[str, Any] = field(default_factory=dict)

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        shape, o = self.shape, self.options
        if self.kind == "normal":
            return rng.standard_normal(shape)
        if self.kind == "uniform":  # U(low, high), e.g. positive bases, probabilities
            return rng.uniform(o["low"], o["high"], shape)
        if self.kind == "probs":  # rows of class probabilities along ``axis``
            e = np.exp(rng.standard_normal(shape))
            return e / e.sum(axis=o["axis"], keepdims=True)
        if self.kind == "binary":
            return rng.integers(0, 2, shape).astype(np.float64)
        if self.kind == "labels":
            labels = rng.integers(0, o["classes"], shape).astype(np.int64)
            if o.get("ignore") is not None:  # mark some targets ignored (never all of them)
                flat = labels.reshape(-1)
                flat[rng.permutation(flat.size)[: max(1, flat.size // 3)]] = o["ignore"]
            return labels
        if self.kind == "mask":
            return rng.random(shape) < 0.5
        if self.kind == "value":
            return np.array(o["value"])
        raise ValueError(self.kind)

    def with_shape(self, shape: tuple[int, ...]) -> Input:
        return replace(self, shape=tuple(shape))


def x(*shape: int) -> Input:
    """Standard-normal floats that need a gradient."""
    return Input("normal", shape)


def const(*shape: int) -> Input:
    """Standard-normal floats that need no gradient."""
    return Input("normal", shape, grad=False)


def pos(*shape: int, grad: bool = True) -> Input:
    """Floats in [0.5, 2]: bases of logs, roots and powers."""
    return Input("uniform", shape, grad, {"low": 0.5, "high": 2.0})


def unit(*shape: int, grad: bool = True) -> Input:
    """Floats in [0.05, 0.95]: probabilities away from 0 and 1."""
    return Input("uniform", shape, grad, {"low": 0.05, "high": 0.95})


def probs(*shape: int, axis: int = 1, grad: bool = False) -> Input:
    """Class probabilities summing to 1 along ``axis``."""
    return Input("probs", shape, grad, {"axis": axis})


def binary(*shape: int) -> Input:
    """0.0 / 1.0 targets."""
    return Input("binary", shape, grad=False)


def labels(*shape: int, classes: int, ignore: int | None = None) -> Input:
    """int64 class indices in [0, classes), a third set to ``ignore`` if given."""
    return Input("labels", shape, grad=False, options={"classes": classes, "ignore": ignore})


def mask(*shape: int) -> Input:
    """A random boolean mask."""
    return Input("mask", shape, grad=False)


def value(data: Any, grad: bool = True) -> Input:
    """Fixed values (ties, exact points)."""
    array = np.array(data)
    return Input("value", array.shape, grad and array.dtype.kind == "f", {"value": data})


# --- cases ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    name: str
    inputs: tuple[Input, ...]
    fn: Callable[..., Any] = lambda L, m, *xs: m(*xs)
    torch_fn: Callable[..., Any] | None = None
    module: Callable[[Any], Any] | None = None
    gradcheck: bool = True  # False only at kinks (ties) and where the gradient is by definition
    # not the derivative (Embedding's padding_idx, scale_grad_by_freq)
    broadcast: bool = False  # a binary element-wise op: hypothesis varies the two shapes

    def call(self, L: Any, *args: Any) -> Any:
        fn = self.torch_fn if L is TORCH and self.torch_fn is not None else self.fn
        return fn(L, *args)

    def __repr__(self) -> str:
        return self.name


def case(name: str, inputs: list[Input] | tuple[Input, ...], fn: Callable[..., Any] | None = None,
         **options: Any) -> Case:
    if fn is None:
        return Case(name, tuple(inputs), **options)
    return Case(name, tuple(inputs), fn, **options)


def draw_inputs(c: Case, seed_extra: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(zlib.crc32(c.name.encode()) + seed_extra)
    return [spec.draw(rng) for spec in c.inputs]


def _to_bp(array: np.ndarray, spec: Input, dtype: Any) -> bp.Tensor:
    if array.dtype.kind == "f":
        array = array.astype(dtype)
    return bp.tensor(array, requires_grad=spec.grad)


def _to_torch(array: np.ndarray, spec: Input) -> torch.Tensor:
    return torch.tensor(array, requires_grad=spec.grad)


def _outputs(result: Any) -> list[Any]:
    """The outputs as one flat list (nested tuples, e.g. LSTM's (output, (h_n, c_n)), opened)."""
    if isinstance(result, tuple | list):
        return [o for part in result for o in _outputs(part)]
    return [result]


def _modules(c: Case, dtype: Any) -> tuple[Any, Any]:
    """PyTorch's float64 layer and ours, holding the same weights."""
    torch.manual_seed(zlib.crc32(c.name.encode()))
    torch_module = c.module(TORCH).double()
    previous = bp.get_default_dtype()
    bp.set_default_dtype(dtype)
    try:
        bp_module = c.module(BP)
    finally:
        bp.set_default_dtype(previous)
    state = {k: v.detach().numpy() for k, v in torch_module.state_dict().items()}
    bp_module.load_state_dict(state)
    return torch_module, bp_module


def run_both(c: Case, arrays: list[np.ndarray], dtype: Any = np.float64) -> dict[str, Any]:
    """Forward and backward in both libraries on the same inputs and upstream gradients."""
    bp_args = [_to_bp(a, s, dtype) for a, s in zip(arrays, c.inputs)]
    torch_args = [_to_torch(a, s) for a, s in zip(arrays, c.inputs)]
    bp_params: list[Any] = []
    torch_params: list[Any] = []
    if c.module is not None:
        torch_module, bp_module = _modules(c, dtype)
        bp_params, torch_params = list(bp_module.parameters()), list(torch_module.parameters())
        bp_out = _outputs(c.call(BP, bp_module, *bp_args))
        torch_out = _outputs(c.call(TORCH, torch_module, *torch_args))
    else:
        bp_out = _outputs(c.call(BP, *bp_args))
        torch_out = _outputs(c.call(TORCH, *torch_args))
    assert len(bp_out) == len(torch_out), f"{c.name}: {len(bp_out)} outputs, torch {len(torch_out)}"

    rng = np.random.default_rng(zlib.crc32(c.name.encode()) + 1)
    pairs = [(b, t) for b, t in zip(bp_out, torch_out) if t.requires_grad]
    upstream = [rng.standard_normal(tuple(t.shape)) for _, t in pairs]
    if pairs:
        torch.autograd.backward([t for _, t in pairs], [torch.tensor(g) for g in upstream])
        bp.autograd.backward([b for b, _ in pairs],
                             [bp.tensor(g.astype(dtype)) for g in upstream])
    return {
        "bp_out": bp_out, "torch_out": torch_out,
        "bp_leaves": bp_args + bp_params, "torch_leaves": torch_args + torch_params,
        "specs": list(c.inputs) + [Input("param", tuple(p.shape)) for p in bp_params],
        "param_names": [None] * len(bp_args) + [n for n, _ in bp_module.named_parameters()]
        if c.module is not None else [None] * len(bp_args),
        "modules": (bp_module, torch_module) if c.module is not None else None,
    }


def _numpy(t: Any) -> np.ndarray:
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t.detach().data)


def _leaf_name(i: int, names: list[Any]) -> str:
    return f"parameter {names[i]}" if names[i] else f"input {i}"


# --- the checks -----------------------------------------------------------------------
def check_against_torch(c: Case, arrays: list[np.ndarray] | None = None) -> None:
    """Forward and every gradient equal PyTorch's, in float64."""
    arrays = draw_inputs(c) if arrays is None else arrays
    r = run_both(c, arrays)
    for k, (b, t) in enumerate(zip(r["bp_out"], r["torch_out"])):
        assert isinstance(b, bp.Tensor), f"{c.name}: output {k} is {type(b).__name__}"
        assert tuple(b.shape) == tuple(t.shape), (
            f"{c.name}: output {k} shape {tuple(b.shape)}, torch {tuple(t.shape)}")
        expected = _numpy(t)
        assert b.dtype == expected.dtype, f"{c.name}: output {k} dtype {b.dtype}, torch {t.dtype}"
        assert b.requires_grad == t.requires_grad, (
            f"{c.name}: output {k} requires_grad {b.requires_grad}, torch {t.requires_grad}")
        if expected.dtype.kind == "f":
            np.testing.assert_allclose(b.data, expected, rtol=RTOL, atol=ATOL,
                                       err_msg=f"{c.name}: forward output {k}")
        else:
            np.testing.assert_array_equal(b.data, expected, err_msg=f"{c.name}: output {k}")
    for i, (b, t, spec) in enumerate(zip(r["bp_leaves"], r["torch_leaves"], r["specs"])):
        if not spec.grad:
            assert b.grad is None, f"{c.name}: {_leaf_name(i, r['param_names'])} got a grad"
            continue
        name = _leaf_name(i, r["param_names"])
        if t.grad is None:
            assert b.grad is None or not np.any(b.grad.data), f"{c.name}: {name}: torch has none"
            continue
        assert b.grad is not None, f"{c.name}: {name} got no gradient"
        assert b.grad.shape == tuple(t.grad.shape), f"{c.name}: {name} gradient shape"
        assert b.grad.dtype == b.dtype, f"{c.name}: {name} gradient dtype {b.grad.dtype}"
        np.testing.assert_allclose(b.grad.data, _numpy(t.grad), rtol=RTOL, atol=ATOL,
                                   err_msg=f"{c.name}: gradient of {name}")
    if r["modules"] is not None:
        _check_state(c, *r["modules"], rtol=RTOL, atol=ATOL)


def _check_state(c: Case, bp_module: Any, torch_module: Any, rtol: float, atol: float,
                 dtype: Any = None) -> None:
    """After the call, every state_dict entry (running statistics, their counter, the
    weights) equals PyTorch's: same keys, shapes and kinds, and the floats in ``dtype``."""
    ours, theirs = bp_module.state_dict(), torch_module.state_dict()
    assert list(ours) == list(theirs), f"{c.name}: state_dict keys {list(ours)} != {list(theirs)}"
    for key, t in theirs.items():
        b, expected = np.asarray(ours[key].data), t.numpy()
        assert b.shape == expected.shape, f"{c.name}: state {key} shape {b.shape}"
        assert b.dtype.kind == expected.dtype.kind, f"{c.name}: state {key} dtype {b.dtype}"
        if expected.dtype.kind == "f":
            assert b.dtype == (dtype or expected.dtype), f"{c.name}: state {key} in {b.dtype}"
            np.testing.assert_allclose(b, expected, rtol=rtol, atol=atol,
                                       err_msg=f"{c.name}: state {key} after the call")
        else:
            np.testing.assert_array_equal(b, expected, err_msg=f"{c.name}: state {key}")


def check_gradcheck(c: Case) -> None:
    """Our backward against central differences (``bp.gradcheck``), in float64, for every
    output that carries a gradient (``check_against_torch`` checks which ones do; the others,
    such as indices or running statistics returned for comparison, have no Jacobian)."""
    arrays = draw_inputs(c)
    args = [_to_bp(a, s, np.float64) for a, s in zip(arrays, c.inputs)]
    inputs: list[Any] = args
    if c.module is not None:
        _, module = _modules(c, np.float64)
        inputs = [*args, *module.parameters()]

        def call(*ts: Any) -> list[Any]:
            return _outputs(c.call(BP, module, *ts[:len(args)]))
    else:
        def call(*ts: Any) -> list[Any]:
            return _outputs(c.call(BP, *ts))

    keep = [k for k, o in enumerate(call(*inputs)) if isinstance(o, bp.Tensor) and o.requires_grad]
    assert bp.gradcheck(lambda *ts: tuple(call(*ts)[k] for k in keep), inputs)


def check_float32(c: Case) -> None:
    """float32 in, float32 out: forward values and every gradient."""
    arrays = draw_inputs(c)
    reference = run_both(c, arrays)
    r = run_both(c, arrays, dtype=np.float32)
    for k, (b, t) in enumerate(zip(r["bp_out"], reference["torch_out"])):
        expected = _numpy(t)
        if expected.dtype.kind == "f":
            assert b.dtype == np.float32, f"{c.name}: float32 input gave output {k} in {b.dtype}"
            np.testing.assert_allclose(b.data, expected, rtol=RTOL32, atol=ATOL32,
                                       err_msg=f"{c.name}: float32 output {k}")
    for i, (b, t, spec) in enumerate(zip(r["bp_leaves"], reference["torch_leaves"], r["specs"])):
        if spec.grad and t.grad is not None:
            name = _leaf_name(i, r["param_names"])
            assert b.grad is not None, f"{c.name}: float32 {name} got no gradient"
            assert b.grad.dtype == np.float32, f"{c.name}: float32 {name} grad in {b.grad.dtype}"
            np.testing.assert_allclose(b.grad.data, _numpy(t.grad), rtol=RTOL32, atol=ATOL32,
                                       err_msg=f"{c.name}: float32 gradient of {name}")
    if r["modules"] is not None:
        _check_state(c, r["modules"][0], reference["modules"][1], rtol=RTOL32, atol=ATOL32,
                     dtype=np.float32)
