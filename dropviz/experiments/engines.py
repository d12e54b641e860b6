"""Where trials run: in this process, a pool of worker processes (``forkserver``), or Ray tasks; each
backend submits trials and reports outcomes, a crashed worker becomes a failed outcome."""

from __future__ import annotations

import concurrent.futures as futures
import multiprocessing
import os
import pathlib
import threading
import time
from dataclasses import dataclass

from .protocol import (
    Trial,
)
from .trial import execute_trial

ROOT = pathlib.Path(__file__).resolve().parents[2]  # the checkout (Ray's workers need its code)
ENGINES = ("local", "ray")
RAY_INSTALL_HINT = (
    "Ray is not installed: install the optional extra with "
    "`pip install -r requirements-ray.txt` (ray[default]==2.60.0), then retry --engine ray"
)


class EngineUnavailable(RuntimeError):
    """The engine asked for cannot run here; the message says how to fix it."""


def cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


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
    from .. import train  # noqa: F401 - import once per worker, not per trial

    if driver_pid is not None:
        threading.Thread(
            target=_exit_when_driver_dies, args=(driver_pid,), name="dropviz-parent-check", daemon=True
        ).start()


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
    context.set_forkserver_preload(["dropviz.experiments.trial", "dropviz.train"])
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
