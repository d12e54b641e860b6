"""Dropout as a regularizer (Baldi & Sadowski 2013): the expected dropout gradient of one linear unit
is the gradient of a regularized ensemble error; its Monte-Carlo check; p(1-p) and (1-p)/p."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..validation import as_generator
from .checks import MAX_MC_ELEMENTS, Z_99, _unit_arrays


def regularization_strength(keep_p):
    """p (1 - p): the penalty's factor on the training-time weights w; largest (1/4) at p = 1/2.

    It measures regularization only for fixed w. The weights used at test time are
    p w, on which the same penalty reads :func:`test_weight_penalty`.
    """
    p = np.asarray(keep_p, dtype=np.float64)
    return p * (1.0 - p)


def test_weight_penalty(keep_p):
    """(1 - p) / p: the penalty's factor on the test-time weights p w; grows without bound as p falls.

    p (1 - p) w^2 = ((1 - p) / p) (p w)^2, so for the weights the net predicts with,
    a smaller p always regularizes more (lambda = 1, 4, 9 at p = 0.5, 0.2, 0.1).
    """
    p = np.asarray(keep_p, dtype=np.float64)
    if np.any(p <= 0.0) or np.any(p > 1.0):
        raise ValueError(f"keep_p must be in (0, 1], got {keep_p!r}")
    return (1.0 - p) / p


# --------------------------------------------------------------------------
# Baldi & Sadowski 2013: one linear unit O = sum_i w_i I_i, target t
# --------------------------------------------------------------------------


def ensemble_gradient(inputs, weights, target, keep_ps) -> np.ndarray:
    """Gradient of the ensemble error E_N = 1/2 (t - sum_i p_i w_i I_i)^2.

    dE_N/dw_i = -(t - sum_j p_j w_j I_j) p_i I_i
              = -t p_i I_i + w_i p_i^2 I_i^2 + sum_{j != i} w_j p_i p_j I_i I_j
    """
    I, w, p = _unit_arrays(inputs, weights, keep_ps)
    residual = float(target) - np.dot(p * w, I)
    return -residual * p * I


def expected_dropout_gradient(inputs, weights, target, keep_ps) -> np.ndarray:
    """Analytic E[dE_D/dw_i] for E_D = 1/2 (t - sum_i d_i w_i I_i)^2, d_i ~ B(p_i).

    E[dE_D/dw_i] = dE_N/dw_i + w_i p_i (1 - p_i) I_i^2

    The extra term is Var(d_i) w_i I_i^2: E[d_i^2] = p_i, not p_i^2.
    """
    I, w, p = _unit_arrays(inputs, weights, keep_ps)
    return ensemble_gradient(I, w, target, p) + w * p * (1.0 - p) * I**2


def regularized_error(inputs, weights, target, keep_ps) -> float:
    """E_R = E_N + 1/2 sum_i p_i (1 - p_i) w_i^2 I_i^2  (= E[E_D] exactly).

    With the 1/2 (the lecture's slide omits it; the Theory page says so): dE_R/dw = E[dE_D/dw].
    """
    I, w, p = _unit_arrays(inputs, weights, keep_ps)
    e_n = 0.5 * (float(target) - np.dot(p * w, I)) ** 2
    return float(e_n + 0.5 * np.sum(p * (1.0 - p) * w**2 * I**2))


@dataclass(frozen=True)
class MCGradient:
    """Running Monte-Carlo estimate of E[dE_D/dw] (rows: n = 1..n_samples)."""

    counts: np.ndarray  # (n_samples,)  1, 2, ..., n_samples
    mean: np.ndarray  # (n_samples, n_weights) running mean
    half_width: np.ndarray  # (n_samples, n_weights) 99 % CI half-width (inf at n=1)
    std: np.ndarray  # (n_samples, n_weights) running sample std (ddof=1)


def mc_dropout_gradient(inputs, weights, target, keep_ps, n_samples: int, rng) -> MCGradient:
    """Sample dE_D/dw_i = -(t - sum_j d_j w_j I_j) d_i I_i and average.

    Returns the running mean over the first n samples for every n, and a 99 %
    normal-approximation half-width ``Z_99 * s_n / sqrt(n)`` with s_n the
    running sample std, for a convergence plot. Vectorized: all masks are
    drawn at once.
    """
    I, w, p = _unit_arrays(inputs, weights, keep_ps)
    n_samples = int(n_samples)
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}")
    if n_samples * I.size > MAX_MC_ELEMENTS:
        raise ValueError(f"n_samples * n_weights must be <= {MAX_MC_ELEMENTS}, got {n_samples} * {I.size}")
    gen = as_generator(rng)
    delta = gen.random((n_samples, I.size)) < p
    residual = float(target) - (delta * (w * I)).sum(axis=1)
    grads = -residual[:, None] * delta * I

    counts = np.arange(1, n_samples + 1, dtype=np.float64)
    mean = np.cumsum(grads, axis=0) / counts[:, None]
    # Running variance from cumulative sums is prone to cancellation; shifting
    # by the first sample (the "shifted data" algorithm) keeps it accurate
    # while staying vectorized.
    shifted = grads - grads[0]
    s1 = np.cumsum(shifted, axis=0)
    s2 = np.cumsum(shifted**2, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (s2 - s1**2 / counts[:, None]) / (counts[:, None] - 1.0)
    var = np.maximum(var, 0.0)
    var[0] = np.inf  # one sample says nothing about the spread
    std = np.sqrt(var)
    half = Z_99 * std / np.sqrt(counts)[:, None]
    return MCGradient(counts=counts.astype(np.int64), mean=mean, half_width=half, std=std)
