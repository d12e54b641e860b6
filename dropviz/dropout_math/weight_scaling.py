"""Weight scaling for a logistic unit (the NWGM of all 2^n sub-networks equals the weight-scaled
network), Gaussian dropout's and DropConnect's moment matching."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..validation import as_generator, check_keep_p
from .checks import MAX_ENUMERATED_UNITS, _unit_arrays

# --------------------------------------------------------------------------
# Weight scaling for one logistic unit: O = sigma(sum_i d_i w_i I_i + b)
# --------------------------------------------------------------------------


def _sigmoid(z):
    z = np.asarray(z, dtype=np.float64)
    # exp of a non-positive number only: no overflow for large |z|.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


@dataclass(frozen=True)
class Subnetworks:
    """All 2^n dropout sub-networks of one logistic unit."""

    masks: np.ndarray  # (2^n, n) bool, row k = binary digits of k
    probs: np.ndarray  # (2^n,) probability of each mask, sums to 1
    logits: np.ndarray  # (2^n,) sum_i d_i w_i I_i + b
    outputs: np.ndarray  # (2^n,) sigma(logits)


def enumerate_subnetworks(inputs, weights, bias, keep_ps) -> Subnetworks:
    """Every mask d in {0,1}^n with P(d) = prod_i p_i^d_i (1 - p_i)^(1 - d_i)
    and the unit's output sigma(sum_i d_i w_i I_i + b)."""
    I, w, p = _unit_arrays(inputs, weights, keep_ps)
    n = I.size
    if n > MAX_ENUMERATED_UNITS:
        raise ValueError(f"enumerating 2^{n} sub-networks is too many; n must be <= {MAX_ENUMERATED_UNITS}")
    masks = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(bool)
    probs = np.prod(np.where(masks, p, 1.0 - p), axis=1)
    logits = masks @ (w * I) + float(bias)
    return Subnetworks(masks=masks, probs=probs, logits=logits, outputs=_sigmoid(logits))


def nwgm(outputs, probs) -> float:
    """Normalized weighted geometric mean G / (G + G'),

    G = prod_k sigma_k^P_k,  G' = prod_k (1 - sigma_k)^P_k.

    Computed in log space (the products underflow for many sub-networks):
    G / (G + G') = sigma(log G - log G').
    """
    o = np.asarray(outputs, dtype=np.float64).ravel()
    P = np.asarray(probs, dtype=np.float64).ravel()
    with np.errstate(divide="ignore"):
        log_g = np.sum(P * np.log(o))
        log_g_comp = np.sum(P * np.log1p(-o))
    return float(_sigmoid(log_g - log_g_comp))


def weight_scaled_output(inputs, weights, bias, keep_ps) -> float:
    """sigma(sum_i p_i w_i I_i + b): the weight-scaling approximation.

    Equals :func:`nwgm` of all sub-networks exactly, because
    log(G/G') = sum_k P_k logit_k = E[logit] = sum_i p_i w_i I_i + b.
    """
    I, w, p = _unit_arrays(inputs, weights, keep_ps)
    return float(_sigmoid(np.dot(p * w, I) + float(bias)))


def arithmetic_mean_output(outputs, probs) -> float:
    """The true ensemble average sum_k P_k sigma_k (differs from the NWGM)."""
    return float(np.dot(np.asarray(probs, dtype=np.float64).ravel(), np.asarray(outputs, dtype=np.float64).ravel()))


# --------------------------------------------------------------------------
# Gaussian dropout and DropConnect moment matching
# --------------------------------------------------------------------------


def gaussian_dropout_sigma2(keep_p):
    """sigma^2 = (1 - p) / p for multiplicative noise r ~ N(1, sigma^2)."""
    p = np.asarray(keep_p, dtype=np.float64)
    if np.any(~((p > 0) & (p <= 1))):
        raise ValueError(f"keep_p must be in (0, 1], got {keep_p!r}")
    return (1.0 - p) / p


def gaussian_vs_bernoulli_moments(keep_p, n_samples: int = 0, rng=None) -> dict:
    """Mean and variance of the inverted-dropout multiplier r in {0, 1/p} and
    of Gaussian dropout r ~ N(1, (1-p)/p): both are 1 and (1-p)/p.

    Bernoulli: E[r] = p (1/p) = 1, E[r^2] = p / p^2 = 1/p, Var = (1-p)/p.
    With ``n_samples > 0`` (and ``rng``) empirical moments are added.
    """
    p = check_keep_p(keep_p)
    out = {
        "bernoulli_mean": 1.0,
        "bernoulli_var": 1.0 / p - 1.0,
        "gaussian_mean": 1.0,
        "gaussian_var": float(gaussian_dropout_sigma2(p)),
    }
    if n_samples:
        gen = as_generator(rng)
        rb = (gen.random(int(n_samples)) < p) / p
        rg = 1.0 + math.sqrt(out["gaussian_var"]) * gen.standard_normal(int(n_samples))
        out.update(
            bernoulli_mean_mc=float(rb.mean()),
            bernoulli_var_mc=float(rb.var()),
            gaussian_mean_mc=float(rg.mean()),
            gaussian_var_mc=float(rg.var()),
        )
    return out


def dropconnect_moments(W, v, keep_p):
    """Mean and variance of u = (M * W) v, M_ij ~ Bernoulli(p) (Wan et al. 2013).

    E[u] = p W v,  Var[u] = p (1 - p) (W * W)(v * v)  (independent weights).
    """
    p = check_keep_p(keep_p)
    W = np.asarray(W, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    return p * (W @ v), p * (1.0 - p) * ((W * W) @ (v * v))
