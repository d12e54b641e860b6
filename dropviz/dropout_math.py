"""The mathematics of dropout on plain numpy arrays (no torch, no UI).

Sections
--------
* Baldi & Sadowski (2013): the expected dropout gradient of one linear unit is
  the gradient of a regularized ensemble error; Monte-Carlo check of it.
* Linear regression (Srivastava et al. 2014, section 9.1): dropout on the
  inputs is ridge regression with a data-dependent penalty; SGD with fresh
  masks converges to the closed form.
* Dropout vs DropConnect masks and how many sub-networks each defines.
* Weight scaling for a logistic unit: the normalized weighted geometric mean
  of all 2^n sub-networks equals the weight-scaled network exactly.
* Gaussian dropout and DropConnect moment matching.

``keep_p`` / ``keep_ps`` is always the probability of KEEPING a unit (the
paper's p). Every formula is in the docstring of the function computing it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dropviz.numpy_dropout import as_generator, check_keep_p

# Two-sided 99 % normal quantile, Phi^-1(0.995); hard-coded so that this module
# needs numpy only (tests check it against scipy).
Z_99 = 2.5758293035489004

# Caps keep user-driven sizes from exhausting memory (DESIGN: bounded
# everything); the messages say what is allowed.
MAX_MC_ELEMENTS = 20_000_000
MAX_ENUMERATED_UNITS = 20
MAX_SUBNETWORK_EXPONENT = 10_000_000


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# Linear regression (paper section 9.1; the lecture's 实现原理 slide)
# --------------------------------------------------------------------------


def make_regression_problem(n_samples: int, n_features: int, noise: float, rng):
    """Random linear-regression data y = X w_true + noise.

    Feature columns get different scales (0.5 .. 2) so that the dropout
    penalty, which weighs each w_j by the energy of column j, visibly differs
    from plain L2 ridge on the raw columns (it is plain ridge on unit-energy columns). Returns ``(X, y, w_true)``.
    """
    n_samples, n_features = int(n_samples), int(n_features)
    if n_samples < 1 or n_features < 1:
        raise ValueError(f"n_samples and n_features must be >= 1, got {n_samples}, {n_features}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    gen = as_generator(rng)
    scales = np.linspace(0.5, 2.0, n_features)
    X = gen.standard_normal((n_samples, n_features)) * scales
    w_true = gen.standard_normal(n_features)
    y = X @ w_true + noise * gen.standard_normal(n_samples)
    return X, y, w_true


def _xy(X, y):
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).ravel()
    if X.ndim != 2 or X.shape[0] != y.size:
        raise ValueError(f"X must be (n_samples, n_features) and y (n_samples,), got {X.shape} and {y.shape}")
    return X, y


def _solve(A, b):
    try:
        return np.linalg.solve(A, b)
    except np.linalg.LinAlgError:
        # e.g. an all-zero feature column: return the minimum-norm solution.
        return np.linalg.lstsq(A, b, rcond=None)[0]


def gamma_squared(X) -> np.ndarray:
    """diag(Gamma^2) = diag(X^T X): the energy of each input column."""
    X = np.asarray(X, dtype=np.float64)
    return np.einsum("ij,ij->j", X, X)


def least_squares_solution(X, y) -> np.ndarray:
    """argmin_w ||y - X w||^2 (minimum-norm if X is rank deficient)."""
    X, y = _xy(X, y)
    return np.linalg.lstsq(X, y, rcond=None)[0]


def dropout_ridge_solution(X, y, keep_p) -> np.ndarray:
    """argmin_w ||y - p X w||^2 + p (1 - p) ||Gamma w||^2,  Gamma = diag(X^T X)^{1/2}.

    This is the minimizer of E_R ||y - (R * X) w||^2 with R_ij ~ Bernoulli(p)
    (masks on the inputs, no rescaling). Setting the gradient to zero and
    dividing by p:  (p X^T X + (1 - p) diag(X^T X)) w = X^T y.
    """
    X, y = _xy(X, y)
    p = check_keep_p(keep_p)
    A = p * (X.T @ X) + (1.0 - p) * np.diag(gamma_squared(X))
    return _solve(A, X.T @ y)


def dropout_ridge_solution_rescaled(X, y, keep_p) -> np.ndarray:
    """argmin_w~ ||y - X w~||^2 + ((1 - p)/p) ||Gamma w~||^2  (w~ = p w).

    The same problem written for the weights actually used at test time under
    weight scaling (and learned directly by inverted dropout): a ridge
    regression whose penalty on w~_j scales with column j's energy, i.e. plain
    ridge on unit-energy columns (see :func:`shrink_ratios`).
    Normal equations: (X^T X + ((1 - p)/p) diag(X^T X)) w~ = X^T y.
    """
    X, y = _xy(X, y)
    p = check_keep_p(keep_p)
    A = X.T @ X + ((1.0 - p) / p) * np.diag(gamma_squared(X))
    return _solve(A, X.T @ y)


def shrink_ratios(X, y, keep_p) -> np.ndarray:
    """w~_j / (least squares)_j: how much dropout shrinks each test-time weight.

    The penalty ((1 - p)/p) sum_j Gamma_jj^2 w~_j^2 is plain ridge on the columns
    rescaled to unit energy, so a ratio does not change when its column is rescaled;
    with orthogonal columns every ratio is p. With correlated columns they differ,
    but not in the order of Gamma_jj.
    """
    return dropout_ridge_solution_rescaled(X, y, keep_p) / least_squares_solution(X, y)


def expected_masked_loss(X, y, w, keep_p) -> float:
    """E_R ||y - (R * X) w||^2 = ||y - p X w||^2 + p (1 - p) ||Gamma w||^2.

    Per row, (R*X)w has mean p X_n w and variance p(1-p) sum_j X_nj^2 w_j^2;
    summing the variances over rows gives the Gamma term.
    """
    X, y = _xy(X, y)
    p = check_keep_p(keep_p)
    w = np.asarray(w, dtype=np.float64).ravel()
    resid = y - p * (X @ w)
    return float(resid @ resid + p * (1.0 - p) * np.sum(gamma_squared(X) * w**2))


def mc_masked_loss(X, y, w, keep_p, n_samples: int, rng):
    """Monte-Carlo mean of ||y - (R * X) w||^2 over fresh masks R.

    Returns ``(mean, standard_error)`` to compare with
    :func:`expected_masked_loss`.
    """
    X, y = _xy(X, y)
    p = check_keep_p(keep_p)
    w = np.asarray(w, dtype=np.float64).ravel()
    n_samples = int(n_samples)
    if n_samples < 2:
        raise ValueError(f"n_samples must be >= 2, got {n_samples}")
    gen = as_generator(rng)
    # Chunked so that memory stays bounded whatever n_samples is.
    chunk = max(1, MAX_MC_ELEMENTS // (4 * X.size))
    losses = []
    done = 0
    Xw = X * w  # (R*X) w = sum_j R_nj X_nj w_j
    while done < n_samples:
        k = min(chunk, n_samples - done)
        R = gen.random((k,) + X.shape) < p
        resid = y - (R * Xw).sum(axis=2)
        losses.append((resid**2).sum(axis=1))
        done += k
    losses = np.concatenate(losses)
    return float(losses.mean()), float(losses.std(ddof=1) / math.sqrt(n_samples))


@dataclass(frozen=True)
class SGDResult:
    """Outcome of :func:`sgd_dropout_regression`."""

    w: np.ndarray  # Polyak-averaged weights (the estimate)
    w_last: np.ndarray  # last raw SGD iterate
    target: np.ndarray  # the closed form it should converge to
    steps: np.ndarray  # recorded step numbers
    rel_error: np.ndarray  # ||w_avg - target|| / ||target|| at those steps
    rel_error_last: np.ndarray  # same for the raw iterate (noisier)
    lr: float  # initial learning rate used


def sgd_dropout_regression(
    X,
    y,
    keep_p,
    steps: int = 20_000,
    lr=None,
    rng=0,
    record_every: int = 100,
    *,
    batch_size=None,
    scaling: str = "weight-scaling",
) -> SGDResult:
    """Linear regression trained by SGD with fresh Bernoulli input masks.

    Each step draws R ~ Bernoulli(p) for every (row, feature) of the batch and
    takes a gradient step on (1/B) ||y_b - (R * X_b) w||^2 (``scaling=
    "weight-scaling"``; converges to :func:`dropout_ridge_solution`) or on
    (1/B) ||y_b - (R * X_b / p) w||^2 (``scaling="inverted"``; converges to
    :func:`dropout_ridge_solution_rescaled`, i.e. p times the former).

    The mask noise never vanishes, so plain SGD with a constant step would
    hover around the optimum; the step decays as lr / (1 + t/tau)^0.6 and the
    returned estimate is the Polyak-Ruppert average of the iterates of the
    second half of training, which converges to the closed form.

    ``lr=None`` picks 0.5 / L, L = the largest eigenvalue of the expected
    Hessian plus 2 E||masked row||^2 / B. ``batch_size=None`` uses all rows.
    """
    X, y = _xy(X, y)
    p = check_keep_p(keep_p)
    if scaling not in ("weight-scaling", "inverted"):
        raise ValueError(f"scaling must be 'weight-scaling' or 'inverted', got {scaling!r}")
    steps, record_every = int(steps), int(record_every)
    if steps < 1 or record_every < 1:
        raise ValueError(f"steps and record_every must be >= 1, got {steps}, {record_every}")
    n, d = X.shape
    B = n if batch_size is None else int(batch_size)
    if not 1 <= B <= n:
        raise ValueError(f"batch_size must be in [1, {n}], got {batch_size}")
    gen = as_generator(rng)
    scale = 1.0 if scaling == "weight-scaling" else 1.0 / p
    target = (
        dropout_ridge_solution(X, y, p) if scaling == "weight-scaling" else dropout_ridge_solution_rescaled(X, y, p)
    )

    if lr is None:
        # Expected curvature of the masked loss plus the per-example mask noise
        # term that limits SGD's stable step (as for least-mean-squares:
        # step <~ B / E||x_masked||^2); this adapts to p, unlike a worst-case
        # bound, which made small keep_p crawl.
        energy = gamma_squared(X)
        if scaling == "weight-scaling":
            H = (2.0 / n) * (p * p * (X.T @ X) + p * (1.0 - p) * np.diag(energy))
            row_energy = p * energy.sum() / n
        else:
            H = (2.0 / n) * (X.T @ X + (1.0 - p) / p * np.diag(energy))
            row_energy = energy.sum() / (n * p)
        L = np.linalg.eigvalsh(H)[-1] + 2.0 * row_energy / B
        lr = 0.5 / L
    lr = float(lr)
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr}")

    tau = max(1.0, steps / 50.0)
    burn_in = steps // 2
    w = np.zeros(d)
    w_avg = w.copy()
    norm_t = max(np.linalg.norm(target), 1e-300)
    rec_steps, rec_err, rec_err_last = [], [], []
    for t in range(steps):
        if B == n:
            Xb, yb = X, y
        else:
            idx = gen.choice(n, size=B, replace=False)
            Xb, yb = X[idx], y[idx]
        Xm = (gen.random(Xb.shape) < p) * Xb * scale
        grad = (-2.0 / B) * (Xm.T @ (yb - Xm @ w))
        w -= lr * (1.0 + t / tau) ** -0.6 * grad
        if t < burn_in:
            w_avg = w.copy()
        else:
            w_avg += (w - w_avg) / (t - burn_in + 1)
        if (t + 1) % record_every == 0 or t + 1 == steps:
            rec_steps.append(t + 1)
            rec_err.append(np.linalg.norm(w_avg - target) / norm_t)
            rec_err_last.append(np.linalg.norm(w - target) / norm_t)
    return SGDResult(
        w=w_avg,
        w_last=w.copy(),
        target=target,
        steps=np.asarray(rec_steps),
        rel_error=np.asarray(rec_err),
        rel_error_last=np.asarray(rec_err_last),
        lr=lr,
    )


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
