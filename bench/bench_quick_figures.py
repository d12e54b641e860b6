"""Wall time of each figure of the `quick` preset under the fair protocol (goal: at most 3 min a figure).

    .venv/bin/python bench/bench_quick_figures.py                       # digits, every figure, 2 workers
    .venv/bin/python bench/bench_quick_figures.py --dataset fashion-mnist --experiments fig10,table2
    .venv/bin/python bench/bench_quick_figures.py --db artifacts/results-quick.sqlite   # keep the trials

Each figure runs as its own sweep (all seeds, every learning rate of the grid,
early stopping on the validation split), into a fresh temporary database unless
--db is given (then trials already stored are skipped and the table says so:
time only a fresh database). The baseline in the same run is the 180 s budget
per figure; the ratio column is wall time / budget. The load average before and
after is printed because the machine's 2 CPUs are shared.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dropviz.experiments import EXPERIMENTS, SCALES, all_trials  # noqa: E402
from dropviz.experiments.store import Store  # noqa: E402
from dropviz.experiments.sweep import run_sweep  # noqa: E402

BUDGET_S = 180.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--experiments", default=",".join(EXPERIMENTS))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--db", default=None, help="results database to fill (default: a temporary one)")
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.experiments.split(",") if name.strip()]
    grid = SCALES["quick"].protocol.lr_grid
    rows, load_before = [], os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        db = pathlib.Path(args.db) if args.db else pathlib.Path(tmp) / "bench.sqlite"
        with Store(db) as store:
            for name in names:
                trials = all_trials([name], args.dataset, "quick", device="cpu")
                started = time.perf_counter()
                report = run_sweep(trials, store, workers=args.workers)
                wall = time.perf_counter() - started
                progress = report.progress
                rows.append(
                    (
                        name,
                        len(trials),
                        len(trials) * len(grid),
                        progress.skipped,
                        progress.completed,
                        progress.failed,
                        wall,
                    )
                )
    load_after = os.getloadavg()
    print(
        f"quick preset on {args.dataset}, {args.workers} workers, learning-rate grid {grid}, "
        f"budget {BUDGET_S:.0f} s per figure"
    )
    print(f"load average before {load_before[0]:.1f}, after {load_after[0]:.1f} (other processes share the CPUs)")
    print(
        f"{'figure':9s} {'trials':>6s} {'runs':>5s} {'skipped':>7s} {'done':>5s} {'failed':>6s} {'wall s':>7s} "
        f"{'/budget':>7s}"
    )
    for name, n, runs, skipped, done, failed, wall in rows:
        print(f"{name:9s} {n:6d} {runs:5d} {skipped:7d} {done:5d} {failed:6d} {wall:7.1f} {wall / BUDGET_S:7.2f}")
    return 1 if any(row[5] for row in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
