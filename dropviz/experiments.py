"""The paper's experiments as data: one registry of specs, each expanding to trials.

A *trial* is one training run: a validated :class:`~dropviz.config.RunConfig`
(seed included), the condition it belongs to (``series`` and an ``x`` value
such as the keep probability or the training-set size) and the few settings
that are not part of a run config (test-set subset, Monte-Carlo sample
counts). Its identity is a hash of experiment + preset + data set + config +
seed (+ those extras), so a sweep can be stopped and resumed anywhere, on any
engine, without running a completed trial twice.

Presets scale the paper's settings down (``quick``: a class on a 2-core
laptop, ``standard``: half an hour) or not at all (``paper``); what each one
changes is in :data:`PRESET_NOTES`. The paper's own numbers live in
:mod:`dropviz.paper`. Nothing here imports streamlit or starts processes:
:mod:`dropviz.sweep` runs trials.
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import numpy as np

from .config import MAX_UNITS, RunConfig, from_mapping

PRESETS = ("quick", "standard", "paper", "tiny")
PRESET_NOTES = {
    "quick": ("Minutes on a 2-core CPU, for a class: 2 hidden layers of 128 ReLU units (Figure 4: 1-3 x 64/128, "
              "Figure 9: 3 x 128, p x n = 32/32/64), 1,500 weight updates per trial (batch 100), 5,000 training "
              "and 5,000 test images (Figure 10: subsets of 100..10K, no 50K), 2 seeds (Table 10: 3), "
              "MC k up to 50, per-mini-batch DropConnect masks."),
    "standard": ("About half an hour on a 2-core CPU (estimated, not measured): 2 x 512 units (Figure 4: 1-3 x "
                 "256/512, Figure 9: 3 x 512, p x n = 64/64/128, Figure 10: 512-512-1024), 3,000 updates, 20,000 "
                 "training images (Figure 10: up to 50K) and the full test set, 3 seeds (Table 10: 5), "
                 "per-mini-batch DropConnect masks."),
    "paper": ("The paper's sizes and lengths (for a GPU or a Ray cluster): 3 x 1024 dropout nets and "
              "2 x 800 standard nets for Table 2, 784-2048-2048-2048-10 for Figure 9, 784-1024-1024-2048-10 "
              "for Figure 10, 2 x 1024 for Table 10, all training images, 1M weight updates "
              "(Figure 10: 200K), 3 seeds, per-example DropConnect masks."),
    "tiny": "Seconds, for tests and smoke runs: 2 x 16 units, 30 updates, 300 training / 200 test examples, 2 seeds.",
}
# The learning rate is 0.02 (with momentum 0.9) because at 0.1 the quick dropout nets' training error
# oscillated between 16 and 24 % on Fashion-MNIST instead of falling (chosen on training error, not test error).
COMMON_NOTE = ("All presets: SGD, learning rate 0.02, momentum 0.9 (the paper: momentum rising to 0.95-0.99 and "
               "a 10-100x larger rate for dropout nets with max-norm), batch 100, keep p = 0.5 hidden / 0.8 input "
               "(Figure 9: no input dropout), max-norm c = 3 where used, the same learning rate for every "
               "condition, a fixed number of updates (no early stopping).")


@dataclass(frozen=True)
class Scale:
    """The sizes a preset sets; everything else comes from the paper's standard settings."""

    width: int
    layers: int
    steps: int
    train_size: int | None  # None: every training example
    test_size: int | None  # None: the whole test set
    seeds: tuple[int, ...]
    fig4_widths: tuple[int, int]
    fig9_width: int
    fig9_pn: tuple[int, int, int]
    fig10_sizes: tuple[int, ...]
    fig10_hidden: tuple[int, ...]
    fig10_steps: int
    mc_ks: tuple[int, ...]
    gaussian_seeds: tuple[int, ...]
    dropconnect_mask: str = "per-batch"
    evals: int = 10  # evaluations (curve points) per trial
    table2_standard_hidden: tuple[int, ...] | None = None
    table2_dropout_hidden: tuple[int, ...] | None = None


SCALES: dict[str, Scale] = {
    "quick": Scale(
        width=128, layers=2, steps=1500, train_size=5000, test_size=5000, seeds=(0, 1),
        fig4_widths=(64, 128), fig9_width=128, fig9_pn=(32, 32, 64),
        fig10_sizes=(100, 500, 1000, 5000, 10000), fig10_hidden=(128, 128), fig10_steps=1500,
        mc_ks=(1, 2, 3, 5, 10, 20, 50), gaussian_seeds=(0, 1, 2),
    ),
    "standard": Scale(
        width=512, layers=2, steps=3000, train_size=20000, test_size=None, seeds=(0, 1, 2),
        fig4_widths=(256, 512), fig9_width=512, fig9_pn=(64, 64, 128),
        fig10_sizes=(100, 500, 1000, 5000, 10000, 50000), fig10_hidden=(512, 512, 1024), fig10_steps=3000,
        mc_ks=(1, 2, 3, 5, 9, 20, 50, 100), gaussian_seeds=(0, 1, 2, 3, 4),
    ),
    "paper": Scale(
        width=1024, layers=2, steps=1_000_000, train_size=None, test_size=None, seeds=(0, 1, 2),
        fig4_widths=(1024, 2048), fig9_width=2048, fig9_pn=(256, 256, 512),
        fig10_sizes=(100, 500, 1000, 5000, 10000, 50000), fig10_hidden=(1024, 1024, 2048), fig10_steps=200_000,
        mc_ks=(1, 2, 3, 5, 9, 20, 50, 100), gaussian_seeds=tuple(range(10)), dropconnect_mask="per-example",
        evals=50, table2_standard_hidden=(800, 800), table2_dropout_hidden=(1024, 1024, 1024),
    ),
    "tiny": Scale(
        width=16, layers=2, steps=30, train_size=300, test_size=200, seeds=(0, 1),
        fig4_widths=(8, 16), fig9_width=16, fig9_pn=(4, 4, 8),
        fig10_sizes=(50, 100, 300), fig10_hidden=(16, 16), fig10_steps=30,
        mc_ks=(1, 2, 5, 10), gaussian_seeds=(0, 1), evals=3,
    ),
}

BATCH_SIZE = 100
LEARNING_RATE = 0.02
MOMENTUM = 0.9
KEEP_HIDDEN, KEEP_INPUT = 0.5, 0.8
MAX_NORM = 3.0
MAX_EPOCHS = RunConfig.model_fields["epochs"].metadata[1].le


@dataclass(frozen=True)
class Trial:
    """One training run of a sweep; ``key`` is its identity in the results store."""

    experiment: str
    preset: str
    dataset: str
    series: str
    x: float | None
    x_name: str
    config: RunConfig
    test_size: int | None = None
    mc_ks: tuple[int, ...] = ()

    @property
    def seed(self) -> int:
        return self.config.seed

    @property
    def condition(self) -> str:
        return self.series if self.x is None else f"{self.series}, {self.x_name}={format_x(self.x)}"

    def identity(self) -> dict:
        """What determines the numbers. ``device`` is left out: it says where, not what."""
        config = self.config.model_dump(mode="json")
        config.pop("device", None)
        return {
            "experiment": self.experiment, "preset": self.preset, "dataset": self.dataset,
            "config": config, "seed": self.seed, "test_size": self.test_size, "mc_ks": list(self.mc_ks),
        }

    @property
    def key(self) -> str:
        text = json.dumps(self.identity(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def to_dict(self) -> dict:
        return {
            "key": self.key, "experiment": self.experiment, "preset": self.preset, "dataset": self.dataset,
            "series": self.series, "x": self.x, "x_name": self.x_name, "condition": self.condition,
            "seed": self.seed, "config": self.config.model_dump(mode="json"),
            "test_size": self.test_size, "mc_ks": list(self.mc_ks),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Trial":
        return cls(
            experiment=data["experiment"], preset=data["preset"], dataset=data["dataset"], series=data["series"],
            x=data.get("x"), x_name=data.get("x_name", "x"), config=from_mapping(data["config"]),
            test_size=data.get("test_size"), mc_ks=tuple(data.get("mc_ks") or ()),
        )


def format_x(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) >= 1 else f"{x:g}"


@dataclass(frozen=True)
class ExperimentSpec:
    name: str
    title: str
    paper_ref: str
    description: str
    kind: str  # bars | curves | xy | mc
    x_name: str
    x_log: bool
    build: Callable[["Context"], list[tuple[str, float | None, dict, tuple[int, ...]]]] = field(repr=False)

    def trials(self, dataset: str, preset: str = "quick", *, n_available: int | None = None,
               seeds: Sequence[int] | None = None, device: str = "auto") -> list[Trial]:
        """Every trial of this experiment on ``dataset`` at ``preset`` (conditions x seeds)."""
        if preset not in SCALES:
            raise ValueError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
        scale = SCALES[preset]
        n_available = n_available if n_available is not None else training_examples(dataset)
        context = Context(dataset, preset, scale, n_available)
        trials = []
        for series, x, settings, seed_list in self.build(context):
            for seed in (seeds if seeds is not None else seed_list):
                config = context.config(**settings, seed=seed, device=device)
                test_size = context.test_size(config)
                trials.append(Trial(
                    self.name, preset, dataset, series, x, self.x_name, config, test_size,
                    settings_mc_ks(self.name, scale),
                ))
        return trials


def settings_mc_ks(name: str, scale: Scale) -> tuple[int, ...]:
    return scale.mc_ks if name == "fig11" else ()


# Test-set sizes of the registry's classification data sets (the subsets never exceed them).
TEST_EXAMPLES = {"digits": 450, "mnist": 10_000, "fashion-mnist": 10_000}
TRAIN_EXAMPLES = {"digits": 1347, "mnist": 60_000, "fashion-mnist": 60_000}
TOY_MAX_TRAIN = 10_000


def training_examples(dataset: str) -> int:
    """How many training examples ``dataset`` offers (generated toys: capped at 10,000)."""
    from .data import TOY_DATASETS, load_dataset

    name = dataset.strip().lower()
    if name in TRAIN_EXAMPLES:
        return TRAIN_EXAMPLES[name]
    if name in TOY_DATASETS:
        return TOY_MAX_TRAIN
    return int(load_dataset(dataset).x_train.shape[0])  # a CSV: read it once


@dataclass(frozen=True)
class Context:
    dataset: str
    preset: str
    scale: Scale
    n_available: int

    def train_size(self, wanted: int | None) -> int | None:
        if wanted is None or wanted >= self.n_available:
            return None if self.dataset in TRAIN_EXAMPLES else min(self.n_available, TOY_MAX_TRAIN)
        return wanted

    def test_size(self, config: RunConfig) -> int | None:
        wanted = self.scale.test_size
        full = TEST_EXAMPLES.get(self.dataset)
        if wanted is None or (full is not None and wanted >= full):
            return None
        if full is None and self.dataset.endswith(".csv"):
            return None  # a CSV's test split is fixed
        return wanted

    def config(self, *, seed: int, device: str, steps: int | None = None, train_size: int | None = -1, **settings) -> RunConfig:
        scale = self.scale
        size = self.train_size(scale.train_size if train_size == -1 else train_size)
        n_train = size if size is not None else self.n_available
        steps = steps or scale.steps
        steps_per_epoch = math.ceil(n_train / min(BATCH_SIZE, n_train))
        # RunConfig caps epochs at 100,000: on 100 examples the paper preset then gets 100K updates.
        epochs = min(MAX_EPOCHS, max(1, math.ceil(steps / steps_per_epoch)))
        total = epochs * steps_per_epoch
        values = {
            "dataset": self.dataset, "train_size": size, "hidden": (scale.width,) * scale.layers,
            "activation": "relu", "method": "dropout", "keep_p": KEEP_HIDDEN, "keep_p_input": KEEP_INPUT,
            "optimizer": "sgd", "lr": LEARNING_RATE, "momentum": MOMENTUM, "batch_size": BATCH_SIZE,
            "epochs": epochs, "seed": seed, "twin": False, "eval_every": max(1, total // scale.evals),
            "device": device, "dropconnect_mask": scale.dropconnect_mask,
        }
        values.update(settings)
        return from_mapping(values)


NO_DROPOUT = {"method": "none", "keep_p": 1.0, "keep_p_input": 1.0}


def _table2(c: Context):
    s = c.scale
    standard = {"hidden": s.table2_standard_hidden} if s.table2_standard_hidden else {}
    dropout = {"hidden": s.table2_dropout_hidden} if s.table2_dropout_hidden else {}
    return [
        ("standard, logistic", None, {**NO_DROPOUT, "activation": "logistic", **standard}, s.seeds),
        ("standard, ReLU", None, {**NO_DROPOUT, **standard}, s.seeds),
        ("dropout, logistic", None, {"activation": "logistic", **dropout}, s.seeds),
        ("dropout, ReLU", None, dict(dropout), s.seeds),
        ("dropout + max-norm, ReLU", None, {"max_norm": MAX_NORM, **dropout}, s.seeds),
        ("Gaussian dropout, ReLU", None, {"method": "gaussian", **dropout}, s.seeds),
        ("DropConnect, ReLU", None, {"method": "dropconnect", "keep_p_input": 1.0, **dropout}, s.seeds),
    ]


def _fig4(c: Context):
    s = c.scale
    rows = []
    for depth in (1, 2, 3):
        for width in s.fig4_widths:
            hidden = (width,) * depth
            rows.append((f"{depth} x {width}, dropout", None, {"hidden": hidden}, s.seeds))
            rows.append((f"{depth} x {width}, no dropout", None, {**NO_DROPOUT, "hidden": hidden}, s.seeds))
    return rows


KEEP_GRID = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def _fig9a(c: Context):
    s = c.scale
    hidden = (s.fig9_width,) * 3
    return [("dropout", p, {"hidden": hidden, "keep_p": p, "keep_p_input": 1.0}, s.seeds) for p in KEEP_GRID]


def fig9b_hidden(pn: Sequence[int], keep_p: float) -> tuple[int, ...]:
    """Units per layer so that keep_p x n stays at ``pn`` (capped at the config's maximum)."""
    return tuple(min(MAX_UNITS, max(1, round(units / keep_p))) for units in pn)


def _fig9b(c: Context):
    s = c.scale
    return [("dropout", p, {"hidden": fig9b_hidden(s.fig9_pn, p), "keep_p": p, "keep_p_input": 1.0}, s.seeds)
            for p in KEEP_GRID]


def _fig10(c: Context):
    s = c.scale
    rows = []
    for size in s.fig10_sizes:
        if size > c.n_available:
            continue
        common = {"hidden": s.fig10_hidden, "train_size": size, "steps": s.fig10_steps}
        rows.append(("dropout", size, dict(common), s.seeds))
        rows.append(("no dropout", size, {**common, **NO_DROPOUT}, s.seeds))
    return rows


def _fig11(c: Context):
    return [("dropout", None, {}, c.scale.seeds)]


def _gaussian(c: Context):
    s = c.scale
    hidden = {"hidden": (s.width,) * 2} if c.preset != "paper" else {"hidden": (1024, 1024)}
    return [
        ("Bernoulli dropout", None, dict(hidden), s.gaussian_seeds),
        ("Gaussian dropout", None, {"method": "gaussian", **hidden}, s.gaussian_seeds),
    ]


EXPERIMENTS: dict[str, ExperimentSpec] = {spec.name: spec for spec in (
    ExperimentSpec("table2", "Standard net vs dropout, max-norm, Gaussian dropout, DropConnect", "Table 2",
                   "Final test error of each kind of net (the paper's Table 2, plus Gaussian dropout and "
                   "DropConnect rows).", "bars", "", False, _table2),
    ExperimentSpec("fig4", "Test error during training, 1-3 hidden layers x 2 widths, with and without dropout",
                   "Figure 4", "Test error against weight updates for every architecture, with and without "
                   "dropout.", "curves", "", False, _fig4),
    ExperimentSpec("fig9a", "Keep probability p with n fixed", "Figure 9a",
                   "Train and test error against p for a 3-hidden-layer net of fixed width (no input dropout).",
                   "xy", "p", False, _fig9a),
    ExperimentSpec("fig9b", "Keep probability p with p x n fixed", "Figure 9b",
                   "Train and test error against p when the expected number of kept units p x n is fixed.",
                   "xy", "p", False, _fig9b),
    ExperimentSpec("fig10", "Training-set size, with and without dropout", "Figure 10",
                   "Test error against the number of training examples (random stratified subsets).",
                   "xy", "train size", True, _fig10),
    ExperimentSpec("fig11", "Monte-Carlo model averaging vs weight scaling", "Figure 11",
                   "Test error of the average of k sampled thinned nets against k, and of the weight-scaled net.",
                   "mc", "k", True, _fig11),
    ExperimentSpec("gaussian", "Bernoulli vs Gaussian dropout", "Table 10",
                   "Bernoulli dropout against Gaussian dropout with the same mean and variance, several seeds.",
                   "bars", "", False, _gaussian),
)}


def get_experiment(name: str) -> ExperimentSpec:
    try:
        return EXPERIMENTS[name]
    except KeyError:
        raise ValueError(f"unknown experiment {name!r}; choose one of {', '.join(EXPERIMENTS)}") from None


def all_trials(names: Iterable[str], dataset: str, preset: str, **kwargs) -> list[Trial]:
    trials: list[Trial] = []
    for name in names:
        trials.extend(get_experiment(name).trials(dataset, preset, **kwargs))
    return trials


def default_dataset() -> str:
    """Fashion-MNIST when its files are here, else the bundled 8x8 digits."""
    from .data import find_idx_files

    try:
        return "fashion-mnist" if find_idx_files("fashion-mnist") else "digits"
    except Exception:  # noqa: BLE001 - an unreadable folder means "not here"
        return "digits"


# --- Monte-Carlo model averaging (Figure 11) -----------------------------------------------------

def mc_average_errors(model, inputs, labels, ks: Sequence[int], generator=None,
                      chunk: int = 4096) -> tuple[dict[int, float], float]:
    """Test error of the average of k sampled thinned nets, for each k in ``ks``, and of weight scaling.

    Each sample runs the net in training mode (a fresh dropout mask per example
    and layer, inverted scaling); the class probabilities of the first k
    samples are averaged. Weight scaling is the same net in eval mode.
    """
    import torch  # here, so that listing experiments (CLI --help, --list) does not load torch

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
        scaled_wrong += (model(inputs[start:start + chunk]).argmax(1) != labels[start:start + chunk]).sum().item()
    model.train()
    wrong = dict.fromkeys(ks, 0)
    try:
        for start in range(0, inputs.shape[0], chunk):
            x, y = inputs[start:start + chunk], labels[start:start + chunk]
            total = torch.zeros(x.shape[0], model.layer_sizes[-1] if hasattr(model, "layer_sizes") else 1,
                                device=x.device)
            for sample in range(1, ks[-1] + 1):
                probabilities = torch.softmax(model(x), dim=1)
                total = probabilities if sample == 1 else total + probabilities
                if sample in wrong:
                    wrong[sample] += (total.argmax(1) != y).sum().item()
    finally:
        model.train(was_training)
    count = max(1, inputs.shape[0])
    return {k: wrong[k] / count for k in ks}, scaled_wrong / count


# --- summaries ----------------------------------------------------------------------------------

def result_rows(trial: dict) -> list[dict]:
    """The (condition, metrics) rows one stored trial contributes; Figure 11 trials give one per k."""
    metrics = trial.get("metrics") or {}
    base = {"experiment": trial["experiment"], "seed": trial["seed"]}
    mc = trial.get("extra", {}) or {}
    if trial["experiment"] == "fig11" and mc.get("mc"):
        rows = [{**base, "series": "weight scaling", "x": None, "condition": "weight scaling",
                 "test_error": mc["weight_scaling"], "train_error": metrics.get("train_error")}]
        for k, error in sorted(((int(k), v) for k, v in mc["mc"].items())):
            rows.append({**base, "series": "Monte-Carlo", "x": float(k), "condition": f"Monte-Carlo, k={k}",
                         "test_error": error, "train_error": None})
        return rows
    return [{**base, "series": trial["series"], "x": trial.get("x"), "condition": trial["condition"],
             "test_error": metrics.get("test_error"), "train_error": metrics.get("train_error")}]


def _mean_std(values: list[float]) -> tuple[float | None, float | None]:
    values = [v for v in values if v is not None and math.isfinite(v)]
    if not values:
        return None, None
    array = np.asarray(values, dtype=float)
    return float(array.mean()), float(array.std(ddof=1)) if len(array) > 1 else 0.0


def summarize(trials: Iterable[dict]) -> list[dict]:
    """Per condition: seeds, mean and std (sample, ddof=1) of final test and train error in %.

    Only completed trials count; conditions keep the order in which they first appear.
    """
    groups: dict[tuple, list[dict]] = {}
    for trial in trials:
        if trial.get("status") != "completed":
            continue
        for row in result_rows(trial):
            groups.setdefault((row["experiment"], row["condition"]), []).append(row)
    summary = []
    for (experiment, condition), rows in groups.items():
        test_mean, test_std = _mean_std([r["test_error"] for r in rows])
        train_mean, train_std = _mean_std([r["train_error"] for r in rows])
        pct = lambda v: None if v is None else round(100 * v, 4)  # noqa: E731
        summary.append({
            "experiment": experiment, "condition": condition, "series": rows[0]["series"], "x": rows[0]["x"],
            "n": len(rows), "seeds": sorted({r["seed"] for r in rows}),
            "test_error_pct_mean": pct(test_mean), "test_error_pct_std": pct(test_std),
            "train_error_pct_mean": pct(train_mean), "train_error_pct_std": pct(train_std),
        })
    return summary


def mean_curves(trials: Iterable[dict]) -> list[dict]:
    """Per condition, the test and train error (%) at each evaluation step, averaged over seeds."""
    groups: dict[str, dict[int, list[tuple[float, float]]]] = {}
    for trial in trials:
        if trial.get("status") != "completed":
            continue
        points = groups.setdefault(trial["condition"], {})
        for point in trial.get("curves") or ():
            points.setdefault(int(point["step"]), []).append((point["test_error"], point["train_error"]))
    rows = []
    for condition, points in groups.items():
        for step in sorted(points):
            test, train = zip(*points[step])
            rows.append({"condition": condition, "step": step, "test_error_pct": 100 * float(np.mean(test)),
                         "train_error_pct": 100 * float(np.mean(train)), "n": len(test)})
    return rows
