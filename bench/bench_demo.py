"""The default demo: after 15 s of training, is the twin's test loss clearly above dropout's?

Trains the default RunConfig (method + no-dropout twin) for a wall-clock budget
with 1 torch thread (the runner's setting on 2 cores), for 5 seeds, and prints
the twin/dropout test-loss ratio per seed and on average.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from _common import print_table  # noqa: F401  (sets sys.path)

from dropviz.config import RunConfig
from dropviz.train import Evaluation, Trainer


def train_for(config: RunConfig, budget: float) -> tuple[Evaluation, int]:
    trainer = Trainer(config, record_masks=True)
    started, last = time.perf_counter(), None
    while not trainer.done and time.perf_counter() - started < budget:
        for event in trainer.step():
            if isinstance(event, Evaluation):
                last = event
    if last is None or last.step != trainer.step_count:
        last = trainer.evaluation()
    return last, trainer.step_count


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    rows, ratios = [], []
    for seed in range(args.seeds):
        evaluation, steps = train_for(RunConfig(seed=seed), args.seconds)
        method, twin = evaluation.metrics["method"], evaluation.metrics["baseline"]
        ratios.append(twin["test_loss"] / method["test_loss"])
        rows.append(
            [
                seed,
                steps,
                f"{method['test_loss']:.3f}",
                f"{twin['test_loss']:.3f}",
                f"{100 * method['test_error']:.1f}",
                f"{100 * twin['test_error']:.1f}",
                f"{ratios[-1]:.2f}",
            ]
        )
    print(f"default config, {args.seconds:.0f} s of training per seed, 1 torch thread\n")
    print_table(
        [
            "seed",
            "steps",
            "dropout test loss",
            "twin test loss",
            "dropout test err %",
            "twin test err %",
            "twin / dropout loss",
        ],
        rows,
    )
    print(f"\nmean ratio {statistics.mean(ratios):.2f}, lowest {min(ratios):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
