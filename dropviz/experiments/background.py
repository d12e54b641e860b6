"""A sweep in the background for the Experiments page: a ``python -m dropviz experiment`` child process,
watched through the results database. No streamlit in here."""

from __future__ import annotations

import os
import threading
import time
from typing import Callable, Sequence

from .engines import ROOT, cpu_count
from .protocol import (
    Trial,
)
from .store import Store
from .sweep import DEFAULT_MAX_ATTEMPTS, Progress, SweepReport, unique

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
