"""Linear regression (Srivastava et al. 2014, section 9.1): dropout on the inputs is ridge regression
with a data-dependent penalty; SGD with fresh masks converges to the closed form."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..validation import as_generator, check_keep_p, check_scaling
from .checks import MAX_MC_ELEMENTS

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
    check_scaling(scaling)
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
