"""Issue 2 acceptance: dropout vs its no-dropout twin on Fashion-MNIST, 3 seeds.

784-1024-1024-10 ReLU, keep_p 0.5 hidden / 0.8 input, 5000 training examples,
SGD lr 0.05 momentum 0.9, batch 100, 100 epochs. Prints a table; about 5 minutes
per seed (method and twin, one thread) on a quiet 2-core CPU, several times that on a busy one.
bench/plain_fashion_reference.py runs the same comparison as a plain PyTorch script.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dropviz.config import RunConfig
from dropviz.train import train


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--json-out", default=None)
    args = parser.parse_args(argv)
    rows = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        config = RunConfig(
            dataset="fashion-mnist",
            train_size=5000,
            hidden=(1024, 1024),
            activation="relu",
            method="dropout",
            keep_p=0.5,
            keep_p_input=0.8,
            optimizer="sgd",
            lr=0.05,
            momentum=0.9,
            batch_size=100,
            epochs=args.epochs,
            seed=seed,
            eval_every=500,
        )
        started = time.perf_counter()
        result = train(config)
        rows.append(
            {
                "seed": seed,
                "status": result.status,
                "seconds": time.perf_counter() - started,
                **{f"{run}_{key}": value for run, metrics in result.final.items() for key, value in metrics.items()},
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    print("\n| seed | dropout test error % | twin test error % | dropout test loss | twin test loss | minutes |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['seed']} | {100 * row['method_test_error']:.2f} | {100 * row['baseline_test_error']:.2f} | "
            f"{row['method_test_loss']:.3f} | {row['baseline_test_loss']:.3f} | {row['seconds'] / 60:.1f} |"
        )
    wins = all(
        r["method_test_error"] < r["baseline_test_error"] and r["method_test_loss"] < r["baseline_test_loss"]
        for r in rows
    )
    print(f"\ndropout lower test error and loss than its twin for every seed: {wins}")
    if args.json_out:
        with open(args.json_out, "w") as handle:
            json.dump(rows, handle, indent=2)
    return 0 if wins else 1


if __name__ == "__main__":
    sys.exit(main())
