"""What travels between the server and a host: job specs, weights, and the pool's tuning constants."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from ..config import RunConfig
from ..data import Dataset

BACKENDS = ("process", "thread", "ray")
# A host trains one run for this long before moving to the next: short enough that 16 runs on
# one core each advance several times a second, long enough that switching costs nothing.
SLICE_SECONDS = 0.02
# At most this often a training run's weights travel to the server for the views that predict.
WEIGHTS_PERIOD = 0.5
# A cohort (many runs stacked, see dropviz.cohort) trains for at most this long per turn.
COHORT_SLICE_SECONDS = 0.2
WEIGHTS_BYTES_PER_SECOND = 20e6
DEFAULT_RUNS_PER_HOST = 16
MASK_HISTORY = 24  # MetricLog's default: the host sends at most this many masks per batch
# The newest state snapshot (probe activations: ~0.5 MB for the default demo) travels at most this
# often while training; every one the log's thinned history keeps travels as it comes.
STATE_PERIOD = 1.0
STATE_HISTORY = 40


def cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class JobSpec:
    """What a host builds: ``factory(config, dataset, **options)`` following the trainer protocol
    (``dropviz.train.Trainer``, ``dropviz.keep_sweep.KeepSweep``)."""

    factory: Any
    config: RunConfig
    dataset: Dataset | None = None
    options: dict = field(default_factory=dict)


def job_weights(job) -> dict | None:
    """The job's current weights as plain numpy state dicts (numpy, not tensors: plain pickling copies
    the values, where torch's multiprocessing reductions would share memory across processes)."""
    if hasattr(job, "export_weights"):
        return job.export_weights()
    models = getattr(job, "models", None)
    if not isinstance(models, dict):
        return None
    return {
        run: {name: tensor.detach().cpu().numpy().copy() for name, tensor in model.state_dict().items()}
        for run, model in models.items()
    }


def _nbytes(tree) -> int:
    if isinstance(tree, dict):
        return sum(_nbytes(value) for value in tree.values())
    if isinstance(tree, (list, tuple)):
        return sum(_nbytes(value) for value in tree)
    return int(getattr(tree, "nbytes", 0))


class SweepJob:
    """A :class:`~dropviz.keep_sweep.KeepSweep` as a pool job: every member's Started first, and its
    stacked weights (all members at once) as the weights it sends."""

    def __init__(self, config: RunConfig, dataset: Dataset | None = None, *, keep_grid, **options):
        from ..keep_sweep import KeepSweep

        self.sweep = KeepSweep(config, keep_grid, dataset, **options)

    def __getattr__(self, name):  # the trainer protocol: step, done, status, message, stop, step_count...
        return getattr(self.sweep, name)

    def started_events(self) -> list:
        from ..keep_sweep import MemberEvent

        sweep = self.sweep
        return [sweep.started_event()] + [MemberEvent(keep, sweep.started_event(keep)) for keep in sweep.keep_grid]

    def export_weights(self) -> dict:
        sweep = self.sweep
        return {
            "weights": [w.detach().cpu().numpy().copy() for w in sweep.weights],
            "biases": [b.detach().cpu().numpy().copy() for b in sweep.biases],
            "twin_index": sweep.twin_index,
            # each member's dropped units of its last mini-batch, for the unit maps' marks
            "unit_masks": {keep: sweep.member_unit_masks(keep) for keep in sweep.keep_grid},
        }
