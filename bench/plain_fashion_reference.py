"""The issue-2 comparison with a plain PyTorch script: no dropviz code at all.

    .venv/bin/python bench/plain_fashion_reference.py [--seeds 0,1,2] [--epochs 100]

Fashion-MNIST (Debian's IDX files), the first 5000 training images, pixels / 255,
784-1024-1024-10 ReLU, nn.Dropout(0.2) on the input and nn.Dropout(0.5) after each
hidden layer (keep 0.8 / 0.5) against the same net without dropout (same seed, so the
same initial weights), SGD lr 0.05 momentum 0.9, batch 100, 100 epochs, full 10k test
set. Each net trains in its own process with one thread (about 2.5 min each here).

It exists to tell the engine's behaviour from the experiment's own noise: if a
twenty-line script shows the same seed-to-seed spread, the engine is not the cause.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

DEFAULT_DIR = Path("/usr/share/datasets/fashion-mnist")


def read_idx(path: Path):
    import numpy as np

    raw = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(raw[3])]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * raw[3]).reshape(dims)


def train_one(seed: int, dropout: bool, epochs: int, data_dir: Path) -> dict:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    x_train = torch.tensor(
        read_idx(data_dir / "train-images-idx3-ubyte.gz").reshape(-1, 784)[:5000] / 255.0, dtype=torch.float32
    )
    y_train = torch.tensor(read_idx(data_dir / "train-labels-idx1-ubyte.gz")[:5000].astype("int64"))
    x_test = torch.tensor(
        read_idx(data_dir / "t10k-images-idx3-ubyte.gz").reshape(-1, 784) / 255.0, dtype=torch.float32
    )
    y_test = torch.tensor(read_idx(data_dir / "t10k-labels-idx1-ubyte.gz").astype("int64"))
    layers: list[nn.Module] = [nn.Dropout(0.2)] if dropout else []
    for n_in, n_out in ((784, 1024), (1024, 1024)):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()] + ([nn.Dropout(0.5)] if dropout else [])
    net = nn.Sequential(*layers, nn.Linear(1024, 10))
    optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    curve = []
    for epoch in range(1, epochs + 1):
        net.train()
        order = torch.randperm(5000)
        for start in range(0, 5000, 100):
            batch = order[start : start + 100]
            optimizer.zero_grad()
            F.cross_entropy(net(x_train[batch]), y_train[batch]).backward()
            optimizer.step()
        if epoch % 20 == 0 or epoch == epochs:
            net.eval()
            with torch.no_grad():
                logits = net(x_test)
            curve.append(
                {
                    "epoch": epoch,
                    "test_error": float((logits.argmax(1) != y_test).float().mean()),
                    "test_loss": float(F.cross_entropy(logits, y_test)),
                }
            )
    return {"seed": seed, "run": "dropout" if dropout else "twin", "curve": curve, **curve[-1]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--workers", type=int, default=2, help="processes at once (one thread each)")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: "seed,dropout" in a child process
    args = parser.parse_args(argv)
    if args.one:
        seed, dropout = args.one.split(",")
        print(json.dumps(train_one(int(seed), dropout == "1", args.epochs, args.data_dir)))
        return 0
    if not (args.data_dir / "train-images-idx3-ubyte.gz").exists():
        print(
            f"error: no Fashion-MNIST IDX files in {args.data_dir} (apt-get install dataset-fashion-mnist, "
            "or pass --data-dir)",
            file=sys.stderr,
        )
        return 2
    jobs = [(int(seed), dropout) for seed in args.seeds.split(",") for dropout in (True, False)]

    def run(job):
        seed, dropout = job
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                f"{seed},{int(dropout)}",
                "--epochs",
                str(args.epochs),
                "--data-dir",
                str(args.data_dir),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(out.stdout)

    with ThreadPoolExecutor(args.workers) as pool:
        results = list(pool.map(run, jobs))
    by_seed = {}
    for result in results:
        by_seed.setdefault(result["seed"], {})[result["run"]] = result
    print(
        "| seed | dropout test error % | twin test error % | dropout test loss | twin test loss | twin error at epochs 20/40/60/80/100 |"
    )
    print("|---|---|---|---|---|---|")
    for seed, runs in sorted(by_seed.items()):
        d, t = runs["dropout"], runs["twin"]
        path = " / ".join(f"{100 * point['test_error']:.2f}" for point in t["curve"])
        print(
            f"| {seed} | {100 * d['test_error']:.2f} | {100 * t['test_error']:.2f} | {d['test_loss']:.3f} | "
            f"{t['test_loss']:.3f} | {path} |"
        )
    wins = [runs["dropout"]["test_error"] < runs["twin"]["test_error"] for runs in by_seed.values()]
    print(f"\ndropout lower test error than its twin: {sum(wins)} of {len(wins)} seeds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
