"""Checks of the engine's plain arguments, in one place: keep probabilities, the scaling name, random
generators. A run's settings are checked by :class:`dropviz.config.RunConfig`; these serve the layers
and the numpy code used directly (the same keep_p check for torch and numpy alike)."""

from __future__ import annotations

import numbers

import numpy as np

SCALINGS = ("inverted", "weight-scaling")


def check_keep_p(keep_p, name: str = "keep_p") -> float:
    """Return ``keep_p`` as a float, or raise ValueError if not in (0, 1].

    0 is excluded because a unit that is never kept makes inverted dropout
    divide by zero and the network output constant; NaN fails the comparison
    and is rejected too (the lecture's ``discard_prob < 0 or > 1`` lets it in).
    """
    if isinstance(keep_p, (bool, np.bool_)) or not isinstance(keep_p, numbers.Real):
        raise ValueError(
            f"{name} must be a real number in (0, 1] (probability of keeping a "
            f"unit; PyTorch nn.Dropout(p) takes p = 1 - {name}), got {keep_p!r}"
        )
    value = float(keep_p)
    if not (0.0 < value <= 1.0):
        raise ValueError(
            f"{name} must be in (0, 1] (probability of keeping a unit; PyTorch "
            f"nn.Dropout(p) takes p = 1 - {name}), got {keep_p!r}"
        )
    return value


def as_generator(rng) -> np.random.Generator:
    """Accept a ``np.random.Generator`` or an int seed; refuse anything else.

    ``None`` is refused on purpose: silently drawing from OS entropy would make
    a run irreproducible, and falling back to the global ``np.random`` state is
    exactly the lecture's defect. Callers that want fresh randomness can pass
    ``np.random.default_rng()`` explicitly.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, (bool, np.bool_)):
        if rng < 0:
            raise ValueError(f"seed must be a non-negative int, got {rng!r}")
        return np.random.default_rng(int(rng))
    raise TypeError(
        "rng must be a numpy.random.Generator or a non-negative int seed "
        f"(None is not accepted, to keep runs reproducible), got {rng!r}"
    )


def check_scaling(scaling: str) -> str:
    if scaling not in SCALINGS:
        raise ValueError(f"scaling must be one of {SCALINGS}, got {scaling!r}")
    return scaling
