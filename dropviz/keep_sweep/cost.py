"""What a sweep costs: how many networks it trains (what the server's run limits count) and how long it
would take on this machine (measured)."""

from __future__ import annotations

import math
import time
from typing import Sequence

import torch

from ..config import RunConfig
from ..data import Dataset
from ..train import EVAL_SUBSAMPLE
from .grid import DEFAULT_KEEP_GRID, _needs_separate_twin, check_keep_grid
from .stacked import MAX_SWEEP_EVALUATIONS, KeepSweep


def sweep_networks(config: RunConfig, keep_grid: Sequence[float] = DEFAULT_KEEP_GRID) -> int:
    """How many networks a sweep of ``config`` over ``keep_grid`` trains (its members, and a twin of its
    own where the keep_p = 1.0 member cannot be the twin): what the server's run limits count."""
    grid = check_keep_grid(keep_grid)
    return len(grid) + (1 if _needs_separate_twin(config, grid) else 0)


_ESTIMATES: dict[tuple, float] = {}


def estimate_sweep_seconds(
    config: RunConfig,
    keep_grid: Sequence[float] = DEFAULT_KEEP_GRID,
    dataset: Dataset | None = None,
    *,
    probe_steps: int = 3,
    cached: bool = True,
) -> float:
    """Seconds the whole sweep (evaluations included) would take on this machine.

    Measured, not modelled: a few real sweep steps and one evaluation on a synthetic data set of the
    run's shape, scaled to the run's step and evaluation counts (so per-example DropConnect's cost,
    memory traffic and per-step overhead are all in it). Timed in the calling thread's CPU time, not
    wall time: other work on the machine (other sessions' runs) would otherwise make the same sweep
    look several times slower. Cached per configuration and grid (``cached=False`` measures again).
    """
    grid = check_keep_grid(keep_grid)
    if dataset is None:
        from ..data import load_dataset

        dataset = load_dataset(
            config.dataset, train_size=config.train_size, noise=config.noise, seed=config.seed, data_dir=config.data_dir
        )
    n_train, n_features = dataset.x_train.shape
    n_test = dataset.x_test.shape[0]
    key = (config.model_dump_json(), grid, n_train, n_features, n_test, dataset.n_classes)
    if cached and key in _ESTIMATES:
        return _ESTIMATES[key]
    generator = torch.Generator().manual_seed(0)
    batch = min(config.batch_size, n_train)
    probe_train = min(n_train, max(batch, 64))
    synthetic = Dataset(
        name="estimate",
        x_train=torch.randn(probe_train, n_features, generator=generator),
        y_train=torch.randint(0, dataset.n_classes, (probe_train,), generator=generator),
        x_test=torch.randn(min(n_test, 256), n_features, generator=generator),
        y_test=torch.randint(0, dataset.n_classes, (min(n_test, 256),), generator=generator),
        n_classes=dataset.n_classes,
        class_names=tuple(str(c) for c in range(dataset.n_classes)),
        image_shape=None,
        description="synthetic",
    )
    probe_config = config.model_copy(update={"epochs": 1000, "train_size": None})
    sweep = KeepSweep(probe_config, grid, synthetic, record_masks=True, eval_every=10**9, eval_subsample=None)
    sweep.step()  # warm-up (allocations, first-call dispatch)
    started = time.thread_time()
    for _ in range(probe_steps):
        sweep.step()
    per_step = (time.thread_time() - started) / probe_steps
    started = time.thread_time()
    sweep.evaluate_members(full=True)
    sweep.state_snapshot()
    per_eval_point = (time.thread_time() - started) / (sweep._eval_sets[True][0].shape[0] + sweep.probe.shape[0])

    # The real run's counts.
    steps_per_epoch = math.ceil(n_train / batch)
    total_steps = steps_per_epoch * config.epochs
    from ..train import TRAIN_EVAL_LIMIT, default_eval_every

    run_eval_every = config.eval_every or default_eval_every(steps_per_epoch, batch)
    eval_every = max(run_eval_every, math.ceil(total_steps / MAX_SWEEP_EVALUATIONS))
    n_evaluations = total_steps // eval_every + 1
    live_points = min(n_train, TRAIN_EVAL_LIMIT, EVAL_SUBSAMPLE) + min(n_test, EVAL_SUBSAMPLE) + min(n_test, 256)
    seconds = total_steps * per_step + n_evaluations * live_points * per_eval_point
    _ESTIMATES[key] = seconds
    return seconds
