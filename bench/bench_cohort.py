"""K default runs trained as one cohort (dropviz.cohort) vs one after another, in the same process.

Each run is the default demo (moons, 2-128-128-2, 2,000 steps, dropout keep_p 0.5, method + no-dropout
twin, masks recorded, an evaluation and a state snapshot every 2 steps, exactly as the Playground
trains it) with its own seed (seed i for run i), so nothing is shared but the net's shape. "Alone":
``Trainer(config)`` run to its end, one run after another, on ``--lone-sample`` of the K runs (all by
default) and scaled to K. "Cohort": the K runs as CohortTrainers stepped together by one Cohort. One
torch thread, CPU seconds of this process (user + system) and wall seconds. The equivalence column is
the largest difference between a cohort member's numbers (every Step loss and Evaluation metric) and
its lone run's, over the runs trained alone.

    python bench/bench_cohort.py [--sizes 1 8 30] [--epochs 1000] [--lone-sample 8]
"""

from __future__ import annotations

import argparse
import os
import time

import torch
from _common import print_table  # noqa: F401  (sets sys.path)

from dropviz.cohort import Cohort, CohortTrainer
from dropviz.config import RunConfig
from dropviz.train import Evaluation, Step, Trainer


def clock() -> tuple[float, float]:
    times = os.times()
    return times.user + times.system, time.perf_counter()


def numbers(events) -> list[float]:
    values = []
    for event in events:
        if isinstance(event, Step):
            values.extend(event.losses.values())
        elif isinstance(event, Evaluation):
            values.extend(value for metrics in event.metrics.values() for value in metrics.values())
    return values


def alone(configs: list[RunConfig]) -> tuple[float, float, list[list[float]]]:
    cpu, wall = clock()
    results = []
    for config in configs:
        trainer = Trainer(config)
        events = []
        while not trainer.done:
            events.extend(trainer.step())
        results.append(numbers(events))
    cpu_end, wall_end = clock()
    return cpu_end - cpu, wall_end - wall, results


def together(configs: list[RunConfig]) -> tuple[float, float, list[list[float]]]:
    cpu, wall = clock()
    members = [CohortTrainer(config) for config in configs]
    cohort = Cohort(members[0].key)
    events = {id(member): [] for member in members}
    while any(not member.done for member in members):
        for member, batch in cohort.step(members).items():
            events[id(member)].extend(batch)
    cpu_end, wall_end = clock()
    return cpu_end - cpu, wall_end - wall, [numbers(events[id(member)]) for member in members]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 8, 30])
    parser.add_argument("--epochs", type=int, default=1000, help="1000: the default demo's 2,000 steps")
    parser.add_argument("--lone-sample", type=int, default=None, help="train only this many of K alone, scale to K")
    args = parser.parse_args()
    torch.set_num_threads(1)
    warm = [RunConfig(seed=seed, epochs=5) for seed in range(2)]
    alone(warm), together(warm)  # first calls (allocator, dispatch, data) out of the table
    print(f"torch threads 1; load average before: {os.getloadavg()[0]:.2f}")
    rows = []
    for size in args.sizes:
        configs = [RunConfig(seed=seed, epochs=args.epochs) for seed in range(size)]
        sample = configs[: min(size, args.lone_sample or size)]
        lone_cpu, lone_wall, lone_numbers = alone(sample)
        scale = size / len(sample)
        cohort_cpu, cohort_wall, cohort_numbers = together(configs)
        worst = max(max(abs(a - b) for a, b in zip(mine, theirs)) for mine, theirs in zip(cohort_numbers, lone_numbers))
        assert all(len(mine) == len(theirs) for mine, theirs in zip(cohort_numbers, lone_numbers))
        rows.append(
            [
                size,
                f"{lone_cpu * scale:.1f} s" + ("" if scale == 1 else f" ({len(sample)} run, x{scale:.2g})"),
                f"{lone_wall * scale:.1f} s",
                f"{cohort_cpu:.1f} s",
                f"{cohort_wall:.1f} s",
                f"{lone_cpu * scale / cohort_cpu:.2f}x",
                f"{cohort_cpu / size:.2f} s",
                f"{worst:.1e}",
            ]
        )
        print(f"K={size} done (load average {os.getloadavg()[0]:.2f})", flush=True)
    print_table(
        [
            "K runs",
            "alone: CPU",
            "alone: wall",
            "cohort: CPU",
            "cohort: wall",
            "CPU ratio (alone / cohort)",
            "cohort CPU per run",
            "max |cohort - alone|",
        ],
        rows,
    )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
