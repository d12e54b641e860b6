"""Co-adaptation measures for the Co-adaptation page: correlation, DeCov, activation statistics, ablation, features."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch
from scipy.cluster import hierarchy
from scipy.spatial.distance import squareform

from ..models import MLP

# Units whose activation varies less than this over the probe set count as constant
# (a dead ReLU is exactly constant 0); their correlation is undefined.
CONSTANT_TOLERANCE = 1e-12
DEFAULT_ABLATION_QS = tuple(round(0.1 * i, 1) for i in range(10))  # 0.0 .. 0.9


def _as_2d(acts) -> np.ndarray:
    array = np.asarray(acts, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"activations must be a 2-D array (examples, units), got shape {array.shape}")
    if array.shape[0] < 2:
        raise ValueError(f"need at least 2 examples to measure co-variation, got {array.shape[0]}")
    return array


# --- correlation ------------------------------------------------------------------


def alive_units(acts, tolerance: float = CONSTANT_TOLERANCE) -> np.ndarray:
    """Boolean mask of units whose activation varies over the examples."""
    return _as_2d(acts).var(axis=0) > tolerance


def correlation_matrix(acts) -> np.ndarray:
    """Pearson correlation between units (units x units); NaN rows/columns for constant units."""
    array = _as_2d(acts)
    centred = array - array.mean(axis=0)
    std = np.sqrt((centred**2).mean(axis=0))
    constant = std**2 <= CONSTANT_TOLERANCE
    safe = np.where(constant, 1.0, std)
    standardized = centred / safe
    corr = standardized.T @ standardized / array.shape[0]
    corr = np.clip(corr, -1.0, 1.0)
    corr[constant, :] = np.nan
    corr[:, constant] = np.nan
    np.fill_diagonal(corr, np.where(constant, np.nan, 1.0))
    return corr


def _offdiagonal(matrix: np.ndarray) -> np.ndarray:
    n = matrix.shape[0]
    return matrix[~np.eye(n, dtype=bool)]


def mean_abs_correlation(acts) -> float:
    """Mean |Pearson r| over pairs of distinct non-constant units (NaN if fewer than 2 such units)."""
    array = _as_2d(acts)
    alive = alive_units(array)
    if alive.sum() < 2:
        return float("nan")
    corr = correlation_matrix(array[:, alive])
    return float(np.abs(_offdiagonal(corr)).mean())


def cluster_order(corr) -> np.ndarray:
    """Unit order from average-linkage hierarchical clustering on distance 1 - |r|.

    Units with an undefined correlation (constant units) go last, in index order,
    so blocks of co-varying units sit together on the diagonal.
    """
    corr = np.asarray(corr, dtype=np.float64)
    n = corr.shape[0]
    defined = ~np.isnan(np.diag(corr))
    alive = np.flatnonzero(defined)
    dead = np.flatnonzero(~defined)
    if alive.size <= 2:
        return np.concatenate([alive, dead]).astype(int)
    sub = np.nan_to_num(np.abs(corr[np.ix_(alive, alive)]), nan=0.0)
    distance = np.clip(1.0 - sub, 0.0, 2.0)
    distance = (distance + distance.T) / 2.0
    np.fill_diagonal(distance, 0.0)
    tree = hierarchy.linkage(squareform(distance, checks=False), method="average")
    leaves = (
        hierarchy.leaves_list(hierarchy.optimal_leaf_ordering(tree, squareform(distance, checks=False)))
        if alive.size <= 200
        else hierarchy.leaves_list(tree)
    )
    return np.concatenate([alive[leaves], dead]).astype(int)[:n]


# --- DeCov ------------------------------------------------------------------------


def covariance_matrix(acts) -> np.ndarray:
    """Batch covariance C_ij = mean_n (h_ni - mu_i)(h_nj - mu_j) (1/N, as in Cogswell et al.)."""
    array = _as_2d(acts)
    centred = array - array.mean(axis=0)
    return centred.T @ centred / array.shape[0]


def decov(acts) -> float:
    """DeCov loss L = 1/2 (||C||_F^2 - ||diag C||^2): the energy of off-diagonal covariance.

    It grows with the square of the activation scale, so nets whose activations
    differ in size are not comparable by DeCov alone; see :func:`decov_normalized`.
    """
    cov = covariance_matrix(acts)
    return float(0.5 * (np.sum(cov**2) - np.sum(np.diag(cov) ** 2)))


def decov_normalized(acts) -> float:
    """DeCov of the standardized activations, per pair of units: the mean squared
    off-diagonal correlation over non-constant units (0: uncorrelated, 1: all units
    copies of one). Scale-free, unlike :func:`decov`."""
    array = _as_2d(acts)
    alive = alive_units(array)
    n = int(alive.sum())
    if n < 2:
        return float("nan")
    corr = correlation_matrix(array[:, alive])
    pairs = n * (n - 1) / 2
    return float(0.5 * np.sum(_offdiagonal(corr) ** 2) / pairs)


# --- activation statistics -----------------------------------------------------------


@dataclass(frozen=True)
class ActivationStats:
    mean_activation: float
    zero_fraction: float  # fraction of (example, unit) activations that are exactly 0
    dead_units: int  # units exactly 0 on every probe example
    constant_units: int  # units that do not vary (includes dead units)
    n_units: int
    unit_means: np.ndarray = field(repr=False)
    unit_zero_fraction: np.ndarray = field(repr=False)

    def as_dict(self) -> dict[str, float]:
        return {
            "mean_activation": self.mean_activation,
            "zero_fraction": self.zero_fraction,
            "dead_units": self.dead_units,
            "constant_units": self.constant_units,
            "n_units": self.n_units,
        }


def activation_stats(acts) -> ActivationStats:
    """Sparsity and dead units of one layer (the paper's Figure 8 in numbers)."""
    array = _as_2d(acts)
    zeros = array == 0.0
    return ActivationStats(
        mean_activation=float(array.mean()),
        zero_fraction=float(zeros.mean()),
        dead_units=int(zeros.all(axis=0).sum()),
        constant_units=int((~alive_units(array)).sum()),
        n_units=int(array.shape[1]),
        unit_means=array.mean(axis=0),
        unit_zero_fraction=zeros.mean(axis=0),
    )


def layer_measures(acts) -> dict[str, float]:
    """Every activation-based measure of one layer, as one flat dict.

    Same values as :func:`mean_abs_correlation`, :func:`decov`, :func:`decov_normalized`
    and :func:`activation_stats`, from one units x units product (the pages call
    this for every snapshot of a run).
    """
    array = _as_2d(acts)
    n = array.shape[0]
    centred = array - array.mean(axis=0)
    variance = (centred**2).mean(axis=0)
    alive = variance > CONSTANT_TOLERANCE
    k = int(alive.sum())
    std = np.sqrt(variance[alive])
    standardized = centred[:, alive] / std
    if k > 256:  # float32 halves the cost of the big products; |r| to ~1e-6 is plenty
        standardized = standardized.astype(np.float32)
    corr = standardized.T @ standardized / n
    diag = np.diag(corr)
    pairs = k * (k - 1)
    abs_corr = (np.abs(corr).sum() - np.abs(diag).sum()) / pairs if k >= 2 else float("nan")
    sq = corr**2
    norm_decov = 0.5 * (sq.sum() - (diag**2).sum()) / (pairs / 2) if k >= 2 else float("nan")
    # covariance of the non-constant units (constant ones add nothing off the diagonal)
    cov_sq = sq * np.outer(variance[alive], variance[alive])
    raw_decov = 0.5 * (cov_sq.sum() - np.diag(cov_sq).sum())
    zeros = array == 0.0
    return {
        "mean_abs_corr": float(abs_corr),
        "decov": float(raw_decov),
        "decov_normalized": float(norm_decov),
        "mean_activation": float(array.mean()),
        "zero_fraction": float(zeros.mean()),
        "dead_units": int(zeros.all(axis=0).sum()),
        "constant_units": int((~alive).sum()),
        "n_units": int(array.shape[1]),
    }


def measures_over_training(state_history, run: str, layer: int, max_points: int = 24) -> dict[str, np.ndarray]:
    """``layer_measures`` of ``run``'s probe activations at (at most ``max_points``, evenly
    spaced, always the last) StateSnapshots."""
    steps, rows = [], []
    history = list(state_history)
    if len(history) > max_points:
        history = [history[i] for i in np.unique(np.linspace(0, len(history) - 1, max_points).round().astype(int))]
    for snapshot in history:
        acts = snapshot.activations.get(run)
        if acts is None or layer >= len(acts):
            continue
        steps.append(snapshot.step)
        rows.append(layer_measures(acts[layer]))
    keys = rows[0].keys() if rows else ()
    return {"step": np.asarray(steps), **{key: np.asarray([row[key] for row in rows], dtype=float) for key in keys}}


# --- forward passes with surgery -----------------------------------------------------


def _eval_copy(model: MLP) -> MLP:
    return model.inference_copy(keep_generator=True)


@torch.no_grad()
def predict_with_units_removed(
    model: MLP, inputs: torch.Tensor, layer: int, removed: Sequence[int], rescale: bool = True
) -> torch.Tensor:
    """Logits at test time with units ``removed`` of hidden layer ``layer`` set to 0.

    With ``rescale`` the remaining units are multiplied by n / n_remaining so the
    layer's expected total input to the next layer is kept (as dropout does).
    """
    model = _eval_copy(model)
    hidden = model.activations_at(inputs, layer)
    n_units = hidden.shape[1]
    keep = torch.ones(n_units)
    keep[torch.as_tensor(list(removed), dtype=torch.long)] = 0.0
    n_kept = int(keep.sum())
    if rescale and 0 < n_kept < n_units:
        keep *= n_units / n_kept
    return model.logits_from(hidden * keep, layer)


@dataclass(frozen=True)
class AblationCurve:
    qs: np.ndarray
    mean_error: np.ndarray
    std_error: np.ndarray
    draws: int
    layer: int
    rescale: bool


@torch.no_grad()
def ablation_curve(
    model: MLP,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    layer: int,
    qs: Sequence[float] = DEFAULT_ABLATION_QS,
    draws: int = 5,
    seed: int = 0,
    rescale: bool = True,
) -> AblationCurve:
    """Test error when a random fraction q of hidden layer ``layer``'s units is removed.

    For each q, ``draws`` random sets of round(q * n) units are removed (the same
    sets for every model given the same seed and layer size), remaining units are
    rescaled by n / n_remaining, and the error is averaged over draws. A net
    whose units only work together collapses as q grows; one trained with
    dropout was trained for exactly this and degrades gracefully.
    """
    model = _eval_copy(model)
    qs = np.asarray(qs, dtype=float)
    if np.any(qs < 0) or np.any(qs >= 1):
        raise ValueError(f"fractions q must be in [0, 1), got {qs.tolist()}")
    if draws < 1:
        raise ValueError(f"draws must be >= 1, got {draws}")
    hidden = model.activations_at(inputs, layer)
    n_units = hidden.shape[1]
    generator = torch.Generator().manual_seed(seed)
    means, stds = [], []
    for q in qs:
        n_removed = min(n_units - 1, int(round(q * n_units)))
        errors = []
        for _ in range(draws if n_removed > 0 else 1):
            keep = torch.ones(n_units)
            keep[torch.randperm(n_units, generator=generator)[:n_removed]] = 0.0
            if rescale and n_removed:
                keep *= n_units / (n_units - n_removed)
            logits = model.logits_from(hidden * keep, layer)
            errors.append((logits.argmax(-1) != labels).float().mean().item())
        means.append(float(np.mean(errors)))
        stds.append(float(np.std(errors)))
    return AblationCurve(qs, np.asarray(means), np.asarray(stds), draws, layer, rescale)


# --- learned features ----------------------------------------------------------------


def first_layer_features(
    model: MLP, image_shape: tuple[int, int], units: Sequence[int] | None = None, count: int = 16
) -> tuple[np.ndarray, np.ndarray]:
    """First-layer weight vectors of ``units`` (default: the first ``count``) as images.

    Returns (units, images of shape (k, h, w)). The twin starts from the same
    initial weights, so the same unit index shows how each run changed one
    initial feature.
    """
    weight = model.linears[0].weight.detach().cpu().numpy()
    if weight.shape[1] != image_shape[0] * image_shape[1]:
        raise ValueError(f"first layer has {weight.shape[1]} inputs, not an image of {image_shape}")
    chosen = np.arange(min(count, weight.shape[0])) if units is None else np.asarray(units, dtype=int)
    return chosen, weight[chosen].reshape(len(chosen), *image_shape)


# --- explanations --------------------------------------------------------------------------


def relative_change(method: float, baseline: float) -> float:
    """(method - baseline) / |baseline|; NaN when undefined."""
    if not (math.isfinite(method) and math.isfinite(baseline)) or baseline == 0:
        return float("nan")
    return (method - baseline) / abs(baseline)


def compare_direction(method: float, baseline: float, tolerance: float = 0.05) -> str:
    """'lower', 'higher' or 'similar' (within ``tolerance`` relative change) for method vs twin."""
    change = relative_change(method, baseline)
    if not math.isfinite(change):
        return "undefined"
    if abs(change) <= tolerance:
        return "similar"
    return "lower" if change < 0 else "higher"


def ablation_summary(curve: AblationCurve, q: float = 0.5) -> tuple[float, float]:
    """(error at q=0, error increase at the q closest to ``q``)."""
    index = int(np.argmin(np.abs(curve.qs - q)))
    base = float(curve.mean_error[0]) if curve.qs[0] == 0 else float("nan")
    return base, float(curve.mean_error[index] - base)


# --- replay frames -------------------------------------------------------------------------


@dataclass(frozen=True)
class CorrelationFrames:
    steps: np.ndarray
    units: np.ndarray  # the units shown, in display (cluster) order
    matrices: np.ndarray  # (frames, k, k) correlation of the shown units, NaN for constant units


def correlation_frames(
    state_history, run: str, layer: int, max_units: int = 64, max_frames: int = 12, seed: int = 0
) -> CorrelationFrames:
    """Correlation matrices of ``run``'s layer over training, ready to animate.

    At most ``max_units`` units (a fixed random subset, so the browser gets small
    frames) and ``max_frames`` evenly spaced snapshots (always the last). The
    order comes from clustering the *last* frame and is kept for all frames, so
    one sees blocks form rather than units jumping around.
    """
    snapshots = [s for s in state_history if run in s.activations and layer < len(s.activations[run])]
    if not snapshots:
        raise ValueError(f"no activation snapshots of run {run!r}, layer {layer}")
    if len(snapshots) > max_frames:
        picks = np.unique(np.linspace(0, len(snapshots) - 1, max_frames).round().astype(int))
        snapshots = [snapshots[i] for i in picks]
    n_units = snapshots[-1].activations[run][layer].shape[1]
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(n_units, size=min(max_units, n_units), replace=False))
    matrices = [correlation_matrix(np.asarray(s.activations[run][layer])[:, chosen]) for s in snapshots]
    order = cluster_order(matrices[-1])
    ordered = np.stack([m[np.ix_(order, order)] for m in matrices])
    return CorrelationFrames(np.asarray([s.step for s in snapshots]), chosen[order], ordered)
