"""Shipped results: completed trials exported to a small JSON file, read back for the Experiments page."""

from __future__ import annotations

import json
import os
import pathlib
from typing import Iterable

from .. import __version__
from .store import StoreError, now

# --- shipped results -------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "key",
    "experiment",
    "preset",
    "dataset",
    "series",
    "x",
    "x_name",
    "condition",
    "seed",
    "config",
    "test_size",
    "mc_ks",
    "status",
    "metrics",
    "curves",
    "extra",
    "message",
    "attempts",
    "wall_s",
    "device",
    "engine",
    "finished_at",
    "version",
)


def _round(value, digits: int = 5):
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {k: _round(v, digits) for k, v in value.items()}
    if isinstance(value, list):
        return [_round(v, digits) for v in value]
    return value


def export_json(trials: Iterable[dict], path: str | os.PathLike, *, meta: dict | None = None) -> pathlib.Path:
    """Write completed trials as compact JSON (the shipped-results format)."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [{column: _round(trial.get(column)) for column in EXPORT_COLUMNS} for trial in trials]
    payload = {
        "format": "dropviz-results/1",
        "version": __version__,
        "exported_at": now(),
        **(meta or {}),
        "trials": rows,
    }
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(payload, separators=(",", ":"), ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
    return path


def load_json(path: str | os.PathLike) -> dict:
    """Read an exported results file; raises StoreError with the reason if it is not one."""
    try:
        payload = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise StoreError(f"cannot read results file {path}: {error}") from None
    if not isinstance(payload, dict) or payload.get("format") != "dropviz-results/1":
        raise StoreError(f"{path} is not a dropviz results file")
    return payload


# --- result sets for the page: shipped files and stored groups --------------------------------------

RESULTS_DIR = pathlib.Path(__file__).resolve().parents[2] / "results"


def shipped_files(folder: str | os.PathLike | None = None) -> list[pathlib.Path]:
    """The shipped results files: ``folder``, else ``$DROPVIZ_SHIPPED_RESULTS``, else ``results/``."""
    folder = pathlib.Path(folder or os.environ.get("DROPVIZ_SHIPPED_RESULTS") or RESULTS_DIR)
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def shipped_trials(folder: str | os.PathLike | None = None) -> list[dict]:
    """Every trial of the shipped results files (unreadable files are skipped)."""
    trials = []
    for path in shipped_files(folder):
        try:
            payload = load_json(path)
        except StoreError:
            continue
        for trial in payload["trials"]:
            trials.append({**trial, "source": f"shipped: {path.name}"})
    return trials
