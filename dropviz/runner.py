"""Training in a background thread: :class:`ThreadRunner`'s controls (start, pause, step, speed, stop)
and :class:`BackgroundRunner`, one training (method + twin) publishing into a
:class:`~dropviz.metric_log.MetricLog`. The log's names are re-exported here for existing importers.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
import time
import traceback
import weakref
from dataclasses import dataclass, field
from typing import Callable

import torch

from .config import RunConfig
from .data import Dataset, DatasetError
from .metric_log import (
    LogSnapshot,
    MetricLog,
    NewestState,
    StateChange,
    StateHistory,
    StateSkipped,
    ThinnedHistory,
    wait_for_first_evaluation,
    wait_for_step,
)
from .run_state import ENDED_STATES, RunState
from .train import Trainer

__all__ = [
    "BackgroundRunner",
    "LogSnapshot",
    "MetricLog",
    "NewestState",
    "StateHistory",
    "StateChange",
    "StateSkipped",
    "ThinnedHistory",
    "ThreadRunner",
    "default_num_threads",
    "lower_thread_priority",
    "wait_for_first_evaluation",
    "wait_for_step",
]


@dataclass
class _Control:
    """State shared between a runner and its thread; deliberately not the runner itself,
    so the thread holds no reference to the runner and dropping the runner stops it."""

    stop: threading.Event = field(default_factory=threading.Event)
    wake: threading.Condition = field(default_factory=threading.Condition)
    paused: bool = False
    pending_steps: int = 0
    max_steps_per_second: float | None = None
    # Held by the thread while it changes weights, so readers copy a consistent model.
    step_lock: threading.Lock = field(default_factory=threading.Lock)
    job: object | None = None  # the Trainer or KeepSweep the thread drives, once built
    keep_change: tuple | None = None  # (keep_p, keep_p_input) to apply before the next step; None = unchanged

    def wait_for_turn(self) -> bool:
        """Block while paused with no single step asked for; False once stopped."""
        with self.wake:
            while self.paused and self.pending_steps == 0 and not self.stop.is_set():
                self.wake.wait(0.25)
            if self.stop.is_set():
                return False
            if self.paused and self.pending_steps > 0:
                self.pending_steps -= 1
        return True


@dataclass(frozen=True)
class _LogSink:
    """Where a lone trainer's thread publishes: one MetricLog (a sweep has its own, keep_sweep._Logs)."""

    log: MetricLog

    def publish(self, event) -> None:
        self.log.publish(event)

    def set_state(self, state: str, message: str = "") -> None:
        self.log.set_state(state, message)

    def announce(self, trainer) -> None:
        self.log.publish(trainer.started_event())


def default_num_threads() -> int:
    # Leave a core to the web server in the same process.
    return max(1, (os.cpu_count() or 2) - 1)


def lower_thread_priority(nice: int) -> bool:
    """Raise the calling thread's nice value by ``nice`` (Linux only, where threads have their own);
    True if it was changed. Lowering one's own priority needs no privilege."""
    if nice <= 0 or not sys.platform.startswith("linux"):
        return False
    thread_id = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, thread_id, min(19, os.getpriority(os.PRIO_PROCESS, thread_id) + nice))
    except OSError:
        return False
    return True


def _drive(
    make_job: Callable[[], object],
    control: _Control,
    sink,
    what: str,
    num_threads: int,
    nice: int,
    yield_seconds: float,
) -> None:
    """The thread of a ThreadRunner: build the job, then step it as the controls say until it is done
    or stopped, publishing its events into ``sink`` (publish / set_state / announce)."""
    torch.set_num_threads(num_threads)
    lower_thread_priority(nice)
    try:
        job = make_job()
    except (DatasetError, ValueError) as error:
        sink.set_state(RunState.ERROR, str(error))
        return
    except Exception as error:  # a bug, not bad input: keep the detail for the log, not a traceback in the UI
        sink.set_state(RunState.ERROR, f"could not start {what}: {type(error).__name__}: {error}")
        traceback.print_exc()
        return
    control.job = job
    sink.announce(job)
    sink.set_state(RunState.PAUSED if control.paused else RunState.RUNNING)
    last_step_time = 0.0
    while control.wait_for_turn():
        if control.max_steps_per_second:
            delay = 1.0 / control.max_steps_per_second - (time.perf_counter() - last_step_time)
            if delay > 0 and control.stop.wait(delay):
                break
        elif yield_seconds:
            # Full speed: a short sleep hands the GIL over. Without it, threads of the same process
            # (a web server drawing this run) waited up to the 5 ms switch interval at each of their
            # blocking calls: the Playground refreshed 1.3 times a second with a fifth of the CPU idle.
            time.sleep(yield_seconds)
        last_step_time = time.perf_counter()
        try:
            with control.step_lock:
                with control.wake:
                    keep_change, control.keep_change = control.keep_change, None
                if keep_change is not None:
                    job.set_keep_p(keep_p=keep_change[0], keep_p_input=keep_change[1])
                events = job.step()
        except Exception as error:
            sink.set_state(RunState.ERROR, f"{what} failed at step {job.step_count}: {type(error).__name__}: {error}")
            traceback.print_exc()
            return
        for event in events:
            sink.publish(event)
        if job.done:
            return
    sink.publish(job.stop())


class ThreadRunner:
    """The controls of a job (a Trainer, a KeepSweep) trained in a daemon thread.

    ``start`` / ``pause`` / ``resume`` / ``step`` / ``set_speed`` / ``stop``; a second ``start``
    is harmless; ``stop`` returns within ``timeout`` seconds. The thread ends when the runner is
    stopped or garbage-collected. A subclass says what the thread builds (:meth:`_job_factory`,
    which must not hold the runner) and where its events go (``self._sink``, ``self.log``).
    """

    thread_name = "dropviz-trainer"
    what = "training"  # in the error messages: "could not start training", "training failed at step 7"

    def __init__(self, *, num_threads: int | None, nice: int, yield_seconds: float):
        self.num_threads = num_threads or default_num_threads()
        self.nice = nice
        self.yield_seconds = yield_seconds
        self.log: MetricLog
        self._sink = None
        self._control = _Control()
        self._thread: threading.Thread | None = None
        weakref.finalize(self, self._control.stop.set)

    def _job_factory(self) -> Callable[[], object]:
        raise NotImplementedError

    @property
    def state(self) -> str:
        return self.log.state

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _launch(self, paused: bool) -> None:
        if self._thread is not None:
            return
        self._control.paused = paused
        self._thread = threading.Thread(
            target=_drive,
            name=self.thread_name,
            daemon=True,
            args=(
                self._job_factory(),
                self._control,
                self._sink,
                self.what,
                self.num_threads,
                self.nice,
                self.yield_seconds,
            ),
        )
        self._sink.set_state(RunState.STARTING)
        self._thread.start()

    def _notify(self) -> None:
        with self._control.wake:
            self._control.wake.notify_all()

    def start(self) -> None:
        """Start training, or resume it if paused; harmless if already running."""
        if self._thread is None:
            self._launch(paused=False)
        else:
            self.resume()

    def pause(self) -> None:
        self._control.paused = True
        if self.alive:
            self._sink.set_state(RunState.PAUSED)
        self._notify()

    def resume(self) -> None:
        if not self.alive:
            return
        self._control.paused = False
        self._sink.set_state(RunState.RUNNING)
        self._notify()

    def step(self, count: int = 1) -> None:
        """Advance ``count`` mini-batches, then stay paused."""
        if self._thread is None:
            self._launch(paused=True)
        self._control.paused = True
        if self.alive:
            self._sink.set_state(RunState.PAUSED)
        with self._control.wake:
            self._control.pending_steps += max(0, int(count))
            self._control.wake.notify_all()

    def set_speed(self, max_steps_per_second: float | None) -> None:
        """Limit the training rate (None: as fast as possible); does not reset the run."""
        self._control.max_steps_per_second = (
            max_steps_per_second if max_steps_per_second and max_steps_per_second > 0 else None
        )

    @property
    def max_steps_per_second(self) -> float | None:
        """The rate limit set by :meth:`set_speed` (None: full speed)."""
        return self._control.max_steps_per_second

    @property
    def queue_position(self) -> None:
        """Always None: a thread runner never waits for a slot (see dropviz.workers.PoolRunner)."""
        return None

    def stop(self, timeout: float = 1.0) -> None:
        self._control.stop.set()
        self._notify()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def close(self) -> None:
        self.stop()

    def snapshot(self) -> LogSnapshot:
        return self.log.snapshot()

    def wait(self, timeout: float | None = None, until: tuple[str, ...] = ENDED_STATES) -> bool:
        """Block until the run reaches one of ``until`` (for scripts and tests)."""
        return self.log.wait_until(lambda log: log.state in until, timeout)


class BackgroundRunner(ThreadRunner):
    """Runs one training (method + twin) in a daemon thread (controls: :class:`ThreadRunner`)."""

    def __init__(
        self,
        config: RunConfig,
        dataset: Dataset | None = None,
        *,
        num_threads: int | None = None,
        nice: int = 0,
        yield_seconds: float = 0.0,
        log: MetricLog | None = None,
        **trainer_options,
    ):
        super().__init__(num_threads=num_threads, nice=nice, yield_seconds=yield_seconds)
        self.config = config
        self.dataset = dataset
        self.log = log or MetricLog()
        self.trainer_options = trainer_options
        self._sink = _LogSink(self.log)

    def _job_factory(self) -> Callable[[], Trainer]:
        return functools.partial(Trainer, self.config, self.dataset, **self.trainer_options)

    @property
    def trainer(self) -> Trainer | None:
        """The trainer the thread drives (None until the thread has built it)."""
        return self._control.job

    def set_keep_p(self, keep_p: float | None = None, keep_p_input: float | None = None) -> None:
        """Change the keep probabilities from the next mini-batch (between steps; the run goes on).
        Calls before that step add up: a probability one call leaves as None keeps an earlier call's value."""
        with self._control.wake:
            pending = self._control.keep_change or (None, None)
            self._control.keep_change = (
                keep_p if keep_p is not None else pending[0],
                keep_p_input if keep_p_input is not None else pending[1],
            )
            self._control.wake.notify_all()

    def copy_models(self) -> dict[str, torch.nn.Module]:
        """Independent eval-mode copies of the current method net and twin (empty before the first step).

        Analyses run on copies so they never block or perturb the training thread.
        """
        trainer = self._control.job
        if trainer is None:
            return {}
        with self._control.step_lock:
            return {run: model.inference_copy() for run, model in trainer.models.items()}

    @property
    def trained_dataset(self) -> Dataset | None:
        """The data set the run trains on, once loaded by the thread."""
        trainer = self._control.job
        return trainer.dataset if trainer is not None else None

    def wait_for_evaluation(self, timeout: float) -> bool:
        """Block up to ``timeout`` s until the run has published an evaluation (or ended); True if it has."""
        return wait_for_first_evaluation(self.log, timeout)
