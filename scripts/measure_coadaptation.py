"""Fashion-MNIST co-adaptation and model-averaging report (issue 4 acceptance).

784-1024-1024-10 ReLU, dropout keep 0.5 hidden / 0.8 input vs its no-dropout
twin (same initial weights, same batches), 5000 training examples, SGD lr 0.05
momentum 0.9 batch 100, 3 seeds. Two steps, so the slow one runs once:

    python scripts/measure_coadaptation.py train  [--epochs 40] [--seeds 0 1 2]
    python scripts/measure_coadaptation.py report [--out artifacts/coadaptation/report.md]

``train`` saves each seed's final weights and test-error history under
artifacts/coadaptation/; ``report`` loads them and computes every measure of
dropviz.analysis on the full 10k test set, printing a Markdown table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dropviz.config import RunConfig  # noqa: E402
from dropviz.data import load_dataset  # noqa: E402
from dropviz.models import build_model  # noqa: E402
from dropviz.train import Evaluation, Trainer, run_to_end  # noqa: E402

OUT = ROOT / "artifacts" / "coadaptation"
MC_EXAMPLES = 5000  # 100 sampled nets x 5000 images x 3.7 MFLOP: minutes on one shared core


def config_for(seed: int, epochs: int) -> RunConfig:
    return RunConfig(
        dataset="fashion-mnist",
        train_size=5000,
        hidden=(1024, 1024),
        activation="relu",
        method="dropout",
        scaling="inverted",
        keep_p=0.5,
        keep_p_input=0.8,
        optimizer="sgd",
        lr=0.05,
        momentum=0.9,
        batch_size=100,
        epochs=epochs,
        seed=seed,
        twin=True,
        eval_every=250,
        device="cpu",
    )


def train_seed(seed: int, epochs: int) -> None:
    path = OUT / f"seed{seed}.pt"
    if path.exists():
        print(f"seed {seed}: {path} exists, skipped", flush=True)
        return
    config = config_for(seed, epochs)
    trainer = Trainer(config, record_masks=False)
    started = time.perf_counter()
    history = []

    def record(event) -> None:
        if isinstance(event, Evaluation):
            history.append(
                {
                    "step": event.step,
                    "epoch": event.epoch,
                    **{
                        f"{run}_{key}": value
                        for run, metrics in event.metrics.items()
                        for key, value in metrics.items()
                    },
                }
            )
            print(
                f"seed {seed} epoch {event.epoch:.0f}: "
                + ", ".join(
                    f"{run} test {m['test_error']:.4f} train {m['train_error']:.4f}" for run, m in event.metrics.items()
                ),
                flush=True,
            )

    run_to_end(trainer, record)
    torch.save(
        {
            "config": config.model_dump(mode="json"),
            "state": {run: model.state_dict() for run, model in trainer.models.items()},
            "history": history,
            "wall_seconds": time.perf_counter() - started,
            "status": trainer.status,
        },
        path,
    )
    print(f"seed {seed}: {trainer.status} in {time.perf_counter() - started:.0f} s", flush=True)


def load_seed(seed: int):
    saved = torch.load(OUT / f"seed{seed}.pt", weights_only=False)
    config = RunConfig(**saved["config"])
    models = {}
    for run, state in saved["state"].items():
        model = build_model(config, 784, 10, baseline=run == "baseline")
        model.load_state_dict(state)
        model.eval()
        models[run] = model
    return config, models, saved


def _fmt(values, digits=3, percent=False) -> str:
    values = np.asarray(values, dtype=float) * (100 if percent else 1)
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{values.mean():.{digits}f} ± {values.std(ddof=1):.{digits}f}"


def report(seeds) -> str:
    from dropviz import analysis

    dataset = load_dataset("fashion-mnist", train_size=5000, seed=0)
    x, y = dataset.x_test, dataset.y_test
    rows: dict[tuple[str, str], dict[str, list[float]]] = {}
    mc_rows, timing, epochs = [], [], None
    ks_shown = (1, 3, 5, 9, 20, 50, 100)

    def add(measure: str, run: str, value: float) -> None:
        rows.setdefault((measure, run), {}).setdefault("v", []).append(float(value))

    for seed in seeds:
        config, models, saved = load_seed(seed)
        epochs = config.epochs
        timing.append(saved["wall_seconds"])
        for run, model in models.items():
            with torch.no_grad():
                logits, acts = model.forward_with_activations(x)
            add("test error %", run, 100 * (logits.argmax(1) != y).float().mean().item())
            for layer, layer_acts in enumerate(acts):
                measures = analysis.layer_measures(layer_acts.numpy())
                for key in (
                    "mean_abs_corr",
                    "decov",
                    "decov_normalized",
                    "mean_activation",
                    "zero_fraction",
                    "dead_units",
                ):
                    add(f"h{layer + 1} {key}", run, measures[key])
                # h1 feeds a 1024x1024 layer: every draw costs a pass through it, so 3 draws on 5000 images
                xa, ya = (x, y) if layer == 1 else (x[:5000], y[:5000])
                curve = analysis.ablation_curve(model, xa, ya, layer, draws=5 if layer == 1 else 3, seed=seed)
                add(f"h{layer + 1} ablation: error % at q=0 (same images)", run, 100 * curve.mean_error[0])
                for q in (0.5, 0.9):
                    index = int(np.argmin(np.abs(curve.qs - q)))
                    add(f"h{layer + 1} ablation: error % at q={q}", run, 100 * curve.mean_error[index])
                    add(
                        f"h{layer + 1} ablation: rise at q={q} (points)",
                        run,
                        100 * (curve.mean_error[index] - curve.mean_error[0]),
                    )
            print(f"seed {seed} {run}: done", flush=True)
        curve = analysis.mc_curve(models["method"], x[:MC_EXAMPLES], y[:MC_EXAMPLES], max_k=100, repeats=20, seed=seed)
        mc_rows.append(curve)
        print(f"seed {seed}: MC k_reaching={curve.k_reaching}", flush=True)

    lines = [
        f"Fashion-MNIST, 784-1024-1024-10 ReLU, 5000 training examples, {len(seeds)} seeds ({', '.join(map(str, seeds))}),",
        f"SGD lr 0.05 momentum 0.9 batch 100, {epochs} epochs; dropout keep 0.5 hidden / 0.8 input (inverted) vs",
        "the no-dropout twin (same initial weights and batches). Measures on the 10,000 test images;",
        "mean ± sd over seeds. Ablation: a random fraction q of one layer's units removed at test time,",
        "the rest rescaled by n/n_kept (h2: 5 draws on 10,000 images; h1: 3 draws on the first 5,000).",
        "",
        "| measure | dropout | no-dropout twin |",
        "|---|---|---|",
    ]
    for measure in dict.fromkeys(m for m, _ in rows):
        percent_digits = 2 if "%" in measure else (0 if "dead" in measure else 3)
        method = rows.get((measure, "method"), {}).get("v", [])
        twin = rows.get((measure, "baseline"), {}).get("v", [])
        lines.append(f"| {measure} | {_fmt(method, percent_digits)} | {_fmt(twin, percent_digits)} |")
    lines += [
        "",
        "MC model averaging of the dropout net on the first 5,000 test images (pool of 100 sampled thinned nets, one mask each,",
        "20 random orders), test error % (mean over repeats; mean ± sd over seeds):",
        "",
        "| k | " + " | ".join(str(k) for k in ks_shown) + " | weight scaling | first k with MC <= weight scaling |",
        "|---|" + "---|" * (len(ks_shown) + 2),
    ]
    cells = [_fmt([100 * c.mean_error[list(c.ks).index(k)] for c in mc_rows], 2) for k in ks_shown]
    reach = [c.k_reaching for c in mc_rows]
    lines.append(
        "| MC | "
        + " | ".join(cells)
        + f" | {_fmt([100 * c.weight_scaled_error for c in mc_rows], 2)} | "
        + ", ".join("never (≤100)" if r is None else str(r) for r in reach)
        + " |"
    )
    lines += ["", f"Training wall time per seed (method + twin, 1 thread, shared CPU): {_fmt(timing, 0)} s"]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("train", "report"))
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=OUT / "report.md")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    OUT.mkdir(parents=True, exist_ok=True)
    if args.command == "train":
        for seed in args.seeds:
            train_seed(seed, args.epochs)
        return 0
    text = report(args.seeds)
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
