"""The fair protocol and the presets' scales: what one trial is (:class:`Trial`, its identity hash) and how
each preset sizes it (:data:`SCALES`); what each preset changes is text in :mod:`.preset_notes`."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from ..config import RunConfig, from_mapping

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
