"""The Fashion-MNIST comparison (784-1024-1024-10, 5,000 examples, 3 seeds) under the fair protocol.

Dropout (keep 0.5 hidden / 0.8 input) and the same net without dropout, each trial
holding out 1/6 of its 5,000 examples for validation and choosing its learning rate
from the quick preset's grid (0.01 / 0.03 / 0.1, fixed in advance) and its stopping
point by early stopping (at most 100 epochs of the remaining examples, SGD momentum 0.9,
batch 100); the full 10,000-image test set is only evaluated, never used to choose.

    .venv/bin/python bench/acceptance_fashion_protocol.py --db artifacts/fashion-protocol.sqlite
    .venv/bin/python bench/acceptance_fashion_protocol.py --device cuda --workers 6   # on a GPU (0.6 min on an H200)

Trials are stored as they finish, so an interrupted run resumes. Prints a table.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dropviz.config import RunConfig  # noqa: E402
from dropviz.experiments import SCALES, Trial, summarize  # noqa: E402
from dropviz.experiments.store import Store  # noqa: E402
from dropviz.experiments.sweep import run_sweep  # noqa: E402


def trials(seeds, epochs: int, device: str = "cpu", data_dir: str | None = None) -> list[Trial]:
    protocol = SCALES["quick"].protocol
    made = []
    for seed in seeds:
        for series, method in (
            ("dropout", {"method": "dropout", "keep_p": 0.5, "keep_p_input": 0.8}),
            ("no dropout", {"method": "none", "keep_p": 1.0, "keep_p_input": 1.0}),
        ):
            config = RunConfig(
                dataset="fashion-mnist",
                data_dir=data_dir,
                train_size=5000,
                hidden=(1024, 1024),
                activation="relu",
                optimizer="sgd",
                lr=protocol.lr_grid[0],
                momentum=0.9,
                batch_size=100,
                epochs=epochs,
                seed=seed,
                eval_every=max(1, epochs * 42 // 20),
                twin=False,
                device=device,
                **method,
            )
            made.append(
                Trial("fashion1024", "acceptance", "fashion-mnist", series, None, "", config, None, (), protocol)
            )
    return made


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--db", default="artifacts/fashion-protocol.sqlite")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="cpu")
    parser.add_argument("--data-dir", default=None, help="folder with the Fashion-MNIST IDX files")
    args = parser.parse_args(argv)
    todo = trials([int(s) for s in args.seeds.split(",")], args.epochs, args.device, args.data_dir)
    with Store(args.db) as store:
        report = run_sweep(todo, store, workers=args.workers)
        rows = store.trials(keys=report.keys)
    print(
        f"{report.progress.completed} run, {report.progress.skipped} already stored, "
        f"{report.progress.failed} failed, {report.wall_s / 60:.1f} min"
    )
    print("\n| seed | arm | learning rate | stop epoch | val error % | train error % | test error % |")
    print("|---|---|---|---|---|---|---|")
    for row in sorted(rows, key=lambda r: (r["seed"], r["series"])):
        if row["status"] != "completed":
            continue
        sel, metrics = (row["extra"] or {}).get("selection") or {}, row["metrics"]
        print(
            f"| {row['seed']} | {row['series']} | {sel.get('lr')} | {sel.get('epoch')} | "
            f"{100 * sel.get('val_error', float('nan')):.2f} | {100 * metrics['train_error']:.2f} | "
            f"{100 * metrics['test_error']:.2f} |"
        )
    print("\n| arm | seeds | test error % (mean ± sd) | train error % (mean ± sd) |")
    print("|---|---|---|---|")
    for row in summarize(rows):
        print(
            f"| {row['condition']} | {row['n']} | {row['test_error_pct_mean']:.2f} ± {row['test_error_pct_std']:.2f} | "
            f"{row['train_error_pct_mean']:.2f} ± {row['train_error_pct_std']:.2f} |"
        )
    return 0 if report.progress.failed == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
