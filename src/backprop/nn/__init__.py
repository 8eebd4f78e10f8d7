"""Neural-network layers, losses, initialisation and utilities (``torch.nn``'s API)."""

from . import functional, init, utils
from .module import Module
from .modules import conv, dropout, normalization, pooling, rnn, sparse
from .modules.activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .modules.container import ModuleDict, ModuleList, Sequential
from .modules.conv import *  # noqa: F401,F403
from .modules.dropout import *  # noqa: F401,F403
from .modules.linear import Flatten, Identity, Linear, Unflatten
from .modules.loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .modules.normalization import *  # noqa: F401,F403
from .modules.pooling import *  # noqa: F401,F403
from .modules.rnn import *  # noqa: F401,F403
from .modules.sparse import *  # noqa: F401,F403
from .parameter import Buffer, Parameter

__all__ = [
    "Module", "Parameter", "Buffer", "Sequential", "ModuleList", "ModuleDict", "Linear",
    "Identity", "Flatten", "Unflatten", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "ELU", "GELU",
    "Softmax", "LogSoftmax", "MSELoss", "L1Loss", "NLLLoss", "CrossEntropyLoss", "BCELoss",
    "BCEWithLogitsLoss", "functional", "init", "utils",
]

for _module in (conv, dropout, normalization, pooling, rnn, sparse):
    __all__ += _module.__all__
