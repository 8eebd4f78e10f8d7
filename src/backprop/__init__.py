"""backprop: neural networks trained by backpropagation, from first principles on NumPy.

The API follows PyTorch's (see ``shared/API.md``)::

    import backprop as bp
    from backprop import nn, optim
    import backprop.nn.functional as F
"""

from . import autograd, data, diagnostics, explain, nn, optim, viz
from .autograd import Function, gradcheck
from .autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .dtypes import (
    bool_,
    double,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int32,
    int64,
    long,
    set_default_dtype,
    uint8,
)
from .factories import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .functions import (  # type: ignore[attr-defined]
    abs,
    allclose,
    amax,
    amin,
    argmax,
    argmin,
    cat,
    chunk,
    clamp,
    clip,
    concat,
    concatenate,
    exp,
    expand,
    flatten,
    is_tensor,
    log,
    log_softmax,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    norm,
    numel,
    permute,
    pow,
    relu,
    reshape,
    rsqrt,
    sigmoid,
    sign,
    softmax,
    split,
    sqrt,
    square,
    squeeze,
    stack,
    std,
    sum,
    tanh,
    transpose,
    unsqueeze,
    var,
    where,
)
from .random import Generator, get_rng_state, manual_seed, seed, set_rng_state
from .serialization import SerializationError, load, save
from .tensor import Tensor

__version__ = "0.1.0"
