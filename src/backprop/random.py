"""The library's one random generator: init, dropout, shuffling and ``rand`` draw from it.

``bp.manual_seed(n)`` makes every draw reproducible; ``get_rng_state()`` /
``set_rng_state(state)`` save and restore it exactly (a checkpoint can resume
a run mid-epoch).
"""

from __future__ import annotations

from typing import Any

from .backends import xp


class Generator:
    """A seeded PCG64 stream, as ``torch.Generator``: ``manual_seed``, ``get_state``,
    ``set_state``."""

    def __init__(self, seed: int | None = None) -> None:
        self.manual_seed(seed)

    def manual_seed(self, seed: int | None) -> Generator:
        self.initial_seed = seed
        self.rng = xp.random.Generator(xp.random.PCG64(seed))
        return self

    def get_state(self) -> dict[str, Any]:
        return dict(self.rng.bit_generator.state)

    def set_state(self, state: dict[str, Any]) -> None:
        self.rng.bit_generator.state = state


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the global generator: every later random draw of the library repeats exactly."""
    return default_generator.manual_seed(int(seed))


def seed() -> int:
    """Seed the global generator from the operating system's entropy and return the seed."""
    new_seed = int(xp.random.default_rng().integers(2**63))  # default_rng(): OS entropy
    default_generator.manual_seed(new_seed)
    return new_seed


def get_rng_state() -> dict[str, Any]:
    """The global generator's state (a plain dict, safe to save as JSON)."""
    return default_generator.get_state()


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore a state returned by :func:`get_rng_state`."""
    default_generator.set_state(state)


def rng(generator: Generator | None = None) -> Any:
    """The NumPy ``Generator`` to draw from: ``generator``'s, or the global one."""
    return (generator or default_generator).rng
