"""One trial, as a worker runs it: load the data, hold out the validation split, train each learning rate of
the preset's grid with early stopping, choose on validation error, measure (Figure 11: MC averaging)."""

from __future__ import annotations

import functools
import math
import os
import socket
import time
import traceback

from .protocol import (
    Trial,
)

# --- one trial (runs in a worker) ---------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _dataset(name: str, train_size, seed: int, test_size, noise: float, data_dir):
    from ..data import load_dataset

    return load_dataset(name, train_size=train_size, seed=seed, test_size=test_size, noise=noise, data_dir=data_dir)


def execute_trial(payload: dict, threads: int | None = 1) -> dict:
    """Train one trial to the end and return its results as a plain dict (never raises).

    ``status`` is completed, diverged, or error (with ``error`` and ``error_kind``:
    ``config`` for a mistake that fails the same way on every attempt, ``runtime``
    otherwise); the driver decides whether an error is retried. With a protocol the
    trial holds out a validation split, runs each learning rate of the grid with early
    stopping, and reports the checkpoint chosen on validation error (``extra.selection``).
    """
    started = time.perf_counter()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    try:
        import torch

        if threads:
            torch.set_num_threads(int(threads))
        trial = Trial.from_dict(payload)
        config = trial.config
        dataset = _dataset(
            config.dataset, config.train_size, config.seed, trial.test_size, config.noise, config.data_dir
        )
        if trial.protocol is None:
            run = _train_run(config, dataset, None, None)
            selection = None
        else:
            run, selection = _select(trial, dataset)
        extra = {"selection": selection} if selection is not None else None
        if trial.mc_ks and run["status"] == "completed":
            errors, scaled, how = mc_errors(run["model"], run["x_test"], run["y_test"], trial.mc_ks, config.seed + 7)
            extra = {
                **(extra or {}),
                "mc": {str(k): v for k, v in errors.items()},
                "weight_scaling": scaled,
                "mc_method": how,
            }
        return {
            "status": run["status"],
            "message": run["message"],
            "final": run["final"],
            "curves": run["curves"],
            "extra": extra,
            "wall_s": round(time.perf_counter() - started, 3),
            "device": run["device"],
            "worker": worker,
        }
    except Exception as error:  # noqa: BLE001 - reported to the driver, which retries or records it
        return {
            "status": "error",
            "error": f"{type(error).__name__}: {error}",
            "error_kind": error_kind(error),
            "traceback": traceback.format_exc(limit=8),
            "wall_s": round(time.perf_counter() - started, 3),
            "worker": worker,
        }


def error_kind(error: BaseException) -> str:
    """``config`` for errors that a retry repeats (bad sizes, a missing data set), else ``runtime``."""
    from pydantic import ValidationError

    from ..data import DatasetError

    if isinstance(error, (DatasetError, ValidationError, ValueError, TypeError, KeyError, FileNotFoundError)):
        return "config"
    return "runtime"  # a lost worker, out of memory, an interrupted read: may pass on another attempt


def _split_validation(dataset, protocol, seed: int):
    """The dataset trained on (training examples minus the validation split) and the validation tensors."""
    import dataclasses

    import numpy as np

    from ..data import stratified_indices

    labels = dataset.y_train.numpy()
    n_val = protocol.validation_size(len(labels), int(dataset.n_classes))
    held = stratified_indices(labels, n_val, seed + 11)
    keep = np.setdiff1d(np.arange(len(labels)), held)
    train = dataclasses.replace(dataset, x_train=dataset.x_train[keep], y_train=dataset.y_train[keep])
    return train, dataset.x_train[held], dataset.y_train[held]


def _train_run(config, dataset, x_val, y_val, patience: int | None = None) -> dict:
    """One training run; with validation data, early stopping and the best checkpoint (by validation error)."""
    import copy

    from ..train import Evaluation, Trainer, evaluate, run_to_end

    # Paper reproductions: every curve point on the full test set, not the Playground's live subsample.
    trainer = Trainer(config, dataset, record_masks=False, state_every=2**62, eval_subsample=None)
    model = trainer.models["method"]
    curves, best, best_state, stale = [], None, None, 0
    if x_val is not None:
        x_val, y_val = x_val.to(trainer.device), y_val.to(trainer.device)

    def record(event) -> None:
        nonlocal best, best_state, stale
        if not isinstance(event, Evaluation):
            return
        point = {
            "step": event.step,
            "epoch": round(event.epoch, 4),
            **{name: float(value) for name, value in event.metrics["method"].items()},
        }
        if x_val is not None:
            point["val_loss"], point["val_error"] = (float(v) for v in evaluate(model, x_val, y_val))
            better = best is None or (point["val_error"], point["val_loss"]) < (best["val_error"], best["val_loss"])
            if better and math.isfinite(point["val_loss"]):
                best, best_state, stale = point, copy.deepcopy(model.state_dict()), 0
            else:
                stale += 1
        curves.append(point)
        if patience is not None and stale >= patience and not trainer.done:
            trainer.stop()  # ends run_to_end after this step
            trainer.status = "completed"
            trainer.message = (
                f"stopped early at step {trainer.step_count}: no better validation error in {patience} evaluations"
            )

    run_to_end(trainer, record)
    status, message = trainer.status, trainer.message
    final = trainer.last_metrics.get("method")
    if best is not None:
        model.load_state_dict(best_state)
        final = {
            key: best[key] for key in ("train_loss", "train_error", "test_loss", "test_error", "val_loss", "val_error")
        }
        if status == "diverged":  # the checkpoint before the blow-up is a valid early-stopped net
            status, message = "completed", f"{message} The checkpoint at step {best['step']} is used."
    return {
        "status": status,
        "message": message,
        "final": final,
        "curves": curves,
        "best": best,
        "steps": trainer.step_count,
        "model": model,
        "x_test": trainer.x_test,
        "y_test": trainer.y_test,
        "device": str(trainer.device),
    }


def _select(trial, dataset) -> tuple[dict, dict]:
    """Every learning rate of the trial's grid, early-stopped on the validation split; the best one wins."""
    protocol = trial.protocol
    train, x_val, y_val = _split_validation(dataset, protocol, trial.config.seed)
    grid, leader = [], None
    for index, lr in enumerate(protocol.lr_grid):
        run = _train_run(trial.config.model_copy(update={"lr": lr}), train, x_val, y_val, protocol.patience)
        best = run["best"]
        grid.append(
            {
                "lr": lr,
                "status": run["status"],
                "steps": run["steps"],
                "best_step": best["step"] if best else None,
                "val_error": best["val_error"] if best else None,
                "val_loss": best["val_loss"] if best else None,
            }
        )
        # Lowest validation error wins, then validation loss, then the earlier (smaller) rate; only the
        # leader's model is kept.
        if best is not None and (
            leader is None
            or leader[1]["best"] is None
            or (best["val_error"], best["val_loss"]) < (leader[1]["best"]["val_error"], leader[1]["best"]["val_loss"])
        ):
            leader = (index, run)
        elif leader is None:
            leader = (index, run)
    index, chosen = leader
    best = chosen["best"]
    if best is None:  # every rate diverged before its first evaluation
        return chosen, {"lr": None, "grid": grid, "n_validation": int(len(y_val)), "n_train": int(len(train.y_train))}
    selection = {
        "lr": protocol.lr_grid[index],
        "step": best["step"],
        "epoch": best["epoch"],
        "val_error": best["val_error"],
        "stopped_step": chosen["steps"],
        "grid": grid,
        "n_validation": int(len(y_val)),
        "n_train": int(len(train.y_train)),
    }
    return chosen, selection


MC_REPEATS = 20


def mc_errors(model, inputs, labels, ks, seed: int) -> tuple[dict[int, float], float, str]:
    """Figure 11's numbers for a trained net: MC error for each k, and the weight-scaled error.

    Uses :func:`dropviz.analysis.mc_curve` (mean over random orders of one pool
    of sampled nets) when it is there and the net is on the CPU; otherwise
    :func:`dropviz.analysis.mc_average_errors` (one pass, on any device).
    """
    import torch  # here, so that listing experiments (CLI --help, --list) does not load torch

    from ..analysis import mc_average_errors, mc_curve

    if inputs.device.type == "cpu":
        curve = mc_curve(model, inputs, labels, max_k=max(ks), repeats=MC_REPEATS, seed=seed)
        wanted = {int(k) for k in ks}
        errors = {int(k): float(e) for k, e in zip(curve.ks, curve.mean_error) if int(k) in wanted}
        return errors, float(curve.weight_scaled_error), f"analysis.mc_curve (mean of {MC_REPEATS} orders)"
    generator = torch.Generator(device=inputs.device).manual_seed(seed)
    errors, scaled = mc_average_errors(model, inputs, labels, ks, generator)
    return errors, scaled, "analysis.mc_average_errors"
