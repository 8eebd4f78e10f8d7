"""Optimizers and learning-rate schedules (``torch.optim``'s API and arithmetic).

Each optimizer updates the parameters' arrays in place, operation by operation
in the order of PyTorch's single-tensor implementation, so float64 training
matches PyTorch's. With numba installed (``backprop[fast]``) SGD and Adam/AdamW
run as one fused loop per parameter (see ``_fused``).
"""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam
from .adamw import AdamW
from .optimizer import Optimizer, required
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler", "required"]
