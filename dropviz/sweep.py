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
whichever engine ran them, so a sweep can be stopped and resumed anywhere.
"""

from __future__ import annotations

import collections
import concurrent.futures as futures
import functools
import math
import multiprocessing
import os
import pathlib
import socket
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable, Sequence

from .experiments import Trial, mc_average_errors
from .store import DONE_STATUSES, Store

ENGINES = ("local", "ray")
RAY_INSTALL_HINT = (
    "Ray is not installed: install the optional extra with "
    "`pip install -r requirements-ray.txt` (ray[default]==2.60.0), then retry --engine ray"
)
DEFAULT_MAX_ATTEMPTS = 3
ROOT = pathlib.Path(__file__).resolve().parents[1]


class EngineUnavailable(RuntimeError):
    """The engine asked for cannot run here; the message says how to fix it."""


def cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


# --- one trial (runs in a worker) ---------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _dataset(name: str, train_size, seed: int, test_size, noise: float, data_dir):
    from .data import load_dataset

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

    from .data import DatasetError

    if isinstance(error, (DatasetError, ValidationError, ValueError, TypeError, KeyError, FileNotFoundError)):
        return "config"
    return "runtime"  # a lost worker, out of memory, an interrupted read: may pass on another attempt


def _split_validation(dataset, protocol, seed: int):
    """The dataset trained on (training examples minus the validation split) and the validation tensors."""
    import dataclasses

    import numpy as np

    from .data import stratified_indices

    labels = dataset.y_train.numpy()
    n_val = protocol.validation_size(len(labels), int(dataset.n_classes))
    held = stratified_indices(labels, n_val, seed + 11)
    keep = np.setdiff1d(np.arange(len(labels)), held)
    train = dataclasses.replace(dataset, x_train=dataset.x_train[keep], y_train=dataset.y_train[keep])
    return train, dataset.x_train[held], dataset.y_train[held]


def _train_run(config, dataset, x_val, y_val, patience: int | None = None) -> dict:
    """One training run; with validation data, early stopping and the best checkpoint (by validation error)."""
    import copy

    from .train import Evaluation, Trainer, evaluate, run_to_end

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
    :func:`dropviz.experiments.mc_average_errors` (one pass, on any device).
    """
    import torch

    try:
        from .analysis import mc_curve
    except ImportError:
        mc_curve = None
    if mc_curve is not None and inputs.device.type == "cpu":
        curve = mc_curve(model, inputs, labels, max_k=max(ks), repeats=MC_REPEATS, seed=seed)
        wanted = {int(k) for k in ks}
        errors = {int(k): float(e) for k, e in zip(curve.ks, curve.mean_error) if int(k) in wanted}
        return errors, float(curve.weight_scaled_error), f"analysis.mc_curve (mean of {MC_REPEATS} orders)"
    generator = torch.Generator(device=inputs.device).manual_seed(seed)
    errors, scaled = mc_average_errors(model, inputs, labels, ks, generator)
    return errors, scaled, "experiments.mc_average_errors"


PARENT_CHECK_S = 1.0


def _driver_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - a process of another user now has the id
        return False
    return True


def _exit_when_driver_dies(driver_pid: int) -> None:
    """A worker's watchdog: when the sweep driver is gone (kill -9 included), leave at once rather
    than finish a trial nobody will record (and hold its memory meanwhile)."""
    while True:
        time.sleep(PARENT_CHECK_S)
        if not _driver_alive(driver_pid):
            os._exit(3)


def _init_worker(threads: int, driver_pid: int | None = None) -> None:
    import torch

    torch.set_num_threads(threads)
    from . import train  # noqa: F401 - import once per worker, not per trial

    if driver_pid is not None:
        threading.Thread(
            target=_exit_when_driver_dies, args=(driver_pid,), name="dropviz-parent-check", daemon=True
        ).start()


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


# --- engines -------------------------------------------------------------------------------------


@dataclass
class _Failure:
    error: str


class _InlineBackend:
    """Runs each trial in this process (workers=0)."""

    name = "local"

    def __init__(self, threads: int):
        self.capacity = 1
        self.threads = threads

    def submit(self, trial: Trial):
        future: futures.Future = futures.Future()
        future.set_result(execute_trial(trial.to_dict(), self.threads))
        return future

    def wait(self, handles, timeout: float):
        return [(handle, handle.result()) for handle in handles]

    def shutdown(self, cancel: bool) -> None:
        pass


def _worker_context():
    """``forkserver`` with torch and dropviz preloaded: workers start in milliseconds (a fresh
    ``spawn`` imports torch in every worker, seconds each), and, unlike plain ``fork``, they are
    not copies of a multi-threaded parent such as the Streamlit server."""
    if "forkserver" not in multiprocessing.get_all_start_methods():  # pragma: no cover - not POSIX
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["dropviz.sweep", "dropviz.train"])
    return context


class _PoolBackend:
    """A pool of worker processes; a crashed worker breaks the pool, which is then rebuilt."""

    name = "local"

    def __init__(self, workers: int, threads: int):
        self.capacity = workers
        self.threads = threads
        self.pool: futures.ProcessPoolExecutor | None = None

    def _ensure_pool(self) -> futures.ProcessPoolExecutor:
        if self.pool is None:
            self.pool = futures.ProcessPoolExecutor(
                max_workers=self.capacity,
                mp_context=_worker_context(),
                initializer=_init_worker,
                initargs=(self.threads, os.getpid()),
            )
        return self.pool

    def submit(self, trial: Trial):
        try:
            return self._ensure_pool().submit(execute_trial, trial.to_dict(), self.threads)
        except futures.process.BrokenProcessPool:
            self._discard_pool()
            return self._ensure_pool().submit(execute_trial, trial.to_dict(), self.threads)

    def wait(self, handles, timeout: float):
        done, _ = futures.wait(handles, timeout=timeout, return_when=futures.FIRST_COMPLETED)
        outcomes = []
        for handle in done:
            try:
                outcomes.append((handle, handle.result()))
            except futures.process.BrokenProcessPool as error:
                self._discard_pool()
                outcomes.append((handle, _Failure(f"worker process died ({error or 'BrokenProcessPool'})")))
            except Exception as error:  # noqa: BLE001
                outcomes.append((handle, _Failure(f"{type(error).__name__}: {error}")))
        return outcomes

    def _discard_pool(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None

    def shutdown(self, cancel: bool) -> None:
        if self.pool is None:
            return
        if cancel:
            processes = list((getattr(self.pool, "_processes", None) or {}).values())
            self.pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:  # stop running trials now rather than after they finish
                if process.is_alive():
                    process.terminate()
        else:
            self.pool.shutdown(wait=True)
        self.pool = None


def _ray_execute_trial(payload: dict, threads: int) -> dict:
    return execute_trial(payload, threads)


class _RayBackend:
    """Each trial a Ray task; retries are the driver's (``max_retries=0``) so attempts are counted in one place."""

    name = "ray"

    def __init__(self, workers: int | None, threads: int, address: str | None, gpus_per_trial: float):
        try:
            import ray
        except ImportError:
            raise EngineUnavailable(RAY_INSTALL_HINT) from None
        self.ray = ray
        self.threads = threads
        self.gpus_per_trial = gpus_per_trial
        self.started_here = False
        if not ray.is_initialized():
            options = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
            try:
                if address:
                    # An existing cluster needs the dropviz code; its Python needs requirements.txt.
                    ray.init(address=address, runtime_env={"py_modules": [str(ROOT / "dropviz")]}, **options)
                else:
                    ray.init(
                        num_cpus=workers or cpu_count(), runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}}, **options
                    )
            except Exception as error:  # noqa: BLE001
                where = address or "a local Ray instance"
                raise EngineUnavailable(f"cannot start or reach Ray at {where}: {error}") from None
            self.started_here = True
        resources = ray.cluster_resources()
        self.cluster_gpus = float(resources.get("GPU", 0.0))
        self.capacity = workers or max(1, int(resources.get("CPU", 1) // max(1, threads)))
        self.remote = ray.remote(max_retries=0)(_ray_execute_trial)
        self.in_flight: set = set()

    def _gpus(self, trial: Trial) -> float:
        device = trial.config.device
        if device == "cuda" or (device == "auto" and self.cluster_gpus > 0):
            return self.gpus_per_trial
        return 0.0

    def submit(self, trial: Trial):
        ref = self.remote.options(num_cpus=self.threads, num_gpus=self._gpus(trial)).remote(
            trial.to_dict(), self.threads
        )
        self.in_flight.add(ref)
        return ref

    def wait(self, handles, timeout: float):
        ray = self.ray
        ready, rest = ray.wait(list(handles), num_returns=1, timeout=timeout)
        if ready and rest:
            more, _ = ray.wait(rest, num_returns=len(rest), timeout=0)
            ready += more
        outcomes = []
        for ref in ready:
            self.in_flight.discard(ref)
            try:
                outcomes.append((ref, ray.get(ref)))
            except ray.exceptions.RayError as error:  # worker crashed, OOM-killed, node died, task error
                text = str(error).strip().splitlines()
                outcomes.append((ref, _Failure(f"{type(error).__name__}: {text[0] if text else ''}")))
        return outcomes

    def shutdown(self, cancel: bool) -> None:
        if cancel:
            for ref in list(self.in_flight):
                try:
                    self.ray.cancel(ref, force=True)
                except Exception:  # noqa: BLE001 - already finished or gone
                    pass
        self.in_flight.clear()
        if self.started_here:
            self.ray.shutdown()


def make_backend(
    engine: str, workers: int | None, *, threads: int = 1, ray_address: str | None = None, gpus_per_trial: float = 0.25
):
    if engine == "local":
        workers = cpu_count() if workers is None else workers
        return _InlineBackend(threads) if workers == 0 else _PoolBackend(workers, threads)
    if engine == "ray":
        return _RayBackend(workers, threads, ray_address, gpus_per_trial)
    raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")


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


# --- command line: python -m dropviz experiment ... -------------------------------------------------


def _non_negative_int(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {value}")
    return value


def _positive_int(text: str) -> int:
    import argparse

    value = _non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return value


def _seeds(text: str) -> tuple[int, ...]:
    import argparse

    try:
        seeds = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated seeds like 0,1,2, got {text!r}") from None
    if not seeds or any(seed < 0 or seed > 2**31 - 1 for seed in seeds):
        raise argparse.ArgumentTypeError(f"seeds must be 0 .. 2147483647, got {text!r}")
    return seeds


def _gpu_fraction(text: str) -> float:
    import argparse

    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 < value <= 8.0:
        raise argparse.ArgumentTypeError(f"expected a GPU share like 0.25 (0 < x <= 8), got {text!r}")
    return value


def add_experiment_arguments(parser) -> None:
    """The flags of ``python -m dropviz experiment`` (wired into dropviz.cli)."""
    from .experiments import EXPERIMENTS, PRESETS

    parser.add_argument("name", nargs="?", metavar="NAME", help=f"one of {', '.join(EXPERIMENTS)}, or 'all'")
    parser.add_argument("--list", action="store_true", help="list the experiments and presets, then exit")
    parser.add_argument("--preset", choices=PRESETS, default="quick", help="quick (default), standard, paper, tiny")
    parser.add_argument(
        "--dataset",
        default=None,
        help="a classification data set of the registry (default: fashion-mnist if present, else digits)",
    )
    parser.add_argument(
        "--data-dir", default=None, metavar="DIR", help="folder with MNIST/Fashion-MNIST IDX files (as for `train`)"
    )
    parser.add_argument(
        "--workers",
        type=_non_negative_int,
        default=None,
        help="parallel trials (default: the CPU count; 0 = in this process)",
    )
    parser.add_argument(
        "--db",
        default=None,
        help="results database (default: $DROPVIZ_RESULTS_DB or ~/.cache/dropviz/experiments.sqlite)",
    )
    parser.add_argument("--engine", choices=ENGINES, default="local", help="local worker processes or Ray")
    parser.add_argument(
        "--ray-address", default=None, help="auto (a running cluster) or ray://host:port; default: start a local Ray"
    )
    parser.add_argument(
        "--max-attempts",
        type=_positive_int,
        default=DEFAULT_MAX_ATTEMPTS,
        help="tries per trial before it is recorded as failed",
    )
    parser.add_argument("--seeds", type=_seeds, default=None, help="override the preset's seeds, e.g. 0,1,2")
    parser.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="auto",
        help="where trials train (auto: a GPU when there is one)",
    )
    parser.add_argument(
        "--gpus-per-trial",
        type=_gpu_fraction,
        default=0.25,
        help="Ray: GPU share requested by a CUDA trial (default 0.25)",
    )
    parser.add_argument(
        "--export",
        metavar="PATH",
        default=None,
        help="also write the completed trials to a results JSON file (shipped-results format)",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _list_text() -> str:
    from .experiments import COMMON_NOTE, EXPERIMENTS, PRESET_NOTES

    lines = ["experiments:"]
    lines += [f"  {spec.name:9s} {spec.paper_ref:10s} {spec.title}" for spec in EXPERIMENTS.values()]
    lines.append("presets:")
    lines += [f"  {name:9s} {note}" for name, note in PRESET_NOTES.items()]
    lines.append(COMMON_NOTE)
    return "\n".join(lines)


def command_experiment(args) -> int:
    """``python -m dropviz experiment``: run (or resume) a sweep; summary table or JSON on stdout."""
    import json
    import sys

    from .data import TOY_DATASETS, DatasetError, load_dataset
    from .experiments import EXPERIMENTS, PRESET_NOTES, all_trials, default_dataset, fit_notices, summarize
    from .store import StoreError, export_json

    def fail(message: str) -> int:
        print(f"dropviz experiment: error: {message}", file=sys.stderr)
        return 2

    if args.list:
        if args.json:
            print(
                json.dumps(
                    {
                        "experiments": {n: {"title": s.title, "paper": s.paper_ref} for n, s in EXPERIMENTS.items()},
                        "presets": PRESET_NOTES,
                    }
                )
            )
        else:
            print(_list_text())
        return 0
    if not args.name:
        return fail("give an experiment NAME (or --list); choose one of " + ", ".join(EXPERIMENTS) + ", all")
    names = list(EXPERIMENTS) if args.name == "all" else [args.name]
    if names[0] not in EXPERIMENTS:
        return fail(f"unknown experiment {args.name!r}; choose one of {', '.join(EXPERIMENTS)}, all")
    if args.ray_address and args.engine != "ray":
        return fail("--ray-address needs --engine ray")
    data_dir = getattr(args, "data_dir", None)
    if data_dir is not None and not os.path.isdir(data_dir):
        return fail(f"--data-dir {data_dir!r} is not a folder; give the folder that holds the IDX files")
    dataset = args.dataset or default_dataset()
    try:
        probe = load_dataset(dataset, train_size=None, data_dir=data_dir)
    except DatasetError as error:
        return fail(str(error))
    if probe.n_classes < 2:
        return fail(f"data set {dataset!r} has fewer than 2 classes")
    # Check the sweep against what the data set really has (a folder may hold a cut-down copy), before
    # any trial starts: larger sizes are capped or left out, with a notice.
    generated = dataset.strip().lower() in TOY_DATASETS
    n_train, n_test = int(probe.x_train.shape[0]), int(probe.x_test.shape[0])
    notices = [] if generated else fit_notices(names, dataset, args.preset, n_train, n_test)
    try:
        trials = all_trials(
            names,
            dataset,
            args.preset,
            seeds=args.seeds,
            device=args.device,
            n_available=None if generated else n_train,
            n_test=None if generated else n_test,
            data_dir=data_dir,
        )
    except ValueError as error:
        return fail(str(error))
    for notice in notices:
        print(f"dropviz experiment: note: {notice}", file=sys.stderr)
    try:
        store = Store(args.db)
    except StoreError as error:
        return fail(str(error))
    import signal

    def terminate(signum, frame):  # SIGTERM: stop like Ctrl-C, so worker processes are stopped too
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, terminate)
    with store:
        try:
            report = run_sweep(
                trials,
                store,
                engine=args.engine,
                workers=args.workers,
                ray_address=args.ray_address,
                max_attempts=args.max_attempts,
                gpus_per_trial=args.gpus_per_trial,
                progress_bar=not (args.quiet or args.json),
            )
        except EngineUnavailable as error:
            return fail(str(error))
        rows = store.trials(keys=report.keys)
        if args.export:
            export_json(
                [row for row in rows if row["status"] == "completed"],
                args.export,
                meta={"preset": args.preset, "dataset": dataset, "experiments": names},
            )
    summary = summarize(rows)
    progress = report.progress
    payload = {
        "experiments": names,
        "preset": args.preset,
        "dataset": dataset,
        "db": str(store.path),
        "engine": report.engine,
        "workers": report.workers,
        "sweep_id": report.sweep_id,
        "trials": progress.total,
        "ran": progress.completed,
        "skipped": progress.skipped,
        "failed": progress.failed,
        "retries": progress.retries,
        "wall_s": round(report.wall_s, 2),
        "notices": notices,
        "errors": dict(progress.first_errors),
        "conditions": summary,
    }
    if args.json:
        print(json.dumps(payload))
    else:
        print(
            f"{','.join(names)} / {args.preset} / {dataset}: {progress.completed} run, {progress.skipped} "
            f"already done, {progress.failed} failed, in {report.wall_s:.1f} s on {report.workers} "
            f"{report.engine} worker(s); results in {store.path}"
        )
        print(f"{'experiment':10s} {'condition':34s} {'n':>2s} {'test error %':>16s} {'train error %':>16s}")
        for row in summary:
            test = (
                "-"
                if row["test_error_pct_mean"] is None
                else f"{row['test_error_pct_mean']:.2f} ± {row['test_error_pct_std']:.2f}"
            )
            train = (
                "-"
                if row["train_error_pct_mean"] is None
                else f"{row['train_error_pct_mean']:.2f} ± {row['train_error_pct_std']:.2f}"
            )
            print(f"{row['experiment']:10s} {row['condition'][:34]:34s} {row['n']:2d} {test:>16s} {train:>16s}")
        for error in progress.errors:
            print(f"failed: {error}", file=sys.stderr)
    if progress.failed:
        # the reason, also with --json (stdout stays one JSON object): the first error of each kind
        for kind, error in progress.first_errors.items():
            print(f"dropviz experiment: {progress.failed} trial(s) failed; first {kind}: {error}", file=sys.stderr)
    return 0 if progress.failed == 0 else 1


# --- background sweeps (the Experiments page) ---------------------------------------------------------


class BackgroundSweep:
    """Runs one sweep as a ``python -m dropviz experiment`` child process, watched by a daemon
    thread that reads progress from the results database; the page polls :meth:`snapshot`.
    No streamlit in here."""

    def __init__(
        self,
        trials: Sequence[Trial],
        db_path,
        *,
        engine: str = "local",
        workers: int | None = None,
        ray_address: str | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ):
        self.trials = list(trials)
        self.db_path = db_path
        self.engine = engine
        self.workers = workers
        self.ray_address = ray_address or None
        self.max_attempts = max_attempts
        self.stop_event = threading.Event()
        self._lock = threading.Lock()
        self._progress = Progress(total=len(unique(self.trials)))
        self._progress.status = "starting"
        self.error: str | None = None
        self.report: SweepReport | None = None
        self.on_done: Callable[[], None] | None = None  # called in the sweep thread when it ends
        self.thread = threading.Thread(target=self._run, name="dropviz-sweep", daemon=True)

    def start(self) -> "BackgroundSweep":
        self.thread.start()
        return self

    def _on_progress(self, progress: Progress) -> None:
        with self._lock:
            self._progress = Progress(**{**progress.__dict__, "errors": list(progress.errors)})

    def command(self) -> list[str]:
        """The CLI run of this sweep: a child process has its own ``__main__``, so its worker
        processes never re-import the Streamlit page (which a pool started in the server would)."""
        import sys

        first = self.trials[0]
        names = sorted({trial.experiment for trial in self.trials})
        command = [
            sys.executable,
            "-m",
            "dropviz",
            "experiment",
            names[0] if len(names) == 1 else "all",
            "--preset",
            first.preset,
            "--dataset",
            first.dataset,
            "--db",
            str(self.db_path),
            "--engine",
            self.engine,
            "--max-attempts",
            str(self.max_attempts),
            "--quiet",
            "--seeds",
            ",".join(str(s) for s in sorted({trial.seed for trial in self.trials})),
        ]
        if self.workers is not None:
            command += ["--workers", str(self.workers)]
        if self.ray_address:
            command += ["--ray-address", self.ray_address]
        return command

    def _poll(self, keys: set[str], started: float) -> None:
        counts = {"completed": 0, "failed": 0, "diverged": 0}
        try:
            with Store(self.db_path, readonly=True) as store:
                for row in store.conn.execute("SELECT key, status FROM trials"):
                    if row[0] in keys and row[1] in counts:
                        counts[row[1]] += 1
        except Exception:  # noqa: BLE001 - not created yet, or busy: try again next time
            return
        with self._lock:
            progress = self._progress
            done = counts["completed"] + counts["diverged"]
            progress.completed = max(0, done - self._done_before)
            progress.skipped = self._done_before
            progress.failed = counts["failed"] - self._failed_before if counts["failed"] >= self._failed_before else 0
            progress.elapsed_s = time.perf_counter() - started
            progress.running = (
                0
                if progress.status != "running"
                else min(self.workers or cpu_count(), progress.total - progress.finished_trials)
            )

    def _run(self) -> None:
        import subprocess

        keys = {trial.key for trial in self.trials}
        self._done_before, self._failed_before = 0, 0
        if os.path.exists(self.db_path):
            with Store(self.db_path, readonly=True) as store:
                self._done_before = len(store.done_keys(keys))
        started = time.perf_counter()
        try:
            process = subprocess.Popen(
                self.command(), cwd=str(ROOT), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
            )
            with self._lock:
                self._progress.status = "running"
            while process.poll() is None:
                if self.stop_event.is_set():
                    process.terminate()  # the CLI stops its workers on SIGTERM
                    try:
                        process.wait(30)
                    except subprocess.TimeoutExpired:
                        process.kill()
                    break
                self._poll(keys, started)
                time.sleep(0.5)
            stderr = process.stderr.read() if process.stderr else ""
            self._poll(keys, started)
            with self._lock:
                if self.stop_event.is_set():
                    self._progress.status = "stopped"
                elif process.returncode in (0, 1):
                    self._progress.status = "finished"
                else:
                    self._progress.status = "error"
                    lines = [line for line in stderr.splitlines() if line.strip()]
                    self.error = (
                        lines[-1].removeprefix("dropviz experiment: error: ")
                        if lines
                        else f"the sweep exited with code {process.returncode}"
                    )
                self._progress.running = 0
        except Exception as error:  # noqa: BLE001 - shown on the page; completed trials are already stored
            self.error = f"{type(error).__name__}: {error}"
            with self._lock:
                self._progress.status = "error"
        finally:
            if self.on_done is not None:
                self.on_done()

    def snapshot(self) -> Progress:
        with self._lock:
            return Progress(**{**self._progress.__dict__, "errors": list(self._progress.errors)})

    @property
    def running(self) -> bool:
        return self.thread.is_alive()

    def cancel(self, wait: float = 10.0) -> None:
        self.stop_event.set()
        if self.thread.is_alive():
            self.thread.join(wait)
