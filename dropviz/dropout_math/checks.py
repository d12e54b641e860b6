"""Shared checks of the single-unit analyses and the caps on user-driven sizes."""

from __future__ import annotations

import numpy as np

# Two-sided 99 % normal quantile, Phi^-1(0.995); hard-coded so that this module
# needs numpy only (tests check it against scipy).
Z_99 = 2.5758293035489004

# Caps keep user-driven sizes from exhausting memory (DESIGN: bounded
# everything); the messages say what is allowed.
MAX_MC_ELEMENTS = 20_000_000
MAX_ENUMERATED_UNITS = 20
MAX_SUBNETWORK_EXPONENT = 10_000_000


def _keep_ps(keep_ps, n: int, *, allow_zero: bool = True) -> np.ndarray:
    """Broadcast keep probabilities to shape (n,) and check their range.

    The single-unit analyses allow p_i = 0 (a unit that is always dropped is
    mathematically fine there); anything that divides by p does not.
    """
    p = np.broadcast_to(np.asarray(keep_ps, dtype=np.float64), (n,)).copy()
    lo_ok = (p >= 0.0) if allow_zero else (p > 0.0)
    bad = ~(lo_ok & (p <= 1.0))  # NaN fails both comparisons -> bad
    if bad.any():
        rng_txt = "[0, 1]" if allow_zero else "(0, 1]"
        raise ValueError(f"keep_ps must be in {rng_txt}, got {p[bad].tolist()}")
    return p


def _unit_arrays(inputs, weights, keep_ps):
    I = np.asarray(inputs, dtype=np.float64).ravel()
    w = np.asarray(weights, dtype=np.float64).ravel()
    if I.shape != w.shape:
        raise ValueError(f"inputs and weights must have the same length, got {I.size} and {w.size}")
    return I, w, _keep_ps(keep_ps, I.size)
