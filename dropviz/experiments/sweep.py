"""Run a sweep's trials on an engine and store each result as it arrives.

Engines:

* ``local`` (default): a pool of worker processes (``forkserver``; default one per
  CPU), each trial on one thread, so parallelism comes from trials.
  ``workers=0`` runs trials in the calling process (debugging, tiny runs).
* ``ray``: each trial is a Ray task with a resource request (``num_cpus``,
  and a GPU fraction when the trial's device is ``cuda``, or ``auto`` on a
  cluster that has GPUs). Connects to ``ray_address`` (``auto`` or
  ``ray://host:port``) or starts a local Ray on demand.

Only this driver writes to the results store: workers return plain dicts. A
trial whose worker fails (crash, out of memory, node lost, an exception) is
retried up to ``max_attempts`` times in all, then recorded as failed with its
error, and the sweep goes on. Trials already done in the store are skipped,
whichever engine ran them, so a sweep can be stopped and resumed anywhere."""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

from .engines import _Failure, make_backend
from .protocol import (
    Trial,
)
from .store import DONE_STATUSES, Store

DEFAULT_MAX_ATTEMPTS = 3


# --- progress --------------------------------------------------------------------------------------


@dataclass
class Progress:
    """What a progress bar shows; passed to ``on_progress`` after every change."""

    total: int
    skipped: int = 0
    completed: int = 0
    failed: int = 0
    retries: int = 0
    running: int = 0
    elapsed_s: float = 0.0
    last: str = ""
    status: str = "running"  # running | finished | stopped | error
    errors: list[str] = field(default_factory=list)
    first_errors: dict[str, str] = field(default_factory=dict)  # error type -> its first message (with the trial)

    @property
    def finished_trials(self) -> int:
        return self.skipped + self.completed + self.failed

    @property
    def fraction(self) -> float:
        return 1.0 if self.total == 0 else self.finished_trials / self.total

    def to_dict(self) -> dict:
        return {
            "total": self.total,
            "skipped": self.skipped,
            "completed": self.completed,
            "failed": self.failed,
            "retries": self.retries,
            "running": self.running,
            "elapsed_s": round(self.elapsed_s, 2),
            "last": self.last,
            "status": self.status,
            "errors": self.errors[-5:],
            "first_errors": dict(self.first_errors),
        }


@dataclass
class SweepReport:
    sweep_id: int
    engine: str
    workers: int
    trials: list[Trial]
    progress: Progress
    wall_s: float

    @property
    def keys(self) -> list[str]:
        return [trial.key for trial in self.trials]


# --- the driver ------------------------------------------------------------------------------------


def unique(trials: Sequence[Trial]) -> list[Trial]:
    seen, ordered = set(), []
    for trial in trials:
        if trial.key not in seen:
            seen.add(trial.key)
            ordered.append(trial)
    return ordered


def run_sweep(
    trials: Sequence[Trial],
    store: Store,
    *,
    engine: str = "local",
    workers: int | None = None,
    ray_address: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    threads_per_trial: int = 1,
    gpus_per_trial: float = 0.25,
    on_progress: Callable[[Progress], None] | None = None,
    progress_bar: bool = False,
    stop: threading.Event | None = None,
) -> SweepReport:
    """Run every trial not already done in ``store``; each result is committed as it arrives."""
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
    started = time.perf_counter()
    trials = unique(trials)
    done = store.done_keys(trial.key for trial in trials)
    todo = [trial for trial in trials if trial.key not in done]
    progress = Progress(total=len(trials), skipped=len(trials) - len(todo))
    first = trials[0] if trials else None
    experiments = list(dict.fromkeys(trial.experiment for trial in trials))
    backend = (
        make_backend(engine, workers, threads=threads_per_trial, ray_address=ray_address, gpus_per_trial=gpus_per_trial)
        if todo
        else None
    )
    n_workers = backend.capacity if backend else 0
    sweep_id = store.start_sweep(
        experiments,
        first.preset if first else "",
        first.dataset if first else "",
        engine=engine,
        workers=n_workers,
        n_trials=len(trials),
        n_skipped=progress.skipped,
    )
    store.register(todo, sweep_id)

    bar = None
    if progress_bar and todo:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc=",".join(experiments)[:40], unit="trial", dynamic_ncols=True)

    def emit() -> None:
        progress.elapsed_s = time.perf_counter() - started
        if on_progress is not None:
            on_progress(progress)

    queue = collections.deque(todo)
    attempts: collections.Counter = collections.Counter()
    in_flight: dict = {}
    emit()
    cancelled = False
    try:
        while queue or in_flight:
            if stop is not None and stop.is_set():
                cancelled = True
                break
            while queue and len(in_flight) < backend.capacity:
                trial = queue.popleft()
                attempts[trial.key] += 1
                in_flight[backend.submit(trial)] = trial
            progress.running = len(in_flight)
            for handle, outcome in backend.wait(list(in_flight), timeout=0.5):
                trial = in_flight.pop(handle)
                if not isinstance(outcome, _Failure) and outcome.get("status") in DONE_STATUSES:
                    store.record(trial, outcome, attempts=attempts[trial.key], engine=engine, sweep_id=sweep_id)
                    progress.completed += 1
                    progress.last = f"{trial.experiment}: {trial.condition}, seed {trial.seed}"
                    if bar is not None:
                        bar.update(1)
                    continue
                error = outcome.error if isinstance(outcome, _Failure) else outcome.get("error", "unknown error")
                # A configuration error (bad sizes, missing data) fails the same way every time: no retry.
                repeatable = not isinstance(outcome, _Failure) and outcome.get("error_kind") == "config"
                if attempts[trial.key] < max_attempts and not repeatable:
                    progress.retries += 1
                    queue.appendleft(trial)
                    continue
                tries = (
                    "1 attempt (not retried: a configuration error)"
                    if repeatable and attempts[trial.key] == 1
                    else f"{attempts[trial.key]} attempts"
                )
                progress.first_errors.setdefault(
                    error.split(":", 1)[0].strip() or "error", f"{trial.condition}, seed {trial.seed}: {error}"
                )
                failed = {
                    "status": "failed",
                    "error": f"after {tries}: {error}",
                    **({} if isinstance(outcome, _Failure) else {k: outcome.get(k) for k in ("wall_s", "worker")}),
                }
                store.record(trial, failed, attempts=attempts[trial.key], engine=engine, sweep_id=sweep_id)
                progress.failed += 1
                progress.errors.append(f"{trial.condition}, seed {trial.seed}: {failed['error']}")
                if bar is not None:
                    bar.update(1)
            progress.running = len(in_flight)
            emit()
    except BaseException:
        cancelled = True
        progress.status = "error"
        raise
    finally:
        if backend is not None:
            backend.shutdown(cancel=cancelled)
        if bar is not None:
            bar.close()
        if progress.status == "running":
            progress.status = "stopped" if cancelled else "finished"
        progress.running = 0
        wall = time.perf_counter() - started
        store.finish_sweep(
            sweep_id, status=progress.status, n_completed=progress.completed, n_failed=progress.failed, wall_s=wall
        )
        emit()
    return SweepReport(sweep_id, engine, n_workers, list(trials), progress, time.perf_counter() - started)
