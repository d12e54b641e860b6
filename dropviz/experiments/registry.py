"""The registry of the paper's experiments: one :class:`ExperimentSpec` per table or figure, each expanding
to trials at a preset on a data set (sizes fitted to what the data set has)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

from ..config import MAX_UNITS, RunConfig, from_mapping
from .protocol import (
    BATCH_SIZE,
    KEEP_HIDDEN,
    KEEP_INPUT,
    MAX_EPOCHS,
    MAX_NORM,
    PRESETS,
    SCALES,
    Scale,
    Trial,
)


@dataclass(frozen=True)
class ExperimentSpec:
    name: str
    title: str
    paper_ref: str  # what the experiment shows is text: "desc.<name>" in ui/text/experiments.py
    kind: str  # bars | curves | xy | mc
    x_name: str
    x_log: bool
    build: Callable[["Context"], list[tuple[str, float | None, dict, tuple[int, ...]]]] = field(repr=False)

    def trials(
        self,
        dataset: str,
        preset: str = "quick",
        *,
        n_available: int | None = None,
        seeds: Sequence[int] | None = None,
        device: str = "auto",
        n_test: int | None = None,
        data_dir: str | None = None,
    ) -> list[Trial]:
        """Every trial of this experiment on ``dataset`` at ``preset`` (conditions x seeds).

        ``n_available`` / ``n_test``: the training and test examples the data set really
        has (default: the registry's official sizes); a preset's larger sizes are capped
        to them and Figure 10's larger subsets left out (see :func:`fit_notices`).
        """
        if preset not in SCALES:
            raise ValueError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
        scale = SCALES[preset]
        n_available = n_available if n_available is not None else training_examples(dataset)
        context = Context(dataset, preset, scale, n_available, n_test, data_dir)
        trials = []
        for series, x, settings, seed_list in self.build(context):
            for seed in seeds if seeds is not None else seed_list:
                config = context.config(**settings, seed=seed, device=device)
                test_size = context.test_size(config)
                trials.append(
                    Trial(
                        self.name,
                        preset,
                        dataset,
                        series,
                        x,
                        self.x_name,
                        config,
                        test_size,
                        settings_mc_ks(self.name, scale),
                        scale.protocol,
                    )
                )
        return trials


def fit_notices(names: Iterable[str], dataset: str, preset: str, n_train: int, n_test: int | None) -> list[str]:
    """What a sweep changes because the data set is smaller than the preset asks (one line each)."""
    scale = SCALES[preset]
    notices = []
    if scale.train_size is not None and scale.train_size > n_train:
        notices.append(
            f"preset {preset} trains on {scale.train_size:,} examples but {dataset} has {n_train:,}: "
            f"all {n_train:,} are used"
        )
    if scale.test_size is not None and n_test is not None and scale.test_size > n_test:
        notices.append(
            f"preset {preset} tests on {scale.test_size:,} examples but {dataset} has {n_test:,}: "
            f"all {n_test:,} are used"
        )
    if "fig10" in names:
        dropped = [size for size in scale.fig10_sizes if size > n_train]
        if dropped:
            notices.append(
                f"fig10: training-set sizes {', '.join(f'{s:,}' for s in dropped)} are larger than the "
                f"{n_train:,} training examples of {dataset} and are left out"
            )
    return notices


def settings_mc_ks(name: str, scale: Scale) -> tuple[int, ...]:
    return scale.mc_ks if name == "fig11" else ()


# Test-set sizes of the registry's classification data sets (the subsets never exceed them).
TEST_EXAMPLES = {"digits": 450, "mnist": 10_000, "fashion-mnist": 10_000}
N_CLASSES = {"digits": 10, "mnist": 10, "fashion-mnist": 10}
TRAIN_EXAMPLES = {"digits": 1347, "mnist": 60_000, "fashion-mnist": 60_000}
TOY_MAX_TRAIN = 10_000


def training_examples(dataset: str) -> int:
    """How many training examples ``dataset`` offers (generated toys: capped at 10,000)."""
    from ..data import TOY_DATASETS, load_dataset

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
    n_test: int | None = None  # None: the registry's official test-set size
    data_dir: str | None = None

    def train_size(self, wanted: int | None) -> int | None:
        if wanted is None or wanted >= self.n_available:
            return None if self.dataset in TRAIN_EXAMPLES else min(self.n_available, TOY_MAX_TRAIN)
        return wanted

    def test_size(self, config: RunConfig) -> int | None:
        wanted = self.scale.test_size
        full = self.n_test if self.n_test is not None else TEST_EXAMPLES.get(self.dataset)
        if wanted is None or (full is not None and wanted >= full):
            return None
        if full is None and self.dataset.endswith(".csv"):
            return None  # a CSV's test split is fixed
        return wanted

    def config(
        self, *, seed: int, device: str, steps: int | None = None, train_size: int | None = -1, **settings
    ) -> RunConfig:
        scale = self.scale
        size = self.train_size(scale.train_size if train_size == -1 else train_size)
        n_train = size if size is not None else self.n_available
        n_train -= scale.protocol.validation_size(n_train, N_CLASSES.get(self.dataset, 1))  # held out
        steps = steps or scale.steps
        steps_per_epoch = math.ceil(n_train / min(BATCH_SIZE, n_train))
        # RunConfig caps epochs at 100,000: on 100 examples the paper preset then gets 100K updates.
        epochs = min(MAX_EPOCHS, max(1, math.ceil(steps / steps_per_epoch)))
        total = epochs * steps_per_epoch
        values = {
            "dataset": self.dataset,
            "train_size": size,
            "hidden": (scale.width,) * scale.layers,
            "activation": "relu",
            "method": "dropout",
            "keep_p": KEEP_HIDDEN,
            "keep_p_input": KEEP_INPUT,
            "optimizer": "sgd",
            "lr": scale.protocol.lr_grid[0],
            "momentum": scale.momentum,
            "batch_size": BATCH_SIZE,
            "epochs": epochs,
            "seed": seed,
            "twin": False,
            "eval_every": max(1, total // scale.evals),
            "device": device,
            "dropconnect_mask": scale.dropconnect_mask,
            "data_dir": self.data_dir,
        }
        values.update(settings)
        if scale.dropout_max_norm is not None and values["method"] != "none" and "max_norm" not in settings:
            values["max_norm"] = scale.dropout_max_norm  # the paper's recipe for dropout nets
        return from_mapping(values)


NO_DROPOUT = {"method": "none", "keep_p": 1.0, "keep_p_input": 1.0}


def _table2(c: Context):
    s = c.scale
    standard = {"hidden": s.table2_standard_hidden} if s.table2_standard_hidden else {}
    dropout = {"hidden": s.table2_dropout_hidden} if s.table2_dropout_hidden else {}
    return [
        ("standard, logistic", None, {**NO_DROPOUT, "activation": "logistic", **standard}, s.seeds),
        ("standard, ReLU", None, {**NO_DROPOUT, **standard}, s.seeds),
        ("dropout, logistic", None, {"activation": "logistic", "max_norm": None, **dropout}, s.seeds),
        ("dropout, ReLU", None, {"max_norm": None, **dropout}, s.seeds),
        ("dropout + max-norm, ReLU", None, {"max_norm": MAX_NORM, **dropout}, s.seeds),
        ("Gaussian dropout, ReLU", None, {"method": "gaussian", **dropout}, s.seeds),
        ("DropConnect, ReLU", None, {"method": "dropconnect", "keep_p_input": 1.0, **dropout}, s.seeds),
    ]


def _fig4(c: Context):
    s = c.scale
    rows = []
    for depth in s.fig4_depths:
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
    return [
        ("dropout", p, {"hidden": fig9b_hidden(s.fig9_pn, p), "keep_p": p, "keep_p_input": 1.0}, s.seeds)
        for p in KEEP_GRID
    ]


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


EXPERIMENTS: dict[str, ExperimentSpec] = {
    spec.name: spec
    for spec in (
        ExperimentSpec(
            "table2",
            "Standard net vs dropout, max-norm, Gaussian dropout, DropConnect",
            "Table 2",
            "bars",
            "",
            False,
            _table2,
        ),
        ExperimentSpec(
            "fig4",
            "Test error during training, 3 depths x 2 widths, with and without dropout",
            "Figure 4",
            "curves",
            "",
            False,
            _fig4,
        ),
        ExperimentSpec(
            "fig9a",
            "Keep probability p with n fixed",
            "Figure 9a",
            "xy",
            "p",
            False,
            _fig9a,
        ),
        ExperimentSpec(
            "fig9b",
            "Keep probability p with p x n fixed",
            "Figure 9b",
            "xy",
            "p",
            False,
            _fig9b,
        ),
        ExperimentSpec(
            "fig10",
            "Training-set size, with and without dropout",
            "Figure 10",
            "xy",
            "train size",
            True,
            _fig10,
        ),
        ExperimentSpec(
            "fig11",
            "Monte-Carlo model averaging vs weight scaling",
            "Figure 11",
            "mc",
            "k",
            True,
            _fig11,
        ),
        ExperimentSpec(
            "gaussian",
            "Bernoulli vs Gaussian dropout",
            "Table 10",
            "bars",
            "",
            False,
            _gaussian,
        ),
    )
}


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
    from ..data import find_idx_files

    try:
        return "fashion-mnist" if find_idx_files("fashion-mnist") else "digits"
    except Exception:  # noqa: BLE001 - an unreadable folder means "not here"
        return "digits"
