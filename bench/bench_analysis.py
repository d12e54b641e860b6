"""Time each analysis of the Co-adaptation and Inference pages on a 784-1024-1024-10 net.

Acceptance (issue 4): each < 5 s on this machine, at the sizes the pages use for a
net this big. Uses the trained seed-0 nets of scripts/measure_coadaptation.py when
they exist (artifacts/coadaptation/seed0.pt), else freshly initialised ones (timing
barely depends on the weights), and Fashion-MNIST's test set when installed.

    .venv/bin/python bench/bench_analysis.py [--threads N] [--repeat 1]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dropviz import analysis  # noqa: E402
from dropviz.models import MLP  # noqa: E402
from dropviz.runner import default_num_threads  # noqa: E402
from dropviz.train import StateSnapshot  # noqa: E402

LIMIT = 5.0


def nets() -> tuple[dict[str, MLP], str]:
    saved = ROOT / "artifacts" / "coadaptation" / "seed0.pt"
    models = {
        "method": MLP(784, [1024, 1024], 10, method="dropout", keep_p=0.5, keep_p_input=0.8),
        "baseline": MLP(784, [1024, 1024], 10),
    }
    source = "freshly initialised"
    if saved.exists():
        state = torch.load(saved, weights_only=False)["state"]
        for run, model in models.items():
            model.load_state_dict(state[run])
        source = f"trained ({saved.relative_to(ROOT)})"
    for model in models.values():
        model.eval()
    return models, source


def data() -> tuple[torch.Tensor, torch.Tensor, str]:
    try:
        from dropviz.data import load_dataset

        dataset = load_dataset("fashion-mnist", train_size=1000, seed=0)
        return dataset.x_test, dataset.y_test, "Fashion-MNIST test set"
    except Exception as error:  # noqa: BLE001 - any missing data falls back to noise
        generator = torch.Generator().manual_seed(0)
        return (
            torch.rand(10_000, 784, generator=generator),
            torch.randint(0, 10, (10_000,), generator=generator),
            f"random inputs ({error})",
        )


def timed(function, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--threads", type=int, default=default_num_threads(), help="torch threads (the server's default)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="best of N")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    models, source = nets()
    x, y, data_source = data()
    method = models["method"]
    dc = MLP(784, [1024, 1024], 10, method="dropconnect", keep_p=0.5)
    dc.load_state_dict(method.state_dict())
    dc.eval()
    sizes = analysis.interactive_sizes(method.n_parameters)
    x2k = x[: sizes["measures"]]
    xa, ya = x[: sizes["ablation"]], y[: sizes["ablation"]]
    xm, ym = x[: sizes["mc"]], y[: sizes["mc"]]
    xd, yd = x[: sizes["dropconnect"]], y[: sizes["dropconnect"]]
    draws = sizes["ablation_draws"]
    acts = method.hidden_activations(x2k)
    history = tuple(
        StateSnapshot(
            step, {run: tuple(a[:256].numpy() for a in m.hidden_activations(x[:256])) for run, m in models.items()}, {}
        )
        for step in range(12)
    )

    cases = [
        (
            "layer measures: |r|, DeCov, normalized, stats (1024 units)",
            "2000 ex, 1 net",
            lambda: analysis.layer_measures(acts[1].numpy()),
        ),
        (
            "correlation replay frames + clustering (64 units)",
            "12 frames x 256 ex, 2 nets",
            lambda: [analysis.correlation_frames(history, run, 1) for run in models],
        ),
        (
            "measures over training",
            "12 snapshots x 256 ex, 2 nets",
            lambda: [analysis.measures_over_training(history, run, 1) for run in models],
        ),
        (
            f"ablation curve h2, q=0..0.9, {draws} draws",
            f"{len(ya)} ex, 2 nets",
            lambda: [analysis.ablation_curve(m, xa, ya, 1, draws=draws) for m in models.values()],
        ),
        (
            f"ablation curve h1, q=0..0.9, {draws} draws",
            f"{len(ya)} ex, 2 nets",
            lambda: [analysis.ablation_curve(m, xa, ya, 0, draws=draws) for m in models.values()],
        ),
        (
            "first-layer features",
            "16 units, 2 nets",
            lambda: [analysis.first_layer_features(m, (28, 28)) for m in models.values()],
        ),
        (
            "MC vs weight scaling, k=1..100, 20 repeats",
            f"{len(ym)} ex",
            lambda: analysis.mc_curve(method, xm, ym, max_k=100, repeats=20),
        ),
        (
            "MC-dropout uncertainty, 30 samples",
            f"{sizes['uncertainty']} ex",
            lambda: analysis.mc_uncertainty(method, x[: sizes["uncertainty"]], samples=30),
        ),
        (
            f"DropConnect: mean, Gaussian S={sizes['gaussian_samples']}, MC k=1..{sizes['dropconnect_k']}",
            f"{len(yd)} ex",
            lambda: analysis.dropconnect_inference_compare(
                dc, xd, yd, gaussian_samples=sizes["gaussian_samples"], max_k=sizes["dropconnect_k"], repeats=10
            ),
        ),
    ]
    import os

    print(
        f"784-1024-1024-10 nets: {source}; data: {data_source}; torch threads: {args.threads}; best of {args.repeat}; "
        f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print()
    print("| analysis | size | seconds | < 5 s |")
    print("|---|---|---|---|")
    worst = 0.0
    for name, size, function in cases:
        seconds = timed(function, args.repeat)
        worst = max(worst, seconds)
        print(f"| {name} | {size} | {seconds:.2f} | {'yes' if seconds < LIMIT else 'NO'} |", flush=True)
    print()
    print(f"slowest: {worst:.2f} s")
    return 0 if worst < LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
