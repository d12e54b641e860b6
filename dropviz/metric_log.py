"""The bounded metric log a run publishes into, and the immutable snapshots its readers take.

The web page never trains: it reads :meth:`MetricLog.snapshot` copies while a runner's thread (or a
worker process) publishes a trainer's events. Everything the log keeps is bounded (ring buffers; masks
and activations latest-only or a short history), so a tab left open all day does not grow.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

from .run_state import ENDED_STATES, RunState
from .train import Evaluation, Finished, KeepChange, MaskSnapshot, Started, StateSnapshot, Step


@dataclass(frozen=True)
class LogSnapshot:
    """An immutable copy of the log that any number of readers may hold."""

    version: int
    state: str
    message: str
    started: Started | None
    steps: tuple[Step, ...]
    evaluations: tuple[Evaluation, ...]
    masks: tuple[MaskSnapshot, ...]
    latest_state: StateSnapshot | None
    state_history: tuple[StateSnapshot, ...]
    samples_per_second: float
    step: int
    epoch: float
    keep_changes: tuple[KeepChange, ...] = ()  # mid-run keep_p changes, oldest first

    @property
    def latest_evaluation(self) -> Evaluation | None:
        return self.evaluations[-1] if self.evaluations else None


@dataclass(frozen=True)
class StateChange:
    """A run's state as its worker sees it (running once the trainer exists, error with why...)."""

    state: str
    message: str = ""


@dataclass(frozen=True)
class NewestState:
    """The newest state snapshot of a run, already counted by the thinned history (as StateSkipped):
    shown as the latest, not counted again. A worker sends it at most every so often, not per slice."""

    snapshot: StateSnapshot


@dataclass(frozen=True)
class StateSkipped:
    """A state snapshot the log's thinned history would not keep: a worker counts it, never sends it."""

    step: int


@dataclass(frozen=True)
class StateHistory:
    """A worker's full state snapshots (probe activations included) for the steps its stream sent slim
    (weights only): sent when the run pauses or ends, they fill in the log's kept snapshots by step."""

    snapshots: tuple[StateSnapshot, ...]


class ThinnedHistory:
    """At most ``capacity`` items spread evenly from the first to the newest, however many arrive.

    When full, every second kept item is dropped and from then on only every
    second arrival is kept (the stride doubles), so the spacing stays even; the
    newest item is always included. Not thread-safe on its own (MetricLog locks).
    """

    def __init__(self, capacity: int):
        self.capacity = max(2, capacity)
        self._kept: list = []
        self._stride = 1
        self._arrivals = 0
        self._newest = None

    def append(self, item) -> None:
        if self._arrivals % self._stride == 0:
            self._kept.append(item)
            if len(self._kept) > self.capacity - 1:  # one place stays free for the newest
                self._kept = self._kept[::2]
                self._stride *= 2
        self._arrivals += 1
        self._newest = item

    def will_keep_next(self) -> bool:
        """Whether the next arrival will be kept (not only as the newest)."""
        return self._arrivals % self._stride == 0

    def skip(self) -> None:
        """Count an arrival that is not kept (a worker sends only what the history keeps)."""
        if self.will_keep_next():
            raise ValueError("a kept arrival cannot be skipped")
        self._arrivals += 1

    def set_newest(self, item) -> None:
        """Show ``item`` as the newest (an arrival already counted by :meth:`skip`)."""
        self._newest = item

    def fill_in(self, by_step: dict) -> None:
        """Replace kept items (and the newest) whose ``step`` is in ``by_step`` with that value."""
        newest_kept = self._newest_is_kept()
        self._kept = [by_step.get(item.step, item) for item in self._kept]
        if self._newest is not None:
            self._newest = self._kept[-1] if newest_kept else by_step.get(self._newest.step, self._newest)

    def _newest_is_kept(self) -> bool:
        return bool(self._kept) and self._kept[-1] is self._newest

    def items(self) -> tuple:
        if self._newest is None:
            return ()
        return tuple(self._kept) if self._newest_is_kept() else (*self._kept, self._newest)

    def __len__(self) -> int:
        if self._newest is None:
            return 0
        return len(self._kept) + (0 if self._newest_is_kept() else 1)


class MetricLog:
    """Thread-safe, bounded record of a run. ``version`` increases with every publish."""

    def __init__(
        self, max_steps: int = 20_000, max_evaluations: int = 2_000, mask_history: int = 24, state_history: int = 40
    ):
        self._lock = threading.Lock()
        # Waiters (a Train click waiting for its first point, scripts waiting for the end)
        # are woken by publish instead of polling.
        self._changed = threading.Condition(self._lock)
        self._steps: deque[Step] = deque(maxlen=max_steps)
        # Thinned like the states below, not a ring: the curves must start at step 0 however long
        # the run, and a bounded count keeps each refresh's cost from growing with the run.
        self._evaluations = ThinnedHistory(max_evaluations)
        self._masks: deque[MaskSnapshot] = deque(maxlen=mask_history)
        # Not a ring: when full, every second snapshot is dropped, so the history keeps
        # covering the whole run (the co-adaptation replay) at a coarser spacing.
        self._states = ThinnedHistory(state_history)
        self._started: Started | None = None
        self._keep_changes: deque[KeepChange] = deque(maxlen=200)
        self._version = 0
        self.state = RunState.IDLE
        self.message = ""
        self._rate_window: deque[tuple[float, int]] = deque(maxlen=50)
        self._on_first_evaluation: list[Callable[[], None]] = []

    def on_first_evaluation(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once the run has an evaluation: from the publishing thread when it comes, at once
        if it has come already. A page's live stream is told of its first point this way, not by asking."""
        with self._lock:
            if not len(self._evaluations):
                self._on_first_evaluation.append(callback)
                return
        callback()

    def publish(self, event) -> None:
        self.publish_many((event,))

    def publish_many(self, events) -> None:
        """Publish a batch under one lock (a worker process's slice of events); waiters wake once.

        The rate window takes the batch's last step only: steps that arrive together share one time."""
        with self._lock:
            now = time.perf_counter()
            last_step = None
            had_evaluation = len(self._evaluations) > 0
            for event in events:
                self._version += 1
                if isinstance(event, Step):
                    self._steps.append(event)
                    last_step = event
                elif isinstance(event, Evaluation):
                    self._evaluations.append(event)
                elif isinstance(event, MaskSnapshot):
                    self._masks.append(event)
                elif isinstance(event, StateSnapshot):
                    self._states.append(event)
                elif isinstance(event, Started):
                    self._started = event
                elif isinstance(event, KeepChange):
                    self._keep_changes.append(event)
                elif isinstance(event, Finished):
                    self.state, self.message = event.status, event.message
                elif isinstance(event, StateSkipped):
                    self._states.skip()
                elif isinstance(event, NewestState):
                    self._states.set_newest(event.snapshot)
                elif isinstance(event, StateHistory):
                    self._states.fill_in({snapshot.step: snapshot for snapshot in event.snapshots})
                elif isinstance(event, StateChange):
                    self.state, self.message = event.state, event.message
            if last_step is not None:
                self._rate_window.append((now, last_step.step))
            self._changed.notify_all()
            first_evaluation = ()
            if self._on_first_evaluation and not had_evaluation and len(self._evaluations):
                first_evaluation, self._on_first_evaluation = self._on_first_evaluation, []
        for callback in first_evaluation:
            callback()

    def set_state(self, state: str, message: str = "") -> None:
        with self._lock:
            self._version += 1
            self.state, self.message = state, message
            self._changed.notify_all()

    def wait_until(self, predicate: Callable[["MetricLog"], bool], timeout: float | None = None) -> bool:
        """Block until ``predicate(log)`` holds, checked after each change; its last value.

        The predicate runs without the log's lock held, so it may read the log as any reader does
        (:meth:`snapshot` included) and never holds up the publishing thread."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            seen = self._version
            if predicate(self):
                return True
            with self._changed:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    break
                self._changed.wait_for(lambda: self._version != seen, remaining)
        return predicate(self)

    @property
    def version(self) -> int:
        return self._version

    @property
    def started(self) -> Started | None:
        return self._started

    @property
    def has_evaluation(self) -> bool:
        return len(self._evaluations) > 0

    @property
    def step(self) -> int:
        """The newest published step (0 before the first); cheaper than a snapshot."""
        steps = self._steps
        return steps[-1].step if steps else 0

    def snapshot(self) -> LogSnapshot:
        with self._lock:
            steps = tuple(self._steps)
            states = self._states.items()
            rate = 0.0
            if len(self._rate_window) >= 2:
                (t0, s0), (t1, s1) = self._rate_window[0], self._rate_window[-1]
                if t1 > t0 and self._started is not None:
                    batch = min(self._started.config.batch_size, 10**9)
                    rate = (s1 - s0) * batch / (t1 - t0)
            last = steps[-1] if steps else None
            return LogSnapshot(
                version=self._version,
                state=self.state,
                message=self.message,
                started=self._started,
                steps=steps,
                evaluations=self._evaluations.items(),
                masks=tuple(self._masks),
                latest_state=states[-1] if states else None,
                state_history=states,
                samples_per_second=rate,
                step=last.step if last else 0,
                epoch=last.epoch if last else 0.0,
                keep_changes=tuple(self._keep_changes),
            )


def wait_for_first_evaluation(log: MetricLog, timeout: float) -> bool:
    """Block up to ``timeout`` s until ``log`` has an evaluation (or its run ended); True if it has."""
    log.wait_until(lambda log: log.has_evaluation or log.state in ENDED_STATES, timeout)
    return log.has_evaluation


def wait_for_step(log: MetricLog, step: int, timeout: float) -> bool:
    """Block up to ``timeout`` s until ``log`` has published ``step`` (or its run ended); True if it has."""
    log.wait_until(lambda log: log.step >= step or log.state in ENDED_STATES, timeout)
    return log.step >= step
