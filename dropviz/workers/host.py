"""The host side: the runs placed on one host, trained round-robin in time slices (no I/O here; a worker
process or a Ray actor wraps it). Compatible small runs train stacked as one cohort (dropviz.cohort)."""

from __future__ import annotations

import collections
import math
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from ..config import RunConfig
from ..data import Dataset, DatasetError
from ..run_state import RunState
from ..runner import NewestState, StateChange, StateHistory, StateSkipped, ThinnedHistory
from ..train import Evaluation
from .messages import (
    COHORT_SLICE_SECONDS,
    MASK_HISTORY,
    SLICE_SECONDS,
    STATE_HISTORY,
    STATE_PERIOD,
    WEIGHTS_BYTES_PER_SECOND,
    WEIGHTS_PERIOD,
    JobSpec,
    _nbytes,
    job_weights,
)

# After a run is added, for this long every slice is short (a class presses Train within a second or two).
ARRIVAL_SECONDS = 1.0

_DATASETS: "collections.OrderedDict[tuple, Dataset]" = collections.OrderedDict()


def _shared_dataset(config: RunConfig) -> Dataset:
    """One copy per host of each built-in data set (30 students on MNIST hold it once)."""
    from ..data import load_dataset

    key = (config.dataset, config.train_size, config.noise, config.seed, config.data_dir)
    if key not in _DATASETS:
        _DATASETS[key] = load_dataset(
            config.dataset, train_size=config.train_size, noise=config.noise, seed=config.seed, data_dir=config.data_dir
        )
        while len(_DATASETS) > 4:
            _DATASETS.popitem(last=False)
    _DATASETS.move_to_end(key)
    return _DATASETS[key]


def _job_factory(spec: JobSpec):
    """A plain Trainer job is built as a CohortTrainer: a Trainer while alone, stackable with its peers."""
    from ..cohort import CohortTrainer
    from ..train import Trainer

    return CohortTrainer if spec.factory is Trainer else spec.factory


def _slim(snapshot):
    """A state snapshot without its probe activations (the views that stream need only the weights)."""
    return type(snapshot)(snapshot.step, {}, snapshot.weights)


def _stackable(run) -> bool:
    """A built run that may train stacked now: a cohort job with a key, running, at full speed."""
    job = run.job
    return (
        getattr(job, "key", None) is not None
        and hasattr(job, "cohort")
        and not run.paused
        and not run.max_steps_per_second
        and not job.done
    )


@dataclass
class _HostedRun:
    run_id: int
    spec: JobSpec
    paused: bool = False
    pending_steps: int = 0
    max_steps_per_second: float | None = None
    keep_change: tuple | None = None
    job: Any = None
    next_due: float = 0.0
    weights_wanted: bool = False
    weights_sent_at: float = -math.inf
    weights_period: float = WEIGHTS_PERIOD
    evaluated: bool = False
    states: dict = field(default_factory=dict)  # per sweep member, a mirror of the log's thinning (steps)
    held_states: dict = field(default_factory=dict)  # per member, the newest state snapshot not sent yet
    states_sent_at: float = -math.inf
    # A plain run's full snapshots, thinned as the server's log thins them (its mirror of that thinning):
    # its stream carries them slim (weights only; the probe activations were ~70 MB per default run) and
    # this goes at pause and end.
    full_states: ThinnedHistory = field(default_factory=lambda: ThinnedHistory(STATE_HISTORY))
    whole_sent: set = field(default_factory=set)  # steps of full_states already sent whole

    def runnable(self, now: float) -> bool:
        return (not self.paused or self.pending_steps > 0) and now >= self.next_due


class RunHost:
    """The runs of one host and the round-robin that trains them; no I/O (a process or an actor wraps it).

    ``handle`` applies a command; ``work`` trains one run for a slice and returns the
    messages for the server: ``("events", run_id, events, weights_or_None)`` and
    ``("gone", run_id)`` once a run has ended and left the host.
    """

    def __init__(self, slice_seconds: float = SLICE_SECONDS):
        self.slice_seconds = slice_seconds
        self.runs: "collections.OrderedDict[int, _HostedRun]" = collections.OrderedDict()
        self.cohorts: dict[tuple, Any] = {}  # cohort key -> dropviz.cohort.Cohort
        self.outbox: list[tuple] = []
        # A first evaluation is in the outbox: the wrapper sends it now, not with the next batch.
        self.urgent = False
        self.added_at = -math.inf

    # commands
    def handle(self, command: tuple) -> None:
        name, run_id, *args = command
        if name == "add":
            spec, paused, pending, speed, keep_change = args
            run = _HostedRun(
                run_id, spec, paused=paused, pending_steps=pending, max_steps_per_second=speed, keep_change=keep_change
            )
            self.runs[run_id] = run
            self.runs.move_to_end(run_id, last=False)  # a new run trains first: its first point comes at once
            self.added_at = time.perf_counter()
            return
        run = self.runs.get(run_id)
        if run is None:
            return
        if name == "pause":
            run.paused = True
            run.weights_wanted = True
            events = self._flush_states(run, [], force=True)
            if events:
                self._send(run, events)
        elif name == "resume":
            run.paused, run.pending_steps = False, 0
        elif name == "step":
            run.paused = True
            run.pending_steps += args[0]
        elif name == "speed":
            run.max_steps_per_second = args[0]
            run.next_due = 0.0
        elif name == "keep_p":
            run.keep_change = args[0]
        elif name == "weights":
            run.weights_wanted = True
        elif name == "stop":
            self._end(run, stopped=True)

    # training
    def _build(self, run: _HostedRun) -> bool:
        spec = run.spec
        try:
            dataset = spec.dataset if spec.dataset is not None else _shared_dataset(spec.config)
            run.job = _job_factory(spec)(spec.config, dataset, **spec.options)
        except (DatasetError, ValueError) as error:
            self._fail(run, str(error))
            return False
        except Exception as error:  # a bug, not bad input: the detail goes to the host's log
            traceback.print_exc()
            self._fail(run, f"could not start training: {type(error).__name__}: {error}")
            return False
        started = run.job.started_events() if hasattr(run.job, "started_events") else [run.job.started_event()]
        self._send(run, [*started, StateChange(RunState.PAUSED if run.paused else RunState.RUNNING)])
        return True

    def _fail(self, run: _HostedRun, message: str) -> None:
        self._send(run, [StateChange(RunState.ERROR, message)])
        self._drop(run)

    def _drop(self, run: _HostedRun) -> None:
        self.runs.pop(run.run_id, None)
        cohort = getattr(run.job, "cohort", None)
        if cohort is not None:
            cohort.release(run.job)
        self.outbox.append(("gone", run.run_id))

    def _end(self, run: _HostedRun, stopped: bool) -> None:
        events = self._flush_states(run, [], force=True)
        events += [run.job.stop()] if stopped and run.job is not None and not run.job.done else []
        if stopped and run.job is None:
            events = [StateChange(RunState.STOPPED, "stopped before training began")]
        self._send(run, events, weights=job_weights(run.job) if run.job is not None else None)
        self._drop(run)

    def _send(self, run: _HostedRun, events: list, weights: dict | None = None) -> None:
        self.outbox.append(("events", run.run_id, events, weights))

    def _compact(self, run: _HostedRun, events: list) -> list:
        """The slice's events as the server's bounded logs will keep them: every step and evaluation,
        the newest masks only, and the state snapshots a thinned history keeps (plus the newest);
        per member for a sweep's MemberEvents."""
        from ..train import MaskSnapshot, StateSnapshot

        def unwrap(event):
            inner = getattr(event, "event", None)  # a sweep's MemberEvent(keep_p, event)
            return (event.keep_p, inner) if inner is not None and hasattr(event, "keep_p") else (None, event)

        masks: dict = collections.defaultdict(list)
        for index, event in enumerate(events):
            key, inner = unwrap(event)
            if isinstance(inner, MaskSnapshot):
                masks[key].append(index)
        drop = {index for indices in masks.values() for index in indices[:-MASK_HISTORY]}
        kept = []
        for index, event in enumerate(events):
            if index in drop:
                continue
            key, inner = unwrap(event)
            if isinstance(inner, StateSnapshot):
                if key is None:
                    history, item = run.full_states, inner
                else:
                    history, item = run.states.setdefault(key, ThinnedHistory(STATE_HISTORY)), inner.step
                keep = history.will_keep_next()
                history.append(item)
                if key is None:
                    event = inner = _slim(inner)
                if keep:
                    run.held_states.pop(key, None)
                else:  # counted now; the newest one travels at most every STATE_PERIOD (see _flush_states)
                    run.held_states[key] = event
                    event = StateSkipped(inner.step) if key is None else type(event)(key, StateSkipped(inner.step))
            kept.append(event)
        return kept

    def _flush_states(self, run: _HostedRun, events: list, force: bool = False) -> list:
        """``events`` plus the newest held-back state snapshots, if due (or ``force``: pause, end)."""
        now = time.perf_counter()
        if run.held_states and (force or now - run.states_sent_at >= STATE_PERIOD):
            for key, event in run.held_states.items():
                inner = event if key is None else event.event
                newest = NewestState(inner)
                events.append(newest if key is None else type(event)(key, newest))
            run.held_states.clear()
            run.states_sent_at = now
        if force:
            # Only the kept snapshots not sent whole before: a Step or a second pause sends one or two,
            # not the whole history again.
            full = run.full_states.items()
            fresh = tuple(state for state in full if state.step not in run.whole_sent)
            if fresh:
                run.whole_sent = {state.step for state in full}
                events.append(StateHistory(fresh))
        return events

    def next_wake(self, now: float) -> float | None:
        """Seconds until some run can train (0: one can now; None: none will until a command comes)."""
        waits = [max(0.0, run.next_due - now) for run in self.runs.values() if not run.paused or run.pending_steps]
        return min(waits) if waits else None

    def work(self) -> None:
        """Train the first runnable run for one slice (with the runs it stacks with), then move it to the
        back of the rotation."""
        now = time.perf_counter()
        run = next((run for run in self.runs.values() if run.runnable(now)), None)
        if run is None:
            for idle in [r for r in self.runs.values() if r.weights_wanted and r.job is not None]:
                self._send_weights(idle, time.perf_counter(), [])
            return
        self.runs.move_to_end(run.run_id)
        if run.job is None and not self._build(run):
            return
        if _stackable(run):
            members = self._cohort_members(run, now)
            if len(members) >= 2:
                self._cohort_slice(members)
                return
        job = run.job
        self._apply_keep_change(run)
        events: list = []
        deadline = time.perf_counter() + self.slice_seconds
        single = False
        while True:
            single = run.paused
            try:
                stepped = job.step()
            except Exception as error:  # noqa: BLE001 - reported on the run, the host goes on
                traceback.print_exc()
                self._send(run, self._compact(run, events))
                self._fail(run, f"training failed at step {job.step_count}: {type(error).__name__}: {error}")
                return
            events.extend(stepped)
            if single:
                run.pending_steps -= 1
            if job.done or (not run.evaluated and has_evaluation(stepped)):
                break
            if run.max_steps_per_second:
                run.next_due = time.perf_counter() + 1.0 / run.max_steps_per_second
                break
            if (single and run.pending_steps <= 0) or time.perf_counter() >= deadline:
                break
        self._after_slice(run, events, single)

    def _apply_keep_change(self, run: _HostedRun) -> None:
        if run.keep_change is not None:
            keep_p, keep_p_input = run.keep_change
            run.keep_change = None
            if hasattr(run.job, "set_keep_p"):
                run.job.set_keep_p(keep_p=keep_p, keep_p_input=keep_p_input)

    def _after_slice(self, run: _HostedRun, events: list, single: bool) -> None:
        """Send a run's slice of events (compacted), with its weights when due; drop it if it ended."""
        job = run.job
        if job.done:
            self._send(run, self._flush_states(run, self._compact(run, events), force=True), weights=job_weights(job))
            self._drop(run)
            return
        first = not run.evaluated and has_evaluation(events)
        run.evaluated = run.evaluated or first
        self.urgent = self.urgent or first
        now = time.perf_counter()
        wants = run.weights_wanted and now - run.weights_sent_at >= run.weights_period
        stepped = single and run.pending_steps <= 0
        events = self._flush_states(run, self._compact(run, events), force=stepped)
        if first or wants or stepped:
            self._send_weights(run, now, events)
        else:
            self._send(run, events)

    # cohorts: compatible running runs of this host step together as one stacked net
    def _cohort_members(self, run: _HostedRun, now: float) -> list[_HostedRun]:
        """The running runs that stack with ``run`` (runs placed but not built yet are built now, so a run
        pressed a moment after the others joins them at once)."""
        for waiting in [r for r in self.runs.values() if r.job is None and not r.paused and r.runnable(now)]:
            self._build(waiting)
        key = run.job.key
        return [r for r in self.runs.values() if _stackable(r) and r.job.key == key and not r.job.done]

    def _cohort_slice(self, members: list[_HostedRun]) -> None:
        from ..cohort import Cohort

        key = members[0].job.key
        cohort = self.cohorts.get(key)
        if cohort is None:
            cohort = self.cohorts[key] = Cohort(key)
        for run in members:
            self._apply_keep_change(run)
        events: dict[int, list] = {run.run_id: [] for run in members}
        by_job = {id(run.job): run for run in members}
        # A cohort slice stands for many runs' slices, bounded so that events still flow several times a second;
        # while a class is pressing Train, a slice is one run's, so that each new run joins (and plots) at once.
        start = time.perf_counter()
        arriving = start - self.added_at < ARRIVAL_SECONDS
        deadline = start + (
            self.slice_seconds if arriving else min(COHORT_SLICE_SECONDS, self.slice_seconds * len(members))
        )
        try:
            while True:
                stepped = cohort.step([run.job for run in members if not run.job.done])
                first = False  # a run's first point: it goes out now
                for job, batch in stepped.items():
                    run = by_job[id(job)]
                    events[run.run_id].extend(batch)
                    first = first or (not run.evaluated and has_evaluation(batch))
                if first or all(run.job.done for run in members) or time.perf_counter() >= deadline:
                    break
        except Exception as error:  # noqa: BLE001 - reported on its runs, the host goes on
            traceback.print_exc()
            for run in members:
                self._send(run, self._compact(run, events[run.run_id]))
                self._fail(run, f"training failed at step {run.job.step_count}: {type(error).__name__}: {error}")
            return
        for run in members:
            self.runs.move_to_end(run.run_id)
            self._after_slice(run, events[run.run_id], single=False)

    def _send_weights(self, run: _HostedRun, now: float, events: list) -> None:
        run.weights_wanted = False
        run.weights_sent_at = now
        weights = job_weights(run.job)
        # Big nets' weights travel less often: at most WEIGHTS_BYTES_PER_SECOND per run.
        run.weights_period = max(WEIGHTS_PERIOD, _nbytes(weights) / WEIGHTS_BYTES_PER_SECOND)
        self._send(run, events, weights=weights)

    def take_outbox(self) -> list[tuple]:
        out, self.outbox = self.outbox, []
        self.urgent = False
        return out


def has_evaluation(events: list) -> bool:
    return any(isinstance(event, Evaluation) for event in events)
