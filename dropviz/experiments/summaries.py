"""Stored trials to tables and curves: one row per condition (mean ± sd over seeds), Figure 4's mean curves."""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np


def result_rows(trial: dict) -> list[dict]:
    """The (condition, metrics) rows one stored trial contributes; Figure 11 trials give one per k."""
    metrics = trial.get("metrics") or {}
    mc = trial.get("extra", {}) or {}
    selection = mc.get("selection") or {}
    base = {
        "experiment": trial["experiment"],
        "seed": trial["seed"],
        "lr": selection.get("lr"),
        "stop_epoch": selection.get("epoch"),
        "val_error": selection.get("val_error"),
    }
    if trial["experiment"] == "fig11" and mc.get("mc"):
        rows = [
            {
                **base,
                "series": "weight scaling",
                "x": None,
                "condition": "weight scaling",
                "test_error": mc["weight_scaling"],
                "train_error": metrics.get("train_error"),
            }
        ]
        for k, error in sorted(((int(k), v) for k, v in mc["mc"].items())):
            rows.append(
                {
                    **base,
                    "series": "Monte-Carlo",
                    "x": float(k),
                    "condition": f"Monte-Carlo, k={k}",
                    "test_error": error,
                    "train_error": None,
                }
            )
        return rows
    return [
        {
            **base,
            "series": trial["series"],
            "x": trial.get("x"),
            "condition": trial["condition"],
            "test_error": metrics.get("test_error"),
            "train_error": metrics.get("train_error"),
        }
    ]


def _mean_std(values: list[float]) -> tuple[float | None, float | None]:
    values = [v for v in values if v is not None and math.isfinite(v)]
    if not values:
        return None, None
    array = np.asarray(values, dtype=float)
    return float(array.mean()), float(array.std(ddof=1)) if len(array) > 1 else 0.0


def summarize(trials: Iterable[dict]) -> list[dict]:
    """Per condition: seeds, mean and std (sample, ddof=1) of final test and train error in %.

    Only completed trials count; conditions keep the order in which they first appear.
    """
    groups: dict[tuple, list[dict]] = {}
    for trial in trials:
        if trial.get("status") != "completed":
            continue
        for row in result_rows(trial):
            groups.setdefault((row["experiment"], row["condition"]), []).append(row)
    summary = []
    for (experiment, condition), rows in groups.items():
        test_mean, test_std = _mean_std([r["test_error"] for r in rows])
        train_mean, train_std = _mean_std([r["train_error"] for r in rows])
        val_mean, _ = _mean_std([r.get("val_error") for r in rows])
        epoch_mean, _ = _mean_std([r.get("stop_epoch") for r in rows])
        pct = lambda v: None if v is None else round(100 * v, 4)  # noqa: E731
        summary.append(
            {
                "experiment": experiment,
                "condition": condition,
                "series": rows[0]["series"],
                "x": rows[0]["x"],
                "n": len(rows),
                "seeds": sorted({r["seed"] for r in rows}),
                "test_error_pct_mean": pct(test_mean),
                "test_error_pct_std": pct(test_std),
                "train_error_pct_mean": pct(train_mean),
                "train_error_pct_std": pct(train_std),
                "val_error_pct_mean": pct(val_mean),
                # the protocol's choices, one per seed in seed order (None for results without a protocol)
                "lr_chosen": [r.get("lr") for r in sorted(rows, key=lambda r: r["seed"])],
                "stop_epoch_chosen": [r.get("stop_epoch") for r in sorted(rows, key=lambda r: r["seed"])],
                "stop_epoch_mean": None if epoch_mean is None else round(epoch_mean, 2),
            }
        )
    return summary


def mean_curves(trials: Iterable[dict]) -> list[dict]:
    """Per condition, the test and train error (%) at each evaluation step, averaged over seeds."""
    groups: dict[str, dict[int, list[tuple[float, float]]]] = {}
    for trial in trials:
        if trial.get("status") != "completed":
            continue
        points = groups.setdefault(trial["condition"], {})
        for point in trial.get("curves") or ():
            points.setdefault(int(point["step"]), []).append((point["test_error"], point["train_error"]))
    rows = []
    for condition, points in groups.items():
        for step in sorted(points):
            test, train = zip(*points[step])
            rows.append(
                {
                    "condition": condition,
                    "step": step,
                    "test_error_pct": 100 * float(np.mean(test)),
                    "train_error_pct": 100 * float(np.mean(train)),
                    "n": len(test),
                }
            )
    return rows
