"""Model averaging for the Inference page: MC vs weight scaling, uncertainty, scaling comparison, DropConnect."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch
from torch.nn import functional as F

from ..config import RunConfig
from ..data import Dataset
from ..models import MLP
from ..train import Trainer, run_to_end
from .coadaptation import _eval_copy

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
def sampled_probabilities(
    model: MLP, inputs: torch.Tensor, samples: int, seed: int = 0, chunk: int = 8192
) -> torch.Tensor:
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
        return torch.stack(
            [
                torch.softmax(thinned_logits(eval_model, inputs, draw_unit_masks(eval_model, generator)), -1)
                for _ in range(samples)
            ]
        )
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


def mc_curve_from_samples(
    samples: torch.Tensor,
    labels: torch.Tensor,
    weight_scaled: torch.Tensor,
    ks: Sequence[int] | None = None,
    repeats: int = 20,
    seed: int = 0,
) -> MCCurve:
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


def mc_curve(
    model: MLP, inputs: torch.Tensor, labels: torch.Tensor, max_k: int = 100, repeats: int = 20, seed: int = 0
) -> MCCurve:
    """The paper's Figure 11 for ``model``: MC average of k = 1..max_k thinned nets vs weight scaling.

    A pool of ``max_k`` sampled thinned networks is drawn once; each repeat averages
    the first k of a random order of the pool, so the spread shrinks to 0 at k = max_k.
    """
    samples = sampled_probabilities(model, inputs, max_k, seed=seed)
    return mc_curve_from_samples(
        samples, labels, weight_scaled_probabilities(model, inputs), repeats=repeats, seed=seed + 1
    )


def mc_average_errors(
    model, inputs, labels, ks: Sequence[int], generator=None, chunk: int = 4096
) -> tuple[dict[int, float], float]:
    """Test error of the average of k sampled thinned nets, for each k in ``ks``, and of weight scaling.

    Each sample runs the net in training mode (a fresh dropout mask per example
    and layer, inverted scaling); the class probabilities of the first k
    samples are averaged. Weight scaling is the same net in eval mode. One pass on any device (the
    experiments' trials off the CPU); :func:`mc_curve` is the CPU one, averaged over random orders.
    """
    ks = sorted({int(k) for k in ks})
    if not ks or ks[0] < 1:
        raise ValueError(f"k must be positive integers, got {list(ks)}")
    with torch.no_grad():
        return _mc_average_errors(torch, model, inputs, labels, ks, generator, chunk)


def _mc_average_errors(torch, model, inputs, labels, ks, generator, chunk):
    was_training = model.training
    if generator is not None and hasattr(model, "set_generator"):
        model.set_generator(generator)
    model.eval()
    scaled_wrong = 0
    for start in range(0, inputs.shape[0], chunk):
        scaled_wrong += (model(inputs[start : start + chunk]).argmax(1) != labels[start : start + chunk]).sum().item()
    model.train()
    wrong = dict.fromkeys(ks, 0)
    try:
        for start in range(0, inputs.shape[0], chunk):
            x, y = inputs[start : start + chunk], labels[start : start + chunk]
            total = torch.zeros(
                x.shape[0], model.layer_sizes[-1] if hasattr(model, "layer_sizes") else 1, device=x.device
            )
            for sample in range(1, ks[-1] + 1):
                probabilities = torch.softmax(model(x), dim=1)
                total = probabilities if sample == 1 else total + probabilities
                if sample in wrong:
                    wrong[sample] += (total.argmax(1) != y).sum().item()
    finally:
        model.train(was_training)
    count = max(1, inputs.shape[0])
    return {k: wrong[k] / count for k in ks}, scaled_wrong / count


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
    return Uncertainty(mean.numpy(), predicted.numpy(), spread.numpy(), entropy.numpy(), samples, information.numpy())


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
def dropconnect_inference_compare(
    model: MLP,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    gaussian_samples: Sequence[int] = (1, 4, 16, 64, 256),
    max_k: int = 64,
    repeats: int = 10,
    seed: int = 0,
) -> DropConnectInference:
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
        trainer = Trainer(
            config.model_copy(update={"scaling": scaling, "twin": False}),
            dataset,
            record_masks=False,
            state_every=10**9,
        )
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
