"""NumPy, the default array backend."""

import numpy as xp

__all__ = ["xp"]
