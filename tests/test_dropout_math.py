"""Dropout mathematics: Baldi-Sadowski, ridge equivalence, masks, NWGM, moments."""

import itertools
import math
import time

import numpy as np
import pytest

from dropviz import dropout_math as th
from ui.text.theory import TEXT as THEORY_TEXT

# ------------------------------------------------------- Baldi & Sadowski

# Hand-computed (n = 2): I = (1, 2), w = (0.5, -1), t = 1, p = (0.5, 0.8).
# sum p w I = 0.25 - 1.6 = -1.35, residual t - (-1.35) = 2.35.
# dE_N/dw = -2.35 * p * I = (-1.175, -3.76)
# penalty w p (1-p) I^2 = (0.5*0.25*1, -1*0.16*4) = (0.125, -0.64)
# E_R = 0.5*2.35^2 + 0.5*(0.0625 + 0.64) = 2.76125 + 0.35125 = 3.1125
HAND = dict(inputs=[1.0, 2.0], weights=[0.5, -1.0], target=1.0, keep_ps=[0.5, 0.8])


def test_ensemble_gradient_by_hand():
    np.testing.assert_allclose(th.ensemble_gradient(**HAND), [-1.175, -3.76])


def test_expected_dropout_gradient_by_hand():
    np.testing.assert_allclose(th.expected_dropout_gradient(**HAND), [-1.05, -4.4])


def test_regularized_error_by_hand_with_the_half():
    assert th.regularized_error(**HAND) == pytest.approx(3.1125)
    note_en, note_zh = THEORY_TEXT["half_note"]  # what the Theory page says about the slide's missing 1/2
    assert "½" in note_en and "lecture" in note_en
    assert "½" in note_zh and "讲义" in note_zh


def _enumerate_expectation(inputs, weights, target, keep_ps):
    """Exact E[dE_D/dw] and E[E_D] by summing over all 2^n masks."""
    I, w, p = map(np.asarray, (inputs, weights, keep_ps))
    grad, err = np.zeros_like(w), 0.0
    for bits in itertools.product([0, 1], repeat=len(w)):
        d = np.array(bits, float)
        prob = np.prod(np.where(d == 1, p, 1 - p))
        resid = target - np.sum(d * w * I)
        grad += prob * (-resid * d * I)
        err += prob * 0.5 * resid**2
    return grad, err


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_expected_gradient_and_error_match_exact_enumeration(seed):
    rng = np.random.default_rng(seed)
    n = 5
    args = dict(
        inputs=rng.normal(size=n), weights=rng.normal(size=n), target=float(rng.normal()), keep_ps=rng.uniform(0, 1, n)
    )
    grad, err = _enumerate_expectation(**args)
    np.testing.assert_allclose(th.expected_dropout_gradient(**args), grad, atol=1e-12)
    assert th.regularized_error(**args) == pytest.approx(err, abs=1e-12)


def test_regularized_error_gradient_is_expected_gradient():
    rng = np.random.default_rng(3)
    I, w, p = rng.normal(size=4), rng.normal(size=4), rng.uniform(0.1, 0.9, 4)
    h = 1e-6
    fd = [
        (th.regularized_error(I, w + h * e, 0.7, p) - th.regularized_error(I, w - h * e, 0.7, p)) / (2 * h)
        for e in np.eye(4)
    ]
    np.testing.assert_allclose(fd, th.expected_dropout_gradient(I, w, 0.7, p), atol=1e-7)


def test_z99_constant():
    from scipy.stats import norm

    assert th.Z_99 == pytest.approx(norm.ppf(0.995), abs=1e-12)


@pytest.mark.parametrize("seed", [10, 11, 12, 13, 14])
def test_mc_gradient_agrees_with_analytic_within_its_ci(seed):
    rng = np.random.default_rng(seed)
    n = 6
    I, w = rng.normal(size=n), rng.normal(size=n)
    p = rng.uniform(0.2, 0.9, n)
    t = float(rng.normal())
    analytic = th.expected_dropout_gradient(I, w, t, p)
    mc = th.mc_dropout_gradient(I, w, t, p, 20_000, rng)
    assert mc.mean.shape == mc.half_width.shape == (20_000, n)
    np.testing.assert_array_equal(mc.counts[:3], [1, 2, 3])
    assert np.isinf(mc.half_width[0]).all()
    dev = np.abs(mc.mean[-1] - analytic)
    # 99 % intervals on 6 components: most must cover, and none may miss
    # by more than a Bonferroni-style widening (99.9 %+ over all).
    assert np.mean(dev <= mc.half_width[-1]) >= 5 / 6
    assert np.all(dev <= 1.5 * mc.half_width[-1])
    # And the interval shrinks like 1/sqrt(n).
    ratio = mc.half_width[-1] / mc.half_width[4_999]
    np.testing.assert_allclose(ratio, 0.5, rtol=0.1)


def test_mc_running_statistics_match_direct_computation():
    I, w, p = np.array([1.0, -2.0, 0.5]), np.array([0.3, 0.1, -1.0]), 0.5
    mc = th.mc_dropout_gradient(I, w, 2.0, p, 50, 4)
    # Redraw the same masks to recompute the samples independently.
    delta = np.random.default_rng(4).random((50, 3)) < p
    g = -(2.0 - (delta * w * I).sum(axis=1))[:, None] * delta * I
    np.testing.assert_allclose(mc.mean[9], g[:10].mean(axis=0))
    np.testing.assert_allclose(mc.std[9], g[:10].std(axis=0, ddof=1), atol=1e-12)
    np.testing.assert_allclose(mc.half_width[49], th.Z_99 * g.std(axis=0, ddof=1) / math.sqrt(50))


def test_regularization_strength_peaks_at_half():
    ps = np.linspace(0, 1, 101)
    s = th.regularization_strength(ps)
    assert ps[np.argmax(s)] == pytest.approx(0.5)
    assert s.max() == pytest.approx(0.25)


def test_keep_ps_validated():
    with pytest.raises(ValueError, match=r"keep_ps must be in \[0, 1\]"):
        th.expected_dropout_gradient([1.0], [1.0], 0.0, [1.5])
    with pytest.raises(ValueError, match="keep_ps"):
        th.expected_dropout_gradient([1.0], [1.0], 0.0, [float("nan")])


# ------------------------------------------------------- ridge equivalence


@pytest.fixture(scope="module")
def problem():
    return th.make_regression_problem(200, 5, 0.5, 0)


@pytest.mark.parametrize("keep_p", [0.3, 0.5, 0.8])
def test_expected_masked_loss_equals_mc_average(problem, keep_p):
    X, y, _ = problem
    w = np.random.default_rng(1).normal(size=X.shape[1])
    analytic = th.expected_masked_loss(X, y, w, keep_p)
    mean, se = th.mc_masked_loss(X, y, w, keep_p, 20_000, 2)
    assert abs(mean - analytic) < 4 * se
    assert mean == pytest.approx(analytic, rel=0.02)


def test_dropout_ridge_solution_minimizes_expected_loss(problem):
    X, y, _ = problem
    w_star = th.dropout_ridge_solution(X, y, 0.6)
    f0 = th.expected_masked_loss(X, y, w_star, 0.6)
    rng = np.random.default_rng(0)
    for _ in range(20):
        assert th.expected_masked_loss(X, y, w_star + 1e-3 * rng.normal(size=5), 0.6) > f0
    # Gradient of ||y - pXw||^2 + p(1-p)||Gamma w||^2 vanishes there.
    p, G2 = 0.6, np.diag(X.T @ X)
    grad = -2 * p * X.T @ (y - p * X @ w_star) + 2 * p * (1 - p) * G2 * w_star
    np.testing.assert_allclose(grad, 0, atol=1e-8)


@pytest.mark.parametrize("keep_p", [0.2, 0.5, 0.9])
def test_rescaled_solution_is_p_times_w(problem, keep_p):
    X, y, _ = problem
    np.testing.assert_allclose(
        th.dropout_ridge_solution_rescaled(X, y, keep_p), keep_p * th.dropout_ridge_solution(X, y, keep_p), rtol=1e-10
    )


def test_keep_p_one_is_least_squares(problem):
    X, y, _ = problem
    np.testing.assert_allclose(th.dropout_ridge_solution(X, y, 1.0), th.least_squares_solution(X, y), rtol=1e-10)


def test_penalty_weighs_high_energy_columns(problem):
    # Ridge with the data-dependent Gamma differs from plain L2 ridge.
    X, y, _ = problem
    p = 0.5
    lam = (1 - p) / p * np.mean(np.diag(X.T @ X))
    plain = np.linalg.solve(X.T @ X + lam * np.eye(5), X.T @ y)
    assert not np.allclose(plain, th.dropout_ridge_solution_rescaled(X, y, p), rtol=1e-3)


@pytest.mark.parametrize("scaling", ["weight-scaling", "inverted"])
@pytest.mark.parametrize("keep_p", [0.3, 0.7])
def test_sgd_converges_to_closed_form(problem, keep_p, scaling):
    X, y, _ = problem
    start = time.perf_counter()
    res = th.sgd_dropout_regression(X, y, keep_p, steps=20_000, lr=None, rng=5, record_every=500, scaling=scaling)
    assert time.perf_counter() - start < 10
    target = (
        th.dropout_ridge_solution(X, y, keep_p)
        if scaling == "weight-scaling"
        else th.dropout_ridge_solution_rescaled(X, y, keep_p)
    )
    np.testing.assert_allclose(res.target, target)
    rel = np.linalg.norm(res.w - target) / np.linalg.norm(target)
    assert rel < 1e-2
    assert res.rel_error[-1] == pytest.approx(rel)
    assert res.steps[-1] == 20_000 and len(res.steps) == 40
    # It actually travelled: far from the target at the start.
    assert res.rel_error[0] > 5 * res.rel_error[-1]
    # And it is the dropout solution, not plain least squares.
    ls = th.least_squares_solution(X, y) * (1 if scaling == "inverted" else 1 / keep_p)
    assert np.linalg.norm(res.w - ls) / np.linalg.norm(ls) > 2 * rel


# ------------------------------------------------------- masks and counts


def test_dropout_mask_zeroes_whole_columns_dropconnect_does_not():
    m = th.effective_weight_mask_dropout(6, 8, 0.5, 0)
    assert m.shape == (6, 8)
    assert np.all(m.all(axis=0) | ~m.any(axis=0))  # each column all-on or all-off
    m2 = th.effective_weight_mask_dropout(6, 8, 0.5, 0, mask_outputs=True)
    rows_on, cols_on = m2.any(axis=1), m2.any(axis=0)
    np.testing.assert_array_equal(m2, np.outer(rows_on, cols_on))
    dc = th.effective_weight_mask_dropconnect(50, 50, 0.5, 0)
    assert dc.shape == (50, 50)
    assert not np.all(dc.all(axis=0) | ~dc.any(axis=0))
    assert abs(dc.mean() - 0.5) < 5 * math.sqrt(0.25 / 2500)


def _distinct_masks(n_out, n_in, method, mask_outputs=False):
    seen = set()
    if method == "dropconnect":
        for bits in itertools.product([0, 1], repeat=n_out * n_in):
            seen.add(bits)
        return len(seen)
    for m_in in itertools.product([0, 1], repeat=n_in):
        outs = itertools.product([0, 1], repeat=n_out) if mask_outputs else [(1,) * n_out]
        for m_out in outs:
            seen.add(tuple(np.outer(m_out, m_in).ravel()))
    return len(seen)


@pytest.mark.parametrize("n_out,n_in", [(2, 2), (2, 3), (3, 2)])
def test_count_subnetworks_by_brute_force(n_out, n_in):
    dc = th.count_subnetworks(n_out, n_in, "dropconnect")
    assert dc.mask_configurations == dc.distinct_weight_masks == _distinct_masks(n_out, n_in, "dropconnect")
    do = th.count_subnetworks(n_out, n_in, "dropout")
    assert do.mask_configurations == do.distinct_weight_masks == _distinct_masks(n_out, n_in, "dropout")
    both = th.count_subnetworks(n_out, n_in, "dropout", mask_outputs=True)
    assert both.mask_configurations == 2 ** (n_in + n_out)
    assert both.distinct_weight_masks == _distinct_masks(n_out, n_in, "dropout", True)


def test_count_subnetworks_exact_and_formatted():
    c = th.count_subnetworks(3, 1024, "dropout")
    assert c.mask_configurations == 2**1024 and c.log2_configurations == 1024
    assert c.text == "2^1024 ≈ 1.8e308"
    big = th.count_subnetworks(800, 784, "dropconnect")
    assert big.mask_configurations == 2 ** (800 * 784)
    assert big.text.startswith("2^627200 ≈ ")
    assert th.count_subnetworks(2, 2, "dropconnect").text == "16"
    with pytest.raises(ValueError, match="method must be"):
        th.count_subnetworks(2, 2, "dropblock")


# ------------------------------------------------------- weight scaling (NWGM)


@pytest.mark.parametrize("n,seed", [(2, 0), (3, 1), (6, 2), (9, 3), (12, 4)])
def test_nwgm_equals_weight_scaled_output(n, seed):
    rng = np.random.default_rng(seed)
    I, w = rng.normal(size=n), rng.normal(size=n)
    b, p = float(rng.normal()), rng.uniform(0.1, 0.95, n)
    subs = th.enumerate_subnetworks(I, w, b, p)
    assert subs.masks.shape == (2**n, n)
    assert subs.probs.sum() == pytest.approx(1.0, abs=1e-12)
    ws = th.weight_scaled_output(I, w, b, p)
    assert th.nwgm(subs.outputs, subs.probs) == pytest.approx(ws, abs=1e-12)
    am = th.arithmetic_mean_output(subs.outputs, subs.probs)
    assert abs(am - ws) > 1e-6  # the true ensemble mean is a different number


def test_enumerate_subnetworks_small_by_hand():
    subs = th.enumerate_subnetworks([2.0, 1.0], [1.0, -3.0], 0.5, [0.25, 0.5])
    # mask rows are the binary digits of 0..3 (unit 0 is the low bit).
    np.testing.assert_array_equal(subs.masks, [[0, 0], [1, 0], [0, 1], [1, 1]])
    np.testing.assert_allclose(subs.probs, [0.375, 0.125, 0.375, 0.125])
    np.testing.assert_allclose(subs.logits, [0.5, 2.5, -2.5, -0.5])
    np.testing.assert_allclose(subs.outputs, 1 / (1 + np.exp(-subs.logits)))


# ------------------------------------------------------- moments


@pytest.mark.parametrize("keep_p", [0.2, 0.5, 0.8])
def test_gaussian_dropout_matches_inverted_bernoulli_moments(keep_p):
    assert th.gaussian_dropout_sigma2(keep_p) == pytest.approx((1 - keep_p) / keep_p)
    m = th.gaussian_vs_bernoulli_moments(keep_p, 200_000, 0)
    assert m["gaussian_var"] == pytest.approx(m["bernoulli_var"])
    assert m["bernoulli_mean_mc"] == pytest.approx(1.0, abs=0.02)
    assert m["gaussian_mean_mc"] == pytest.approx(1.0, abs=0.02)
    assert m["bernoulli_var_mc"] == pytest.approx(m["bernoulli_var"], rel=0.03)
    assert m["gaussian_var_mc"] == pytest.approx(m["gaussian_var"], rel=0.03)
    with pytest.raises(ValueError):
        th.gaussian_dropout_sigma2(0.0)


def test_dropconnect_moments_match_sampling():
    rng = np.random.default_rng(0)
    W, v, p = rng.normal(size=(3, 4)), rng.normal(size=4), 0.6
    mean, var = th.dropconnect_moments(W, v, p)
    np.testing.assert_allclose(mean, p * W @ v)
    M = rng.random((100_000, 3, 4)) < p
    u = (M * W) @ v
    np.testing.assert_allclose(u.mean(axis=0), mean, atol=5 * np.sqrt(var.max() / 1e5))
    np.testing.assert_allclose(u.var(axis=0), var, rtol=0.03)
