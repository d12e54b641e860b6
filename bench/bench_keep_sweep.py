"""The keep-probability sweep's cost as a ratio to the lone run, measured in the same process.

Lone run: ``Trainer(config)`` as the Playground runs it (method + no-dropout twin, masks recorded,
evaluations at the run's cadence). Sweep: ``KeepSweep(config)`` over the 10-value grid 0.1 ... 1.0
(its evaluations and state snapshots included). Runs are interleaved (lone, sweep, lone, sweep ...)
so machine noise hits both; the table shows medians. The issue's goal: ratio <= 1.5 for the default
demo (moons, 2-128-128-2, 2,000 steps). Per-example DropConnect runs fewer steps (it is ~10x a lone
run's cost by nature: one weight mask per example per member); its ratio is what the estimate reports.

A second table: how soon the first evaluation arrives on Fashion-MNIST-sized data (60,000 x 784,
784-256-256-10, synthetic pixels, so no download is needed) and what evaluations cost there.

    python bench/bench_keep_sweep.py [--repeats 3] [--quick] [--skip-fashion]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from _common import print_table  # noqa: F401  (sets sys.path)

from dropviz.config import RunConfig
from dropviz.data import Dataset, load_dataset
from dropviz.keep_sweep import DEFAULT_KEEP_GRID, KeepSweep, estimate_sweep_seconds
from dropviz.train import Evaluation, Trainer

VARIANTS = [
    ("dropout, inverted (default demo)", {}, None),
    ("dropout, weight-scaling", {"scaling": "weight-scaling"}, None),
    ("dropout, max-norm c=3", {"max_norm": 3.0}, None),
    ("Gaussian dropout", {"method": "gaussian"}, None),
    ("DropConnect per-batch", {"method": "dropconnect", "dropconnect_mask": "per-batch"}, None),
    ("DropConnect per-example", {"method": "dropconnect", "dropconnect_mask": "per-example"}, 100),
]


def run_to_end(trainer) -> float:
    started = time.perf_counter()
    while not trainer.done:
        trainer.step()
    return time.perf_counter() - started


def timed(make) -> tuple[float, float]:
    """Wall and CPU seconds (this process, one thread) of building and running a trainer to the end."""
    wall, cpu = time.perf_counter(), time.process_time()
    run_to_end(make())
    return time.perf_counter() - wall, time.process_time() - cpu


def time_pair(config: RunConfig, dataset: Dataset, repeats: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """Median (wall, CPU) seconds of the lone run and of the sweep, interleaved."""
    lone, sweep = [], []
    for _ in range(repeats):
        lone.append(timed(lambda: Trainer(config, dataset)))
        sweep.append(timed(lambda: KeepSweep(config, DEFAULT_KEEP_GRID, dataset)))
    median = lambda pairs, i: statistics.median(pair[i] for pair in pairs)  # noqa: E731
    return (median(lone, 0), median(lone, 1)), (median(sweep, 0), median(sweep, 1))


def fashion_sized(seed: int = 0) -> Dataset:
    generator = torch.Generator().manual_seed(seed)
    return Dataset(
        name="fashion-sized",
        x_train=torch.rand(60_000, 784, generator=generator),
        y_train=torch.randint(0, 10, (60_000,), generator=generator),
        x_test=torch.rand(10_000, 784, generator=generator),
        y_test=torch.randint(0, 10, (10_000,), generator=generator),
        n_classes=10,
        class_names=tuple(str(i) for i in range(10)),
        image_shape=(28, 28),
        description="synthetic, Fashion-MNIST sized",
    )


def first_evaluation(config: RunConfig, dataset: Dataset, **options) -> tuple[float, int, float, float]:
    """Seconds to the first evaluation, its step, and the mean seconds of a training step and of an evaluation."""
    trainer = Trainer(config, dataset, **options)
    started = time.perf_counter()
    while True:
        events = trainer.step()
        if any(isinstance(event, Evaluation) for event in events):
            break
    seconds_to_first = time.perf_counter() - started
    step_at = trainer.step_count
    step_started = time.perf_counter()
    for _ in range(20):
        trainer.step()
    per_step = (time.perf_counter() - step_started) / 20
    eval_started = time.perf_counter()
    trainer.evaluation(full=False)
    per_eval = time.perf_counter() - eval_started
    return seconds_to_first, step_at, per_step, per_eval


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="only the default demo")
    parser.add_argument("--skip-fashion", action="store_true", help="no Fashion-MNIST-sized first-evaluation table")
    args = parser.parse_args()
    torch.set_num_threads(1)  # the Playground's trainer shares a 2-core machine with the web server

    base = RunConfig()  # the default demo: moons, 2-128-128-2, 1,000 epochs of 2 steps
    dataset = load_dataset(base.dataset, train_size=base.train_size, noise=base.noise, seed=base.seed)
    print(
        f"Sweep of {len(DEFAULT_KEEP_GRID)} keep_p values vs the lone run (method + twin), one thread, "
        f"median of {args.repeats}. CPU seconds are the cost (wall seconds swing with other load on a shared "
        f"machine):\n"
    )
    print_table(
        [
            "method",
            "steps",
            "lone run CPU s",
            "sweep CPU s",
            "ratio (CPU)",
            "lone wall s",
            "sweep wall s",
            "ratio (wall)",
            "estimate s",
        ],
        [],
    )
    for label, updates, epochs in VARIANTS[:1] if args.quick else VARIANTS:
        config = base.model_copy(update={**updates, **({"epochs": epochs} if epochs else {})})
        lone, sweep = time_pair(config, dataset, args.repeats)
        estimate = estimate_sweep_seconds(config, DEFAULT_KEEP_GRID, dataset)
        steps = config.epochs * 2
        print(
            f"| {label} | {steps} | {lone[1]:.2f} | {sweep[1]:.2f} | {sweep[1] / lone[1]:.2f} | {lone[0]:.2f} | "
            f"{sweep[0]:.2f} | {sweep[0] / lone[0]:.2f} | {estimate:.1f} |",
            flush=True,
        )

    if args.quick or args.skip_fashion:
        return
    fashion = fashion_sized()
    config = RunConfig(dataset="fashion-sized", hidden=(256, 256), keep_p=0.5, keep_p_input=0.8, epochs=3, lr=0.05)
    rows = []
    for label, options in (("live subsample (default)", {}), ("full sets", {"eval_subsample": None})):
        to_first, step_at, per_step, per_eval = first_evaluation(config, fashion, **options)
        every = Trainer(config, fashion, **options).eval_every
        rows.append(
            [
                label,
                f"{to_first:.2f}",
                step_at,
                every,
                f"{per_step * 1000:.1f}",
                f"{per_eval * 1000:.0f}",
                f"{per_eval / (per_eval + every * per_step) * 100:.1f} %",
            ]
        )
    print("\nFirst evaluation on Fashion-MNIST-sized data (60,000 x 784, 784-256-256-10, batch 32, method + twin):\n")
    print_table(
        [
            "evaluation sets",
            "s to first evaluation",
            "at step",
            "eval every",
            "ms per step",
            "ms per evaluation",
            "share of time evaluating",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
