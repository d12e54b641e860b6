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


@dataclass(frozen=True)
class Protocol:
    """How every trial picks its learning rate and its stopping point, the same for both arms.

    The training examples are split once per trial: ``validation_fraction`` of them
    (stratified, seeded by the trial's seed) are held out as a validation set and
    never trained on; the test set is never looked at for any choice. For each
    learning rate of ``lr_grid`` the net trains for at most the preset's number of
    updates and stops early once ``patience`` evaluations in a row bring no better
    validation error (ties broken by validation loss); its best evaluation is its
    checkpoint. The learning rate whose checkpoint has the lowest validation error
    wins, and the trial reports that checkpoint's train and test error, with the
    chosen values stored beside them.
    """

    lr_grid: tuple[float, ...]
    validation_fraction: float = 1 / 6  # MNIST's 50K/10K train/validation split in the paper
    patience: int = 5

    def __post_init__(self) -> None:
        if not self.lr_grid or any(not 0 < lr <= 10 for lr in self.lr_grid):
            raise ValueError(f"lr_grid must be learning rates in (0, 10], got {self.lr_grid!r}")
        if not 0 < self.validation_fraction < 1:
            raise ValueError(f"validation_fraction must be in (0, 1), got {self.validation_fraction!r}")
        if self.patience < 1:
            raise ValueError(f"patience must be at least 1, got {self.patience!r}")

    def validation_size(self, n_train: int, n_classes: int = 1) -> int:
        """Held-out examples of ``n_train``: the fraction, at least one per class, leaving as many to train on."""
        wanted = max(n_classes, round(n_train * self.validation_fraction))
        return max(1, min(wanted, n_train - max(n_classes, 1)))

    def to_dict(self) -> dict:
        return {
            "lr_grid": list(self.lr_grid),
            "validation_fraction": round(self.validation_fraction, 6),
            "patience": self.patience,
        }

    @classmethod
    def from_dict(cls, data: dict | None) -> "Protocol | None":
        if not data:
            return None
        return cls(
            tuple(float(lr) for lr in data["lr_grid"]), float(data["validation_fraction"]), int(data["patience"])
        )


# Fixed before any result of this protocol was seen, for every data set alike: half-decades around the
# rate used so far (0.02 at momentum 0.9). The paper's presets add the paper's larger rates for
# dropout nets with max-norm (10-100x a standard net's), which plain nets may take or leave.
QUICK_LR_GRID = (0.01, 0.03, 0.1)
STANDARD_LR_GRID = (0.01, 0.03, 0.1, 0.3)
PAPER_LR_GRID = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0)

PRESET_NOTES = {
    "quick": (
        "Minutes on a 2-core CPU, for a class: 2 hidden layers of 128 ReLU units (Figure 4: 1-3 x 64/128, "
        "the paper: 2-4 x 1024/2048; Figure 9: 3 x 128, p x n = 32/32/64), at most 1,500 weight updates per "
        "run (batch 100), 5,000 training examples (of which 1/6 validation) and 5,000 test images (Figure 10: "
        "subsets of 100..10K, no 50K), 2 seeds (Table 10: 3), MC k up to 50, per-mini-batch DropConnect "
        "masks. Learning-rate grid 0.01 / 0.03 / 0.1 (3 runs per trial), momentum 0.9, no max-norm except "
        "in its own Table 2 row (the paper: max-norm on every dropout net)."
    ),
    "standard": (
        "Tens of minutes on a 2-core CPU (estimated, not measured): 2 x 512 units (Figure 4: 1-3 x "
        "256/512, the paper: 2-4; Figure 9: 3 x 512, p x n = 64/64/128, Figure 10: 512-512-1024), at most "
        "3,000 updates, 20,000 training examples (of which 1/6 validation; Figure 10: up to 50K) and the "
        "full test set, 3 seeds (Table 10: 5), per-mini-batch DropConnect masks. The paper's recipe where "
        "it can: momentum 0.95 (the paper raises it to 0.99 over training; here it is constant), max-norm "
        "c = 3 on every dropout net except Table 2's 'dropout' rows without it, learning-rate grid "
        "0.01 / 0.03 / 0.1 / 0.3 (4 runs per trial)."
    ),
    "paper": (
        "The paper's sizes and lengths (for a GPU or a Ray cluster): 3 x 1024 dropout nets and "
        "2 x 800 standard nets for Table 2, 2-4 hidden layers x 1024/2048 for Figure 4, "
        "784-2048-2048-2048-10 for Figure 9, 784-1024-1024-2048-10 for Figure 10, 2 x 1024 for Table 10, "
        "all training images (50K train / 10K validation on MNIST, the paper's split), at most 1M weight "
        "updates (Figure 10: 200K, a length the paper does not state), 3 seeds, per-example DropConnect masks. "
        "The paper's recipe where it can: momentum 0.95 (constant; the paper raises it to 0.99), max-norm "
        "c = 3 on every dropout net except Table 2's 'dropout' rows without it, learning-rate grid "
        "0.003 .. 1.0 in half-decades (6 runs per trial) in place of the paper's unstated per-net choices; "
        "no learning-rate decay."
    ),
    "tiny": (
        "Seconds, for tests and smoke runs: 2 x 16 units, at most 30 updates, 300 training / 200 test "
        "examples, 2 seeds, learning-rate grid 0.03 / 0.1, patience 2."
    ),
}
PRESET_NOTES_ZH = {
    "quick": (
        "在 2 核 CPU 上几分钟，适合课堂：2 个隐藏层各 128 个 ReLU 单元（图 4：1-3 层 × 64/128，论文为 2-4 层 × "
        "1024/2048；图 9：3 × 128，p × n = 32/32/64），每次训练最多 1,500 次权重更新（批量 100），5,000 个训练样本"
        "（其中 1/6 作验证集）与 5,000 张测试图像（图 10：100..10K 的子集，没有 50K），2 个种子（表 10：3 个），"
        "MC 的 k 最大 50，DropConnect 每个小批量一个掩码。学习率网格 0.01 / 0.03 / 0.1（每个试验 3 次训练），"
        "动量 0.9，除表 2 中专门的一行外不用 max-norm（论文：每个 Dropout 网络都用 max-norm）。"
    ),
    "standard": (
        "在 2 核 CPU 上几十分钟（估计，未实测）：2 × 512 个单元（图 4：1-3 层 × 256/512，论文为 2-4 层；"
        "图 9：3 × 512，p × n = 64/64/128；图 10：512-512-1024），最多 3,000 次更新，20,000 个训练样本"
        "（其中 1/6 作验证集；图 10 最多 50K）与完整测试集，3 个种子（表 10：5 个），DropConnect 每个小批量一个掩码。"
        "尽量按论文的做法：动量 0.95（论文在训练中把它升到 0.99，这里保持不变），除表 2 中不带 max-norm 的"
        "“dropout”行外每个 Dropout 网络都用 max-norm c = 3，学习率网格 0.01 / 0.03 / 0.1 / 0.3（每个试验 4 次训练）。"
    ),
    "paper": (
        "论文的规模与训练长度（用于 GPU 或 Ray 集群）：表 2 为 3 × 1024 的 Dropout 网络与 2 × 800 的标准网络，"
        "图 4 为 2-4 个隐藏层 × 1024/2048，图 9 为 784-2048-2048-2048-10，图 10 为 784-1024-1024-2048-10，"
        "表 10 为 2 × 1024，全部训练图像（MNIST 上 50K 训练 / 10K 验证，与论文相同的划分），最多 1M 次权重更新"
        "（图 10：200K，论文未说明其长度），3 个种子，DropConnect 每个样本一个掩码。尽量按论文的做法：动量 0.95"
        "（保持不变；论文升到 0.99），除表 2 中不带 max-norm 的“dropout”行外每个 Dropout 网络都用 max-norm c = 3，"
        "学习率网格 0.003 .. 1.0（半个数量级一档，每个试验 6 次训练），代替论文未说明的逐网络选择；不做学习率衰减。"
    ),
    "tiny": "几秒钟，用于测试与冒烟运行：2 × 16 个单元，最多 30 次更新，300 个训练 / 200 个测试样本，2 个种子，学习率网格 0.03 / 0.1，耐心 2。",
}
COMMON_NOTE = (
    "All presets, for every condition and both arms (with and without dropout) alike: 1/6 of the "
    "training examples held out as a validation set (never the test set); each learning rate of the "
    "preset's grid trains for at most the preset's number of updates and stops early after 5 "
    "evaluations (2 in tiny) without a better validation error; the learning rate and the stopping "
    "point with the lowest validation error are chosen and shown in the results table, with that "
    "checkpoint's train and test error. SGD with momentum, batch 100, keep p = 0.5 hidden / 0.8 input "
    "(Figure 9: no input dropout), max-norm c = 3 (the paper's c: on W/p under inverted scaling) where "
    "used. The grids were fixed before any result of this protocol was seen."
)
COMMON_NOTE_ZH = (
    "所有预设中，每个条件、有无 Dropout 两组都一样：留出 1/6 的训练样本作验证集（从不使用测试集）；预设网格中"
    "的每个学习率最多训练预设的更新次数，并在连续 5 次评估（tiny 为 2 次）验证误差没有改进时提前停止；"
    "选出验证误差最低的学习率与停止点，显示在结果表中，同时给出该检查点的训练与测试误差。带动量的 SGD，"
    "批量 100，保留概率 p = 0.5（隐藏层）/ 0.8（输入）（图 9：输入不做 Dropout），需要时 max-norm c = 3"
    "（论文的 c：反向缩放时约束 W/p）。网格在看到本协议的任何结果之前就已确定。"
)


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
    protocol: Protocol
    dropconnect_mask: str = "per-batch"
    evals: int = 20  # evaluations (curve points, early-stopping checks) per run at the full budget
    table2_standard_hidden: tuple[int, ...] | None = None
    table2_dropout_hidden: tuple[int, ...] | None = None
    fig4_depths: tuple[int, ...] = (1, 2, 3)  # the paper: 2, 3 and 4 hidden layers
    momentum: float = 0.9
    dropout_max_norm: float | None = None  # the paper's recipe: max-norm on every dropout net


SCALES: dict[str, Scale] = {
    "quick": Scale(
        width=128,
        layers=2,
        steps=1500,
        train_size=5000,
        test_size=5000,
        seeds=(0, 1),
        fig4_widths=(64, 128),
        fig9_width=128,
        fig9_pn=(32, 32, 64),
        fig10_sizes=(100, 500, 1000, 5000, 10000),
        fig10_hidden=(128, 128),
        fig10_steps=1500,
        mc_ks=(1, 2, 3, 5, 10, 20, 50),
        gaussian_seeds=(0, 1, 2),
        protocol=Protocol(QUICK_LR_GRID),
    ),
    "standard": Scale(
        width=512,
        layers=2,
        steps=3000,
        train_size=20000,
        test_size=None,
        seeds=(0, 1, 2),
        fig4_widths=(256, 512),
        fig9_width=512,
        fig9_pn=(64, 64, 128),
        fig10_sizes=(100, 500, 1000, 5000, 10000, 50000),
        fig10_hidden=(512, 512, 1024),
        fig10_steps=3000,
        mc_ks=(1, 2, 3, 5, 9, 20, 50, 100),
        gaussian_seeds=(0, 1, 2, 3, 4),
        protocol=Protocol(STANDARD_LR_GRID),
        momentum=0.95,
        dropout_max_norm=3.0,
    ),
    "paper": Scale(
        width=1024,
        layers=2,
        steps=1_000_000,
        train_size=None,
        test_size=None,
        seeds=(0, 1, 2),
        fig4_widths=(1024, 2048),
        fig9_width=2048,
        fig9_pn=(256, 256, 512),
        fig10_sizes=(100, 500, 1000, 5000, 10000, 50000),
        fig10_hidden=(1024, 1024, 2048),
        fig10_steps=200_000,
        mc_ks=(1, 2, 3, 5, 9, 20, 50, 100),
        gaussian_seeds=tuple(range(10)),
        dropconnect_mask="per-example",
        evals=50,
        table2_standard_hidden=(800, 800),
        table2_dropout_hidden=(1024, 1024, 1024),
        fig4_depths=(2, 3, 4),
        protocol=Protocol(PAPER_LR_GRID),
        momentum=0.95,
        dropout_max_norm=3.0,
    ),
    "tiny": Scale(
        width=16,
        layers=2,
        steps=30,
        train_size=300,
        test_size=200,
        seeds=(0, 1),
        fig4_widths=(8, 16),
        fig9_width=16,
        fig9_pn=(4, 4, 8),
        fig10_sizes=(50, 100, 300),
        fig10_hidden=(16, 16),
        fig10_steps=30,
        mc_ks=(1, 2, 5, 10),
        gaussian_seeds=(0, 1),
        evals=3,
        protocol=Protocol((0.03, 0.1), patience=2),
    ),
}

BATCH_SIZE = 100
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
    protocol: Protocol | None = None  # None: one run at config.lr for the whole budget (results of old versions)

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
        config.pop("data_dir", None)  # where the files are read from, not what they hold
        identity = {
            "experiment": self.experiment,
            "preset": self.preset,
            "dataset": self.dataset,
            "config": config,
            "seed": self.seed,
            "test_size": self.test_size,
            "mc_ks": list(self.mc_ks),
        }
        if self.protocol is not None:
            identity["protocol"] = self.protocol.to_dict()
        return identity

    @property
    def key(self) -> str:
        text = json.dumps(self.identity(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "experiment": self.experiment,
            "preset": self.preset,
            "dataset": self.dataset,
            "series": self.series,
            "x": self.x,
            "x_name": self.x_name,
            "condition": self.condition,
            "seed": self.seed,
            "config": self.config.model_dump(mode="json"),
            "test_size": self.test_size,
            "mc_ks": list(self.mc_ks),
            "protocol": self.protocol.to_dict() if self.protocol is not None else None,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Trial":
        return cls(
            experiment=data["experiment"],
            preset=data["preset"],
            dataset=data["dataset"],
            series=data["series"],
            x=data.get("x"),
            x_name=data.get("x_name", "x"),
            config=from_mapping(data["config"]),
            test_size=data.get("test_size"),
            mc_ks=tuple(data.get("mc_ks") or ()),
            protocol=Protocol.from_dict(data.get("protocol")),
        )


def format_x(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) >= 1 else f"{x:g}"


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
    from .data import find_idx_files

    try:
        return "fashion-mnist" if find_idx_files("fashion-mnist") else "digits"
    except Exception:  # noqa: BLE001 - an unreadable folder means "not here"
        return "digits"


# --- Monte-Carlo model averaging (Figure 11) -----------------------------------------------------


def mc_average_errors(
    model, inputs, labels, ks: Sequence[int], generator=None, chunk: int = 4096
) -> tuple[dict[int, float], float]:
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


# --- summaries ----------------------------------------------------------------------------------


def result_rows(trial: dict) -> list[dict]:
    """The (condition, metrics) rows one stored trial contributes; Figure 11 trials give one per k."""
    metrics = trial.get("metrics") or {}
    mc = trial.get("extra", {}) or {}
    selection = mc.get("selection") or {}
    base = {
        "experiment": trial["experiment"],
        "seed": trial["seed"],
        "lr": selection.get("lr"),
        "stop_epoch": selection.get("epoch"),
        "val_error": selection.get("val_error"),
    }
    if trial["experiment"] == "fig11" and mc.get("mc"):
        rows = [
            {
                **base,
                "series": "weight scaling",
                "x": None,
                "condition": "weight scaling",
                "test_error": mc["weight_scaling"],
                "train_error": metrics.get("train_error"),
            }
        ]
        for k, error in sorted(((int(k), v) for k, v in mc["mc"].items())):
            rows.append(
                {
                    **base,
                    "series": "Monte-Carlo",
                    "x": float(k),
                    "condition": f"Monte-Carlo, k={k}",
                    "test_error": error,
                    "train_error": None,
                }
            )
        return rows
    return [
        {
            **base,
            "series": trial["series"],
            "x": trial.get("x"),
            "condition": trial["condition"],
            "test_error": metrics.get("test_error"),
            "train_error": metrics.get("train_error"),
        }
    ]


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
        val_mean, _ = _mean_std([r.get("val_error") for r in rows])
        epoch_mean, _ = _mean_std([r.get("stop_epoch") for r in rows])
        pct = lambda v: None if v is None else round(100 * v, 4)  # noqa: E731
        summary.append(
            {
                "experiment": experiment,
                "condition": condition,
                "series": rows[0]["series"],
                "x": rows[0]["x"],
                "n": len(rows),
                "seeds": sorted({r["seed"] for r in rows}),
                "test_error_pct_mean": pct(test_mean),
                "test_error_pct_std": pct(test_std),
                "train_error_pct_mean": pct(train_mean),
                "train_error_pct_std": pct(train_std),
                "val_error_pct_mean": pct(val_mean),
                # the protocol's choices, one per seed in seed order (None for results without a protocol)
                "lr_chosen": [r.get("lr") for r in sorted(rows, key=lambda r: r["seed"])],
                "stop_epoch_chosen": [r.get("stop_epoch") for r in sorted(rows, key=lambda r: r["seed"])],
                "stop_epoch_mean": None if epoch_mean is None else round(epoch_mean, 2),
            }
        )
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
            rows.append(
                {
                    "condition": condition,
                    "step": step,
                    "test_error_pct": 100 * float(np.mean(test)),
                    "train_error_pct": 100 * float(np.mean(train)),
                    "n": len(test),
                }
            )
    return rows
