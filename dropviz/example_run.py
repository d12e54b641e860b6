"""The built-in example runs that the analysis pages show before a visitor has trained anything.

Small enough to train in a few seconds on a shared CPU; trained headless through
:func:`dropviz.train.run_to_end` and returned as eval-mode nets with a short history of
probe-activation snapshots (the co-adaptation page's animation frames).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .config import RunConfig
from .data import Dataset, load_dataset
from .models import MLP
from .train import StateSnapshot, Trainer, run_to_end

# 8x8 digits, 64-128-128-10, hidden dropout 0.5 (or DropConnect); moons for a 2D picture.
_DIGITS_DROPOUT = RunConfig(
    dataset="digits", hidden=(128, 128), method="dropout", keep_p=0.5, lr=0.05, momentum=0.9, batch_size=32,
    epochs=10, seed=0, device="cpu",
)  # fmt: skip
EXAMPLE_CONFIGS = {
    "dropout": _DIGITS_DROPOUT,
    "dropconnect": _DIGITS_DROPOUT.model_copy(update={"method": "dropconnect", "dropconnect_mask": "per-batch"}),
    "moons": _DIGITS_DROPOUT.model_copy(
        update={"dataset": "moons", "train_size": 300, "noise": 0.25, "hidden": (64, 64), "epochs": 60}
    ),
}
SNAPSHOTS = 12  # probe-activation snapshots over an example run


@dataclass(frozen=True)
class ExampleRun:
    config: RunConfig
    models: dict[str, MLP]  # "method" and "baseline", eval mode, recording nothing
    dataset: Dataset
    state_history: tuple[StateSnapshot, ...]
    step: int
    status: str


def train_example(config: RunConfig, snapshots: int = SNAPSHOTS) -> ExampleRun:
    """Train ``config`` (method + twin) to the end, keeping about ``snapshots`` probe snapshots."""
    dataset = load_dataset(config.dataset, train_size=config.train_size, noise=config.noise, seed=config.seed)
    n_train = dataset.x_train.shape[0]
    total_steps = math.ceil(n_train / min(config.batch_size, n_train)) * config.epochs
    trainer = Trainer(config, dataset, record_masks=False, state_every=max(1, total_steps // snapshots))
    history = [trainer.state_snapshot()]

    def keep(event) -> None:
        if isinstance(event, StateSnapshot) and event.step != history[-1].step:
            history.append(event)

    run_to_end(trainer, keep)
    with torch.no_grad():
        models = {run: model.inference_copy() for run, model in trainer.models.items()}
    return ExampleRun(config, models, dataset, tuple(history), trainer.step_count, trainer.status)
