"""Optimizers and learning-rate schedules (``torch.optim``'s API and arithmetic).

Each optimizer updates the parameters' arrays in place, operation by operation
in the order of PyTorch's single-tensor implementation, so float64 training
matches PyTorch's (to about 1e-15 relative). With numba installed
(``backprop[fast]``) every optimizer runs as one fused loop per parameter that
rounds as PyTorch's kernels do (SGD: bit for bit; see ``_fused``);
``BACKPROP_NUMBA=0`` keeps the NumPy path.
"""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam
from .adamw import AdamW
from .optimizer import Optimizer, required
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler", "required"]
