"""Co-adaptation measures and model averaging, as plain functions on arrays and models.

Two claims of the lecture are made measurable here:

1. **Dropout breaks co-adaptation.** Measures on a layer's hidden activations
   ``acts`` of shape (examples, units): Pearson correlation of units
   (:func:`correlation_matrix`, :func:`mean_abs_correlation`), DeCov
   (:func:`decov`, Cogswell et al. 2016) and its scale-free version, activation
   statistics (:func:`activation_stats`), and a functional measure on the model
   itself: the test error when a random fraction q of a layer's units is removed
   (:func:`ablation_curve`). None of them *is* co-adaptation; REFERENCE.md records
   a run where the correlation did not move while sparsity did, so they are
   shown side by side.
2. **Weight scaling approximates the average of the thinned networks.**
   :func:`mc_curve` averages k sampled thinned networks (k = 1..100) and compares
   with the deterministic weight-scaled network (the paper's Figure 11);
   :func:`compare_scalings` trains the inverted and the original (weight-scaling)
   implementation side by side; :func:`dropconnect_inference_compare` compares
   DropConnect's mean network, Gaussian moment matching and MC over masks;
   :func:`mc_uncertainty` is MC dropout's per-input spread (Gal & Ghahramani 2016).

Nothing here imports streamlit. Models are :class:`~dropviz.models.MLP`; every
function that samples takes a seed and never touches torch's global RNG.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch
from scipy.cluster import hierarchy
from scipy.spatial.distance import squareform
from torch.nn import functional as F

from .config import RunConfig
from .data import Dataset
from .models import MLP
from .train import Trainer, run_to_end

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
    leaves = hierarchy.leaves_list(hierarchy.optimal_leaf_ordering(tree, squareform(distance, checks=False))) \
        if alive.size <= 200 else hierarchy.leaves_list(tree)
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
            "mean_activation": self.mean_activation, "zero_fraction": self.zero_fraction,
            "dead_units": self.dead_units, "constant_units": self.constant_units, "n_units": self.n_units,
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
def predict_with_units_removed(model: MLP, inputs: torch.Tensor, layer: int, removed: Sequence[int],
                               rescale: bool = True) -> torch.Tensor:
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
def ablation_curve(model: MLP, inputs: torch.Tensor, labels: torch.Tensor, layer: int,
                   qs: Sequence[float] = DEFAULT_ABLATION_QS, draws: int = 5, seed: int = 0,
                   rescale: bool = True) -> AblationCurve:
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

def first_layer_features(model: MLP, image_shape: tuple[int, int], units: Sequence[int] | None = None,
                         count: int = 16) -> tuple[np.ndarray, np.ndarray]:
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


# --- model averaging ---------------------------------------------------------------------

def _sampling_copy(model: MLP, seed: int) -> MLP:
    """A copy whose forward draws thinned networks from its own generator."""
    clone = copy.deepcopy(model)
    clone.set_record_masks(False)
    clone.set_generator(torch.Generator().manual_seed(seed))
    clone.train()
    if clone.method == "dropconnect":
        # One mask per sampled network, shared by the batch: each example's average
        # over masks has the same expectation as with per-example masks, at a
        # fraction of the cost.
        clone.dropconnect_per_example = False
    return clone


@torch.no_grad()
def weight_scaled_probabilities(model: MLP, inputs: torch.Tensor) -> torch.Tensor:
    """Class probabilities of the deterministic test-time network (weight scaling / mean network)."""
    return torch.softmax(_eval_copy(model)(inputs), -1)


def draw_unit_masks(model: MLP, generator: torch.Generator) -> list[torch.Tensor]:
    """One Bernoulli keep-mask per layer input (a thinned network), all ones where keep_p = 1."""
    masks = []
    for linear, keep in zip(model.linears, model.keep_ps):
        if keep < 1.0:
            masks.append(torch.empty(linear.in_features).bernoulli_(keep, generator=generator).bool())
        else:
            masks.append(torch.ones(linear.in_features, dtype=torch.bool))
    return masks


@torch.no_grad()
def thinned_logits(model: MLP, inputs: torch.Tensor, masks: Sequence[torch.Tensor]) -> torch.Tensor:
    """Logits of the thinned network that keeps the units ``masks[l]`` of each layer input.

    Computes only the kept units (a dropped hidden unit is not computed at all),
    so one thinned network costs about keep_p^2 of the full net, and applies the
    training-time scaling of the model (1/keep_p for inverted dropout, none for
    the original weight-scaling form), exactly like a training forward pass with
    these masks for every example.
    """
    kept = [mask.nonzero().flatten() for mask in masks]
    hidden = inputs[:, kept[0]]
    last = len(model.linears) - 1
    for index, linear in enumerate(model.linears):
        rows = kept[index + 1] if index < last else torch.arange(linear.out_features)
        weight = linear.weight[rows][:, kept[index]]
        keep = model.keep_ps[index]
        if model.scaling == "inverted" and keep < 1.0:
            weight = weight / keep
        hidden = F.linear(hidden, weight, linear.bias[rows])
        if index < last:
            hidden = model.activation(hidden)
    return hidden


@torch.no_grad()
def sampled_probabilities(model: MLP, inputs: torch.Tensor, samples: int, seed: int = 0,
                          chunk: int = 8192) -> torch.Tensor:
    """Class probabilities of ``samples`` sampled thinned networks: (samples, examples, classes).

    Each sample is one thinned network (one mask, shared by all examples, as the
    paper's Figure 11 samples k networks); each example's average over samples
    has the same expectation as with fresh masks per example. Bernoulli dropout
    runs only the kept units (:func:`thinned_logits`); Gaussian dropout draws
    per-example noise through the model's own training forward; DropConnect one
    weight mask per sampled network. A net without noise gives identical samples.
    """
    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    if model.method in ("dropout", "none"):
        generator = torch.Generator().manual_seed(seed)
        eval_model = _eval_copy(model)
        return torch.stack([torch.softmax(thinned_logits(eval_model, inputs, draw_unit_masks(eval_model, generator)), -1)
                            for _ in range(samples)])
    sampler = _sampling_copy(model, seed)
    out = torch.empty(samples, inputs.shape[0], sampler.layer_sizes[-1])
    if sampler.method == "dropconnect":
        for j in range(samples):
            out[j] = torch.softmax(sampler(inputs), -1)
        return out
    per_pass = max(1, chunk // max(1, inputs.shape[0]))
    done = 0
    while done < samples:
        k = min(per_pass, samples - done)
        out[done : done + k] = torch.softmax(sampler(inputs.repeat(k, 1)), -1).reshape(k, inputs.shape[0], -1)
        done += k
    return out


@dataclass(frozen=True)
class MCCurve:
    ks: np.ndarray
    mean_error: np.ndarray
    std_error: np.ndarray
    weight_scaled_error: float
    repeats: int
    pool: int
    n_examples: int

    @property
    def k_reaching(self) -> int | None:
        """Smallest k whose mean MC error is at or below the weight-scaled error (None: never)."""
        hits = np.flatnonzero(self.mean_error <= self.weight_scaled_error + 1e-12)
        return int(self.ks[hits[0]]) if hits.size else None


def mc_curve_from_samples(samples: torch.Tensor, labels: torch.Tensor, weight_scaled: torch.Tensor,
                          ks: Sequence[int] | None = None, repeats: int = 20, seed: int = 0) -> MCCurve:
    """Error of averaging k of the sampled networks' probabilities, k in ``ks``, over ``repeats``
    random orders of the pool; at k = pool size every repeat uses the whole pool."""
    pool = samples.shape[0]
    ks = np.arange(1, pool + 1) if ks is None else np.asarray([k for k in ks if 1 <= k <= pool], dtype=int)
    generator = torch.Generator().manual_seed(seed)
    errors = np.empty((repeats, len(ks)))
    for r in range(repeats):
        order = torch.randperm(pool, generator=generator)
        running = samples[order].cumsum(0)  # sum of the first k, for all k at once
        predicted = running[torch.as_tensor(ks - 1)].argmax(-1)
        errors[r] = (predicted != labels).float().mean(1).numpy()
    ws_error = float((weight_scaled.argmax(-1) != labels).float().mean())
    return MCCurve(ks, errors.mean(0), errors.std(0), ws_error, repeats, pool, int(labels.shape[0]))


def mc_curve(model: MLP, inputs: torch.Tensor, labels: torch.Tensor, max_k: int = 100,
             repeats: int = 20, seed: int = 0) -> MCCurve:
    """The paper's Figure 11 for ``model``: MC average of k = 1..max_k thinned nets vs weight scaling.

    A pool of ``max_k`` sampled thinned networks is drawn once; each repeat averages
    the first k of a random order of the pool, so the spread shrinks to 0 at k = max_k.
    """
    samples = sampled_probabilities(model, inputs, max_k, seed=seed)
    return mc_curve_from_samples(samples, labels, weight_scaled_probabilities(model, inputs),
                                 repeats=repeats, seed=seed + 1)


# --- MC-dropout uncertainty --------------------------------------------------------------

@dataclass(frozen=True)
class Uncertainty:
    mean_probs: np.ndarray  # (examples, classes): MC predictive distribution
    predicted: np.ndarray  # argmax of mean_probs
    spread: np.ndarray  # std over samples of the probability of the predicted class
    entropy: np.ndarray  # predictive entropy (nats) of mean_probs: total uncertainty, used for ranking
    samples: int
    mutual_information: np.ndarray | None = None  # entropy minus mean per-sample entropy: sample disagreement


@torch.no_grad()
def mc_uncertainty(model: MLP, inputs: torch.Tensor, samples: int = 50, seed: int = 0) -> Uncertainty:
    """MC dropout (Gal & Ghahramani 2016): keep dropout on at test time and look at the samples.

    Rank inputs by the predictive entropy H[mean p], which is high both when every
    sample is unsure (all say 0.4) and when samples disagree; the mutual information
    H[mean p] - mean H[p_s] is the disagreement part alone (0 when all samples agree).
    """
    draws = sampled_probabilities(model, inputs, samples, seed=seed)
    mean = draws.mean(0)
    predicted = mean.argmax(-1)
    chosen = draws.gather(2, predicted.view(1, -1, 1).expand(samples, -1, 1)).squeeze(-1)
    spread = chosen.std(0, unbiased=False)
    entropy = -(mean * mean.clamp_min(1e-12).log()).sum(-1)
    per_sample = -(draws * draws.clamp_min(1e-12).log()).sum(-1).mean(0)
    information = (entropy - per_sample).clamp_min(0.0)
    return Uncertainty(mean.numpy(), predicted.numpy(), spread.numpy(), entropy.numpy(), samples,
                       information.numpy())


def plane_grid(x: np.ndarray, resolution: int = 60, margin: float = 0.5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A resolution x resolution grid covering 2-D points ``x``: (xs, ys, points of shape (r*r, 2))."""
    x = np.asarray(x, dtype=float)
    low, high = x.min(0) - margin, x.max(0) + margin
    xs, ys = np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    return xs, ys, np.column_stack([grid_x.ravel(), grid_y.ravel()]).astype(np.float32)


# --- DropConnect inference -----------------------------------------------------------------

@dataclass(frozen=True)
class DropConnectInference:
    mean_error: float  # the mean network (weights scaled by keep_p)
    gaussian_error: dict[int, float]  # moment matching with S samples per unit -> error
    mc_ks: np.ndarray
    mc_error: np.ndarray  # MC over sampled weight masks, averaged over repeats
    mc_std: np.ndarray


@torch.no_grad()
def dropconnect_inference_compare(model: MLP, inputs: torch.Tensor, labels: torch.Tensor,
                                  gaussian_samples: Sequence[int] = (1, 4, 16, 64, 256),
                                  max_k: int = 64, repeats: int = 10, seed: int = 0) -> DropConnectInference:
    """Wan et al.'s three inference rules for a DropConnect net, on one test set."""
    if model.method != "dropconnect":
        raise ValueError(f"DropConnect inference needs a DropConnect model, got method {model.method!r}")
    mean_model = _eval_copy(model)
    mean_model.dropconnect_inference = "mean"
    mean_error = float((mean_model(inputs).argmax(-1) != labels).float().mean())
    gaussian = {}
    for count in gaussian_samples:
        gaussian_model = _eval_copy(model)
        gaussian_model.dropconnect_inference = "gaussian"
        gaussian_model.dropconnect_samples = int(count)
        gaussian_model.set_generator(torch.Generator().manual_seed(seed + int(count)))
        gaussian[int(count)] = float((gaussian_model(inputs).argmax(-1) != labels).float().mean())
    curve = mc_curve(model, inputs, labels, max_k=max_k, repeats=repeats, seed=seed)
    return DropConnectInference(mean_error, gaussian, curve.ks, curve.mean_error, curve.std_error)


# --- inverted vs weight-scaling -------------------------------------------------------------

@dataclass(frozen=True)
class ScalingComparison:
    """Test-time predictions of the two implementations trained from one seed."""

    variant: str  # "same-lr" or "matched"
    errors: dict[str, float]  # implementation -> test error
    agreement: float  # fraction of test examples with the same predicted class
    max_prob_diff: float  # max |p_inverted - p_weight_scaling| over examples and classes
    max_logit_diff: float
    steps: int
    # per test example, the probability each implementation gives the inverted net's predicted class
    p_inverted: np.ndarray = field(default=None, repr=False)
    p_weight_scaling: np.ndarray = field(default=None, repr=False)


def _matched_learning_rates(trainer: Trainer, run_lr: float) -> None:
    """Make a weight-scaling net follow the inverted net's trajectory exactly.

    Inverted trains y = W (m * h) / p; weight-scaling trains y = W' (m * h). With
    W' = W / p the two compute the same function in training (same masks) and at
    test time (W' p h = W h). The gradient w.r.t. W' is p times that w.r.t. W, so
    plain or momentum SGD keeps W' = W / p when W' uses learning rate lr / p^2;
    the biases are not masked and keep lr. Max-norm keeps it too, because its c bounds
    W' in both implementations (the inverted net's rows at keep_p * c); Adam breaks it.
    """
    model = trainer.models["method"]
    groups = []
    with torch.no_grad():
        for index, linear in enumerate(model.linears):
            keep = model.keep_ps[index]
            linear.weight.div_(keep)
            groups.append({"params": [linear.weight], "lr": run_lr / keep**2})
            groups.append({"params": [linear.bias], "lr": run_lr})
    trainer.replace_optimizer("method", torch.optim.SGD(groups, lr=run_lr, momentum=trainer.config.momentum))


def compare_scalings(config: RunConfig, dataset: Dataset, *, matched: bool = True) -> ScalingComparison:
    """Train ``config``'s method net with inverted and with weight-scaling dropout on one seed.

    Same seed means same initial weights, same batch order and (the mask
    generator is seeded alike and draws the same shapes) the same masks. With
    ``matched=False`` both use the same learning rate, so the weight-scaling net
    takes effectively different steps and the two nets only agree statistically;
    with ``matched=True`` the weight-scaling net starts at W / p and uses lr / p^2
    on weights, and the two make the same predictions up to float error.
    """
    if config.method not in ("dropout", "dropconnect"):
        raise ValueError(f"inverted vs weight-scaling differ only for dropout or DropConnect, got {config.method!r}")
    if matched and config.optimizer != "sgd":
        raise ValueError("the matched comparison needs SGD (Adam is not scale-equivariant)")
    trainers = {}
    for scaling in ("inverted", "weight-scaling"):
        trainer = Trainer(config.model_copy(update={"scaling": scaling, "twin": False}), dataset,
                          record_masks=False, state_every=10**9)
        if matched and scaling == "weight-scaling":
            _matched_learning_rates(trainer, config.lr)
        trainers[scaling] = trainer
    for trainer in trainers.values():  # one after the other: each trainer owns its generators
        run_to_end(trainer)
    x, y = dataset.x_test, dataset.y_test
    with torch.no_grad():
        logits = {name: _eval_copy(t.models["method"])(x) for name, t in trainers.items()}
    probs = {name: torch.softmax(value, -1) for name, value in logits.items()}
    a, b = logits["inverted"], logits["weight-scaling"]
    return ScalingComparison(
        variant="matched" if matched else "same-lr",
        errors={name: float((value.argmax(-1) != y).float().mean()) for name, value in logits.items()},
        agreement=float((a.argmax(-1) == b.argmax(-1)).float().mean()),
        max_prob_diff=float((probs["inverted"] - probs["weight-scaling"]).abs().max()),
        max_logit_diff=float((a - b).abs().max()),
        steps=trainers["inverted"].step_count,
        p_inverted=probs["inverted"].max(-1).values.numpy(),
        p_weight_scaling=probs["weight-scaling"].gather(1, a.argmax(-1, keepdim=True)).squeeze(1).numpy(),
    )


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


def correlation_frames(state_history, run: str, layer: int, max_units: int = 64, max_frames: int = 12,
                       seed: int = 0) -> CorrelationFrames:
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


# --- sizes that keep the pages interactive ---------------------------------------------------

BIG_NET_PARAMETERS = 500_000


def interactive_sizes(n_parameters: int) -> dict:
    """How many test examples / samples each analysis uses by default, by net size.

    Costs scale with examples x samples x parameters; for a 784-1024-1024-10 net
    (1.9M parameters, ~3.7 MFLOP per example and sampled net) these keep each
    analysis to a few seconds on one core (bench/bench_analysis.py). Users can
    ask for more on the page.
    """
    big = n_parameters > BIG_NET_PARAMETERS
    return {
        "measures": 2000,
        "ablation": 1000 if big else 2000,
        "ablation_draws": 3 if big else 5,
        "mc": 300 if big else 2000,
        "uncertainty": 500 if big else 1000,
        "dropconnect": 300 if big else 2000,
        "dropconnect_k": 32 if big else 64,
        "gaussian_samples": (1, 4, 16, 64) if big else (1, 4, 16, 64, 256),
    }
