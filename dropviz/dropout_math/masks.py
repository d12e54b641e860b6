"""Dropout vs DropConnect masks on one weight matrix, and how many sub-networks each defines."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..validation import as_generator, check_keep_p
from .checks import MAX_SUBNETWORK_EXPONENT

# --------------------------------------------------------------------------
# Dropout vs DropConnect: masks on one weight matrix W (n_out, n_in)
# --------------------------------------------------------------------------


def effective_weight_mask_dropout(n_out: int, n_in: int, keep_p, rng, *, mask_outputs: bool = False) -> np.ndarray:
    """The (n_out, n_in) 0/1 pattern of W that one dropout mask leaves active.

    Dropping input unit j removes every weight leaving it: column j of W.
    With ``mask_outputs=True`` the layer's own output units are dropped too,
    which removes rows: the effective mask is outer(m_out, m_in), i.e. whole
    rows and columns are zeroed (the lecture's "随机的行和列").
    """
    p = check_keep_p(keep_p)
    gen = as_generator(rng)
    m_in = gen.random(int(n_in)) < p
    m_out = gen.random(int(n_out)) < p if mask_outputs else np.ones(int(n_out), bool)
    return np.outer(m_out, m_in)


def effective_weight_mask_dropconnect(n_out: int, n_in: int, keep_p, rng) -> np.ndarray:
    """DropConnect: every weight kept independently, M_ij ~ Bernoulli(p)."""
    p = check_keep_p(keep_p)
    gen = as_generator(rng)
    return gen.random((int(n_out), int(n_in))) < p


def format_big_int(value: int) -> str:
    """'2^1024 ≈ 1.8e308' for powers of two, '1,023 ...' for small ones."""
    value = int(value)
    if value < 1_000_000:
        return f"{value:,}"
    log10 = math.log10(value)  # exact enough for huge Python ints
    exp10 = math.floor(log10)
    mant = 10 ** (log10 - exp10)
    approx = f"{mant:.1f}e{exp10}"
    if value & (value - 1) == 0:
        return f"2^{value.bit_length() - 1} ≈ {approx}"
    return f"≈ {approx}"


@dataclass(frozen=True)
class SubnetworkCount:
    """How many sub-networks one layer's masks define."""

    method: str
    mask_configurations: int  # number of distinct Bernoulli mask draws
    distinct_weight_masks: int  # number of distinct effective (n_out, n_in) masks
    log2_configurations: int
    text: str  # formatted mask_configurations


def count_subnetworks(n_out: int, n_in: int, method: str, *, mask_outputs: bool = False) -> SubnetworkCount:
    """Count the sub-networks of one (n_out, n_in) layer as exact Python ints.

    * ``"dropout"``, inputs masked: 2^n_in masks, all distinct as weight
      patterns (each column is non-empty).
    * ``"dropout"`` with ``mask_outputs=True``: 2^(n_in + n_out) mask draws,
      but every draw with all inputs or all outputs dropped gives the same
      all-zero W, so only (2^n_out - 1)(2^n_in - 1) + 1 distinct patterns.
    * ``"dropconnect"``: 2^(n_out n_in) masks, all distinct (``mask_outputs``
      is ignored: every weight already has its own mask).
    """
    n_out, n_in = int(n_out), int(n_in)
    if n_out < 1 or n_in < 1:
        raise ValueError(f"n_out and n_in must be >= 1, got {n_out}, {n_in}")
    if method == "dropout":
        exponent = n_in + n_out if mask_outputs else n_in
    elif method == "dropconnect":
        exponent = n_out * n_in
    else:
        raise ValueError(f"method must be 'dropout' or 'dropconnect', got {method!r}")
    if exponent > MAX_SUBNETWORK_EXPONENT:
        raise ValueError(
            f"2^{exponent} is too large to build exactly; the exponent must be <= {MAX_SUBNETWORK_EXPONENT}"
        )
    configs = 1 << exponent
    if method == "dropout" and mask_outputs:
        distinct = ((1 << n_out) - 1) * ((1 << n_in) - 1) + 1
    else:
        distinct = configs
    return SubnetworkCount(
        method=method,
        mask_configurations=configs,
        distinct_weight_masks=distinct,
        log2_configurations=exponent,
        text=format_big_int(configs),
    )
