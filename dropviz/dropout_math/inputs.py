"""Parsing the vectors a user types on the Theory page, with a message naming what is wrong."""

from __future__ import annotations

import math

import numpy as np

# --------------------------------------------------------------------------
# Parsing user-typed vectors (the Theory page's inputs)
# --------------------------------------------------------------------------


def parse_vector(
    text: str, name: str, n: int | None, lo: float = -100.0, hi: float = 100.0, max_len: int = 20
) -> np.ndarray:
    """Parse "0.5, -1, 2" into an array of ``n`` floats in [lo, hi].

    Separators: commas, semicolons, spaces or the Chinese comma "，". One
    number is repeated n times (e.g. the same p for every input).
    ``n=None`` accepts any length from 1 to ``max_len``. Raises ValueError
    with a message that names ``name``, what was wrong and what is allowed,
    for the page to show as it is.
    """
    raw = str(text).replace("，", ",").replace(";", ",").replace(" ", ",")
    parts = [part for part in raw.split(",") if part.strip()]
    if not parts:
        if n is None:
            raise ValueError(f"{name}: enter 1 to {max_len} numbers separated by commas")
        raise ValueError(f"{name}: enter {n} numbers separated by commas (or one number for all)")
    values = []
    for k, part in enumerate(parts, start=1):
        try:
            value = float(part)
        except ValueError:
            raise ValueError(f"{name}: {part.strip()!r} (item {k}) is not a number") from None
        if not math.isfinite(value):
            raise ValueError(f"{name}: item {k} is {part.strip()}; only finite numbers are allowed")
        values.append(value)
    if n is None:
        if len(values) > max_len:
            raise ValueError(f"{name}: at most {max_len} numbers are allowed, got {len(values)}")
        n = len(values)
    n = int(n)
    if len(values) == 1:
        values = values * n
    if len(values) != n:
        raise ValueError(f"{name}: expected {n} numbers (n = {n}) or one number for all, got {len(values)}")
    arr = np.asarray(values, dtype=np.float64)
    bad = np.flatnonzero((arr < lo) | (arr > hi))
    if bad.size:
        k = int(bad[0])
        raise ValueError(f"{name}: item {k + 1} is {arr[k]:g}; allowed range is [{lo:g}, {hi:g}]")
    return arr
