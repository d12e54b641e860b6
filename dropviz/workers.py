"""Training out of the web server: a pool of worker processes (or Ray actors) that host many runs each.

The web server's interpreter only serves pages. Each *host* (a worker process,
or a Ray actor on a cluster) trains the runs placed on it round-robin, one time
slice per run, so every resident run advances and gets its first point soon
after its Train press; the number of hosts is the number of runs trained at the
same instant. Beyond ``resident_capacity`` runs a run is queued (its position is
public) and starts by itself when a resident run ends.

A :class:`PoolRunner` has :class:`~dropviz.runner.BackgroundRunner`'s public
API: a reader thread in the server publishes each host's event batches into the
run's bounded :class:`~dropviz.runner.MetricLog`, and ``copy_models`` rebuilds
the nets from the state dicts the host sends (bounded: at a pause, a single step,
the end, the first evaluation, and on request at most every ``WEIGHTS_PERIOD``).

A host exits when the server goes: its command pipe reaches end-of-file (the
server's end closes with its process, even on SIGKILL), and it also checks
that its parent process is still the one that started it. A host that dies
(SIGKILL, out of memory) fails its runs with a message and frees their slots.
"""

from __future__ import annotations

import collections
import itertools
import logging
import math
import multiprocessing
import os
import pickle
import threading
import time
import traceback
import weakref
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as wait_for_connections
from typing import Any

from .config import RunConfig
from .data import Dataset, DatasetError
from .runner import ENDED_STATES, MetricLog, NewestState, StateChange, StateSkipped, ThinnedHistory

_LOG = logging.getLogger(__name__)

BACKENDS = ("process", "thread", "ray")
# A host trains one run for this long before moving to the next: short enough that 16 runs on
# one core each advance several times a second, long enough that switching costs nothing.
SLICE_SECONDS = 0.02
# At most this often a training run's weights travel to the server for the views that predict.
WEIGHTS_PERIOD = 0.5
WEIGHTS_BYTES_PER_SECOND = 20e6
DEFAULT_RUNS_PER_HOST = 16
MASK_HISTORY = 24  # MetricLog's default: the host sends at most this many masks per batch
# The newest state snapshot (probe activations: ~0.5 MB for the default demo) travels at most this
# often while training; every one the log's thinned history keeps travels as it comes.
STATE_PERIOD = 1.0
STATE_HISTORY = 40


def cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


# --- messages between the server and a host ---------------------------------------------------


@dataclass
class JobSpec:
    """What a host builds: ``factory(config, dataset, **options)`` following the trainer protocol
    (``dropviz.train.Trainer``, ``dropviz.keep_sweep.KeepSweep``)."""

    factory: Any
    config: RunConfig
    dataset: Dataset | None = None
    options: dict = field(default_factory=dict)


def job_weights(job) -> dict | None:
    """The job's current weights as plain numpy state dicts (numpy, not tensors: plain pickling copies
    the values, where torch's multiprocessing reductions would share memory across processes)."""
    if hasattr(job, "export_weights"):
        return job.export_weights()
    models = getattr(job, "models", None)
    if not isinstance(models, dict):
        return None
    return {
        run: {name: tensor.detach().cpu().numpy().copy() for name, tensor in model.state_dict().items()}
        for run, model in models.items()
    }


def _nbytes(tree) -> int:
    if isinstance(tree, dict):
        return sum(_nbytes(value) for value in tree.values())
    if isinstance(tree, (list, tuple)):
        return sum(_nbytes(value) for value in tree)
    return int(getattr(tree, "nbytes", 0))


class SweepJob:
    """A :class:`~dropviz.keep_sweep.KeepSweep` as a pool job: every member's Started first, and its
    stacked weights (all members at once) as the weights it sends."""

    def __init__(self, config: RunConfig, dataset: Dataset | None = None, *, keep_grid, **options):
        from .keep_sweep import KeepSweep

        self.sweep = KeepSweep(config, keep_grid, dataset, **options)

    def __getattr__(self, name):  # the trainer protocol: step, done, status, message, stop, step_count...
        return getattr(self.sweep, name)

    def started_events(self) -> list:
        from .keep_sweep import MemberEvent

        sweep = self.sweep
        return [sweep.started_event()] + [MemberEvent(keep, sweep.started_event(keep)) for keep in sweep.keep_grid]

    def export_weights(self) -> dict:
        sweep = self.sweep
        return {
            "weights": [w.detach().cpu().numpy().copy() for w in sweep.weights],
            "biases": [b.detach().cpu().numpy().copy() for b in sweep.biases],
            "twin_index": sweep.twin_index,
        }


# --- the host side: many runs, round-robin ------------------------------------------------------


_DATASETS: "collections.OrderedDict[tuple, Dataset]" = collections.OrderedDict()


def _shared_dataset(config: RunConfig) -> Dataset:
    """One copy per host of each built-in data set (30 students on MNIST hold it once)."""
    from .data import load_dataset

    key = (config.dataset, config.train_size, config.noise, config.seed, config.data_dir)
    if key not in _DATASETS:
        _DATASETS[key] = load_dataset(
            config.dataset, train_size=config.train_size, noise=config.noise, seed=config.seed, data_dir=config.data_dir
        )
        while len(_DATASETS) > 4:
            _DATASETS.popitem(last=False)
    _DATASETS.move_to_end(key)
    return _DATASETS[key]


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
    states: dict = field(default_factory=dict)  # per member (None: a plain run) a mirror of the log's thinning
    held_states: dict = field(default_factory=dict)  # per member, the newest state snapshot not sent yet
    states_sent_at: float = -math.inf

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
        self.outbox: list[tuple] = []

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
            return
        run = self.runs.get(run_id)
        if run is None:
            return
        if name == "pause":
            run.paused = True
            run.weights_wanted = True
            if run.held_states:
                self._send(run, self._flush_states(run, [], force=True))
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
            run.job = spec.factory(spec.config, dataset, **spec.options)
        except (DatasetError, ValueError) as error:
            self._fail(run, str(error))
            return False
        except Exception as error:  # a bug, not bad input: the detail goes to the host's log
            traceback.print_exc()
            self._fail(run, f"could not start training: {type(error).__name__}: {error}")
            return False
        started = run.job.started_events() if hasattr(run.job, "started_events") else [run.job.started_event()]
        self._send(run, [*started, StateChange("paused" if run.paused else "running")])
        return True

    def _fail(self, run: _HostedRun, message: str) -> None:
        self._send(run, [StateChange("error", message)])
        self._drop(run)

    def _drop(self, run: _HostedRun) -> None:
        self.runs.pop(run.run_id, None)
        self.outbox.append(("gone", run.run_id))

    def _end(self, run: _HostedRun, stopped: bool) -> None:
        events = self._flush_states(run, [], force=True)
        events += [run.job.stop()] if stopped and run.job is not None and not run.job.done else []
        if stopped and run.job is None:
            events = [StateChange("stopped", "stopped before training began")]
        self._send(run, events, weights=job_weights(run.job) if run.job is not None else None)
        self._drop(run)

    def _send(self, run: _HostedRun, events: list, weights: dict | None = None) -> None:
        self.outbox.append(("events", run.run_id, events, weights))

    def _compact(self, run: _HostedRun, events: list) -> list:
        """The slice's events as the server's bounded logs will keep them: every step and evaluation,
        the newest masks only, and the state snapshots a thinned history keeps (plus the newest);
        per member for a sweep's MemberEvents."""
        from .train import MaskSnapshot, StateSnapshot

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
                history = run.states.setdefault(key, ThinnedHistory(STATE_HISTORY))
                keep = history.will_keep_next()
                history.append(inner.step)
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
        return events

    def next_wake(self, now: float) -> float | None:
        """Seconds until some run can train (0: one can now; None: none will until a command comes)."""
        waits = [max(0.0, run.next_due - now) for run in self.runs.values() if not run.paused or run.pending_steps]
        return min(waits) if waits else None

    def work(self) -> None:
        """Train the first runnable run for one slice, then move it to the back of the rotation."""
        from .train import Evaluation

        now = time.perf_counter()
        run = next((run for run in self.runs.values() if run.runnable(now)), None)
        if run is None:
            for idle in [r for r in self.runs.values() if r.weights_wanted and r.job is not None]:
                self._send_weights(idle, time.perf_counter(), [])
            return
        self.runs.move_to_end(run.run_id)
        if run.job is None and not self._build(run):
            return
        job = run.job
        if run.keep_change is not None:
            keep_p, keep_p_input = run.keep_change
            run.keep_change = None
            if hasattr(job, "set_keep_p"):
                job.set_keep_p(keep_p=keep_p, keep_p_input=keep_p_input)
        events: list = []
        deadline = time.perf_counter() + self.slice_seconds
        single = False
        while True:
            single = run.paused
            try:
                events.extend(job.step())
            except Exception as error:  # noqa: BLE001 - reported on the run, the host goes on
                traceback.print_exc()
                self._send(run, self._compact(run, events))
                self._fail(run, f"training failed at step {job.step_count}: {type(error).__name__}: {error}")
                return
            if single:
                run.pending_steps -= 1
            if job.done:
                break
            if run.max_steps_per_second:
                run.next_due = time.perf_counter() + 1.0 / run.max_steps_per_second
                break
            if (single and run.pending_steps <= 0) or time.perf_counter() >= deadline:
                break
        if job.done:
            self._send(run, self._flush_states(run, self._compact(run, events), force=True), weights=job_weights(job))
            self._drop(run)
            return
        first = not run.evaluated and any(isinstance(event, Evaluation) for event in events)
        run.evaluated = run.evaluated or first
        now = time.perf_counter()
        wants = run.weights_wanted and now - run.weights_sent_at >= run.weights_period
        stepped = single and run.pending_steps <= 0
        events = self._flush_states(run, self._compact(run, events), force=stepped)
        if first or wants or stepped:
            self._send_weights(run, now, events)
        else:
            self._send(run, events)

    def _send_weights(self, run: _HostedRun, now: float, events: list) -> None:
        run.weights_wanted = False
        run.weights_sent_at = now
        weights = job_weights(run.job)
        # Big nets' weights travel less often: at most WEIGHTS_BYTES_PER_SECOND per run.
        run.weights_period = max(WEIGHTS_PERIOD, _nbytes(weights) / WEIGHTS_BYTES_PER_SECOND)
        self._send(run, events, weights=weights)

    def take_outbox(self) -> list[tuple]:
        out, self.outbox = self.outbox, []
        return out


def _parent_alive(parent_pid: int) -> bool:
    return os.getppid() == parent_pid


def host_process_main(commands: Connection, events: Connection, threads: int, nice: int, server_pid: int) -> None:
    """A worker process: apply commands, train, send events; exit when the server's end of the pipe closes."""
    import torch

    torch.set_num_threads(threads)
    if nice:
        try:
            os.nice(nice)
        except OSError:
            pass
    parent = os.getppid()
    host = RunHost()
    last_check = time.monotonic()
    try:
        while True:
            wake = host.next_wake(time.perf_counter())
            timeout = 0.0 if wake == 0.0 else min(0.5, wake if wake is not None else 0.5)
            if commands.poll(timeout):
                while True:
                    host.handle(pickle.loads(commands.recv_bytes()))  # EOFError: the server is gone
                    if not commands.poll(0):
                        break
            host.work()
            for message in host.take_outbox():
                events.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
            if time.monotonic() - last_check > 1.0:
                last_check = time.monotonic()
                # A forkserver child's parent is the fork server, which exits with the web server.
                if not _parent_alive(parent) or not _pid_alive(server_pid):
                    return
    except (EOFError, BrokenPipeError, ConnectionResetError, KeyboardInterrupt):
        return


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _process_context():
    """``forkserver`` with torch and dropviz preloaded (a worker starts in milliseconds; not a fork of
    the multi-threaded web server), ``spawn`` where there is no forkserver."""
    if "forkserver" not in multiprocessing.get_all_start_methods():  # pragma: no cover - not POSIX
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["dropviz.workers", "dropviz.host_warmup"])
    return context


# --- the server side ------------------------------------------------------------------------------


class HostDied(Exception):
    pass


class _ProcessHost:
    """A worker process and its two pipes, seen from the server."""

    def __init__(self, index: int, threads: int, nice: int):
        context = _process_context()
        command_read, self.command_write = context.Pipe(duplex=False)
        self.event_read, event_write = context.Pipe(duplex=False)
        self.process = context.Process(
            target=host_process_main,
            name=f"dropviz-host-{index}",
            daemon=True,
            args=(command_read, event_write, threads, nice, os.getpid()),
        )
        self.process.start()
        # Only the worker holds these ends now: its command pipe ends when this process does.
        command_read.close()
        event_write.close()
        self._send_lock = threading.Lock()
        self.dead = False

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def send(self, command: tuple) -> None:
        data = pickle.dumps(command, protocol=pickle.HIGHEST_PROTOCOL)
        with self._send_lock:
            try:
                self.command_write.send_bytes(data)
            except (OSError, ValueError):  # died; the reader reports it
                pass

    def waitables(self) -> list:
        return [] if self.dead else [self.event_read, self.process.sentinel]

    def receive(self, ready) -> list[tuple]:
        """Messages from whatever in ``ready`` is this host's; raises HostDied with why when it is gone."""
        messages = []
        if self.event_read in ready:
            try:
                while self.event_read.poll():
                    messages.append(pickle.loads(self.event_read.recv_bytes()))
            except (EOFError, OSError):
                pass
            else:
                return messages
        if self.process.sentinel in ready or not self.process.is_alive():
            self.process.join(1)
            code = self.process.exitcode
            why = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            raise HostDied(
                f"the training worker process (pid {self.process.pid}) stopped unexpectedly ({why})"
                " — press Train to start again",
                messages,
            )
        return messages

    def close(self) -> None:
        self.dead = True
        try:
            self.command_write.close()
        except OSError:
            pass
        self.process.join(2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(2)
        self.event_read.close()


class _Record:
    """A run as the pool sees it; the pool holds it, the runner holds the pool's id for it."""

    def __init__(self, run_id: int, spec: JobSpec, log: MetricLog):
        self.run_id = run_id
        self.spec = spec
        self.log = log
        self.host: int | None = None
        self.queued = False
        self.ended = False
        self.paused = False
        self.pending_steps = 0
        self.speed: float | None = None
        self.keep_change: tuple | None = None
        self.weights: dict | None = None
        self.weights_version = 0
        self.closed = False


class TrainerPool:
    """``hosts`` hosts (processes, or Ray actors), at most ``resident_capacity`` runs on them, a FIFO beyond."""

    def __init__(
        self,
        hosts: int | None = None,
        *,
        resident_capacity: int | None = None,
        threads: int = 1,
        nice: int = 0,
        backend: str = "process",
        ray_address: str | None = None,
    ):
        if backend not in ("process", "ray"):
            raise ValueError(f"unknown pool backend {backend!r}: process or ray")
        self.backend = backend
        self.size = hosts or cpu_count()
        self.resident_capacity = resident_capacity or self.size * DEFAULT_RUNS_PER_HOST
        self.threads = threads
        self.nice = nice
        self.ray_address = ray_address
        self._lock = threading.RLock()
        self._hosts: list = [None] * self.size
        self._records: dict[int, _Record] = {}
        self._queue: collections.deque[int] = collections.deque()
        self._ids = itertools.count(1)
        self._closed = False
        self._wake_r, self._wake_w = os.pipe() if backend == "process" else (None, None)
        self._reader: threading.Thread | None = None
        self._ray = None
        self._ray_started_here = False

    # hosts
    def _host(self, index: int):
        host = self._hosts[index]
        if host is None or host.dead:
            if self.backend == "process":
                host = _ProcessHost(index, self.threads, self.nice)
            else:
                host = self._ray_host(index)
            self._hosts[index] = host
            self._poke()
        return host

    def _ray_host(self, index: int):
        from .ray_hosts import RayHost

        if self._ray is None:
            from .ray_hosts import connect

            self._ray, self._ray_started_here = connect(self.ray_address, self.size)
        return RayHost(index, self.threads)

    def start_hosts(self) -> None:
        """Start every host now (the server's warm-up), so the first Train press does not wait for one."""
        with self._lock:
            for index in range(self.size):
                self._host(index)
            self._ensure_reader()

    def hosts(self) -> list:
        """The live hosts (worker-process handles, or Ray actor handles with ``.actor``)."""
        with self._lock:
            return [host for host in self._hosts if host is not None and not host.dead]

    def host_pids(self) -> list[int]:
        with self._lock:
            return [host.pid for host in self._hosts if host is not None and not host.dead and host.pid]

    def _ensure_reader(self) -> None:
        if self._reader is None or not self._reader.is_alive():
            target = self._read_processes if self.backend == "process" else self._read_ray
            self._reader = threading.Thread(target=target, name="dropviz-pool-reader", daemon=True)
            self._reader.start()

    def _poke(self) -> None:
        if self._wake_w is not None:
            try:
                os.write(self._wake_w, b"x")
            except OSError:
                pass

    # runs
    def submit(self, spec: JobSpec, log: MetricLog, *, paused: bool, pending_steps: int, speed: float | None) -> int:
        with self._lock:
            if self._closed:
                raise RuntimeError("the trainer pool is shut down")
            record = _Record(next(self._ids), spec, log)
            record.paused, record.pending_steps, record.speed = paused, pending_steps, speed
            self._records[record.run_id] = record
            if self._resident() < self.resident_capacity and not self._queue:
                self._place(record)
            else:
                record.queued = True
                self._queue.append(record.run_id)
                log.set_state("queued")
            self._ensure_reader()
            return record.run_id

    def _resident(self) -> int:
        return sum(1 for record in self._records.values() if record.host is not None and not record.ended)

    def _load(self) -> list[int]:
        load = [0] * self.size
        for record in self._records.values():
            if record.host is not None and not record.ended:
                load[record.host] += 1
        return load

    def _place(self, record: _Record) -> None:
        load = self._load()
        index = min(range(self.size), key=lambda i: (load[i], i))
        record.host, record.queued = index, False
        record.log.set_state("starting")
        try:
            host = self._host(index)
        except Exception as error:  # noqa: BLE001 - e.g. Ray unreachable: said on the run, not a traceback
            _LOG.exception("could not start a %s trainer", self.backend)
            record.ended = True
            record.log.set_state(
                "error", f"could not start a trainer ({self.backend} backend): {type(error).__name__}: {error}"
            )
            return
        host.send(
            ("add", record.run_id, record.spec, record.paused, record.pending_steps, record.speed, record.keep_change)
        )

    def _fill(self) -> None:
        while self._queue and self._resident() < self.resident_capacity:
            record = self._records.get(self._queue.popleft())
            if record is not None and not record.ended:
                self._place(record)

    def queue_position(self, run_id: int) -> int | None:
        """1 for the next run to start, None when not queued."""
        with self._lock:
            try:
                return self._queue.index(run_id) + 1
            except ValueError:
                return None

    def stats(self) -> dict:
        with self._lock:
            return {
                "hosts": self.size,
                "resident": self._resident(),
                "queued": len(self._queue),
                "resident_capacity": self.resident_capacity,
            }

    def command(self, run_id: int, name: str, *args) -> None:
        with self._lock:
            record = self._records.get(run_id)
            if record is None or record.ended:
                return
            if name == "pause":
                record.paused = True
            elif name == "resume":
                record.paused, record.pending_steps = False, 0
            elif name == "step":
                record.paused, record.pending_steps = True, record.pending_steps + args[0]
            elif name == "speed":
                record.speed = args[0]
            elif name == "keep_p":
                record.keep_change = args[0]
            if record.host is not None:
                self._host(record.host).send((name, run_id, *args))

    def stop(self, run_id: int) -> None:
        with self._lock:
            record = self._records.get(run_id)
            if record is None or record.ended:
                return
            if record.host is None:  # still queued: it never trained
                if run_id in self._queue:
                    self._queue.remove(run_id)
                record.ended = True
                record.log.set_state("stopped", "stopped while waiting for a free trainer")
                self._records.pop(run_id, None)
                return
            self._host(record.host).send(("stop", run_id))

    def release(self, run_id: int) -> None:
        """The run's owner is gone (tab closed, runner dropped): stop it and forget it."""
        self.stop(run_id)
        with self._lock:
            record = self._records.get(run_id)
            if record is not None:
                record.closed = True

    def weights(self, run_id: int) -> tuple[int, dict | None]:
        with self._lock:
            record = self._records.get(run_id)
            return (record.weights_version, record.weights) if record is not None else (0, None)

    def run_record(self, run_id: int) -> _Record | None:
        with self._lock:
            return self._records.get(run_id)

    # what comes back
    def _deliver(self, message: tuple) -> None:
        kind, run_id, *rest = message
        with self._lock:
            record = self._records.get(run_id)
        if record is None:
            return
        if kind == "events":
            events, weights = rest
            if weights is not None:
                with self._lock:
                    record.weights = weights
                    record.weights_version += 1
            record.log.publish_many(events)
        elif kind == "gone":
            with self._lock:
                record.ended = True
                if record.log.state not in ENDED_STATES:
                    record.log.set_state("stopped", record.log.message or "stopped")
                if record.closed:
                    self._records.pop(run_id, None)
                self._fill()

    def _host_died(self, index: int, error: HostDied) -> None:
        message, pending = error.args
        for item in pending:
            self._deliver(item)
        with self._lock:
            host = self._hosts[index]
            if host is not None:
                host.dead = True
            for record in list(self._records.values()):
                if record.host == index and not record.ended:
                    record.ended = True
                    record.log.set_state("error", message)
                    if record.closed:
                        self._records.pop(record.run_id, None)
            _LOG.warning("%s", message)
            self._fill()

    def _read_processes(self) -> None:
        while not self._closed:
            with self._lock:
                hosts = [(index, host) for index, host in enumerate(self._hosts) if host is not None and not host.dead]
            waitables = [self._wake_r] + [item for _, host in hosts for item in host.waitables()]
            try:
                ready = wait_for_connections(waitables, timeout=1.0)
                if self._wake_r in ready:
                    os.read(self._wake_r, 4096)
            except OSError:
                if self._closed:  # shutdown closed the wake pipe under this wait: nothing left to read
                    return
                raise
            for index, host in hosts:
                try:
                    messages = host.receive(ready)
                except HostDied as error:
                    self._host_died(index, error)
                    continue
                for message in messages:
                    try:
                        self._deliver(message)
                    except Exception:  # noqa: BLE001 - one bad message must not stop every run's stream
                        _LOG.exception("could not publish a trainer message")

    def _read_ray(self) -> None:
        from .ray_hosts import read_loop

        read_loop(self)

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            hosts, self._hosts = self._hosts, [None] * self.size
            for record in self._records.values():
                if not record.ended:
                    record.ended = True
                    if record.log.state not in ENDED_STATES:
                        record.log.set_state("stopped", "the server's trainers were shut down")
            self._records.clear()
            self._queue.clear()
        self._poke()
        for host in hosts:
            if host is not None:
                host.close()
        if self._ray_started_here:
            self._ray.shutdown()
        if self._wake_w is not None:
            for fd in (self._wake_r, self._wake_w):
                try:
                    os.close(fd)
                except OSError:
                    pass


# --- the runner the pages hold ----------------------------------------------------------------------


class PoolRunner:
    """One run on a :class:`TrainerPool`, with :class:`~dropviz.runner.BackgroundRunner`'s public API.

    ``state`` may also be ``queued`` (see :attr:`queue_position`). Dropping or closing the runner
    stops its run on the host and frees its slot.
    """

    def __init__(
        self,
        config: RunConfig,
        dataset: Dataset | None = None,
        *,
        pool: TrainerPool,
        job=None,
        log: MetricLog | None = None,
        **trainer_options,
    ):
        from .train import Trainer

        self.config = config
        self.dataset = dataset
        self.pool = pool
        self.log = log or MetricLog()
        self.trainer_options = trainer_options
        self._spec = JobSpec(job or Trainer, config, dataset, trainer_options)
        self._run_id: int | None = None
        self._speed: float | None = None
        self._keep = (config.keep_p, config.keep_p_input)
        self._models_cache: tuple[int, dict] | None = None
        self._dataset_cache = None
        self._finalizer = None

    def _submit(self, paused: bool, pending: int) -> None:
        self._run_id = self.pool.submit(self._spec, self.log, paused=paused, pending_steps=pending, speed=self._speed)
        self._finalizer = weakref.finalize(self, self.pool.release, self._run_id)

    @property
    def state(self) -> str:
        return self.log.state

    @property
    def alive(self) -> bool:
        if self._run_id is None:
            return False
        record = self.pool.run_record(self._run_id)
        return record is not None and not record.ended and self.log.state not in ENDED_STATES

    @property
    def queue_position(self) -> int | None:
        return None if self._run_id is None else self.pool.queue_position(self._run_id)

    def start(self) -> None:
        if self._run_id is None:
            self._submit(paused=False, pending=0)
        else:
            self.resume()

    def pause(self) -> None:
        if self.alive:
            self.pool.command(self._run_id, "pause")
            if self.state != "queued":
                self.log.set_state("paused")

    def resume(self) -> None:
        if not self.alive:
            return
        self.pool.command(self._run_id, "resume")
        if self.state != "queued":
            self.log.set_state("running")

    def step(self, count: int = 1) -> None:
        count = max(0, int(count))
        if self._run_id is None:
            self._submit(paused=True, pending=count)
            return
        if self.alive:
            self.pool.command(self._run_id, "step", count)
            if self.state != "queued":
                self.log.set_state("paused")

    def set_speed(self, max_steps_per_second: float | None) -> None:
        speed = max_steps_per_second if max_steps_per_second and max_steps_per_second > 0 else None
        if speed == self._speed:
            return
        self._speed = speed
        if self._run_id is not None:
            self.pool.command(self._run_id, "speed", speed)

    @property
    def max_steps_per_second(self) -> float | None:
        """The rate limit set by :meth:`set_speed` (None: full speed)."""
        return self._speed

    def set_keep_p(self, keep_p: float | None = None, keep_p_input: float | None = None) -> None:
        """Change the keep probabilities from the next mini-batch (the run goes on)."""
        self._keep = (
            keep_p if keep_p is not None else self._keep[0],
            keep_p_input if keep_p_input is not None else self._keep[1],
        )
        if self._run_id is not None:
            self.pool.command(self._run_id, "keep_p", (keep_p, keep_p_input))

    def stop(self, timeout: float = 1.0) -> None:
        if self._run_id is None or not self.alive:
            return
        self.pool.stop(self._run_id)
        self.log.wait_until(lambda log: log.state in ENDED_STATES, timeout)

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()  # release: stop on the host, forget the record

    def snapshot(self):
        return self.log.snapshot()

    def copy_models(self) -> dict:
        """Eval-mode nets rebuilt from the newest weights the host sent (empty before the first);
        asks the host for fresher ones, which the next call gets."""
        if self._run_id is None:
            return {}
        if self.alive:
            self.pool.command(self._run_id, "weights")
        version, weights = self.pool.weights(self._run_id)
        started = self.log.started if weights is not None else None
        if weights is None or started is None:
            return {}
        if self._models_cache is not None and self._models_cache[0] == version:
            cached = self._models_cache[1]
        else:
            cached = self._rebuild(weights, started)
            self._models_cache = (version, cached)
        return {run: model.inference_copy() for run, model in cached.items()}

    def _rebuild(self, weights: dict, started) -> dict:
        import torch

        from .models import build_model

        config = self.config.changed(keep_p=self._keep[0], keep_p_input=self._keep[1])
        n_inputs, n_outputs = started.layer_sizes[0], started.layer_sizes[-1]
        models = {}
        for run, state in weights.items():
            model = build_model(config, n_inputs, n_outputs, baseline=run == "baseline")
            model.load_state_dict({name: torch.tensor(value) for name, value in state.items()})
            model.set_record_masks(False)
            model.set_generator(None)
            model.eval()
            models[run] = model
        return models

    @property
    def trained_dataset(self) -> Dataset | None:
        """The data set the run trains on, once the host has started it (loaded here for the views)."""
        if getattr(self.log, "started", None) is None and self.log.snapshot().started is None:
            return None
        if self._dataset_cache is None:
            self._dataset_cache = self.dataset if self.dataset is not None else _server_dataset(self.config)
        return self._dataset_cache

    def wait_for_evaluation(self, timeout: float) -> bool:
        self.log.wait_until(lambda log: log.has_evaluation or log.state in ENDED_STATES, timeout)
        return self.log.has_evaluation

    def wait(self, timeout: float | None = None, until: tuple[str, ...] = ENDED_STATES) -> bool:
        return self.log.wait_until(lambda log: log.state in until, timeout)


_SERVER_DATASETS: dict = {}
_SERVER_DATASETS_LOCK = threading.Lock()


def _server_dataset(config: RunConfig) -> Dataset | None:
    from .data import load_dataset

    key = (config.dataset, config.train_size, config.noise, config.seed, config.data_dir)
    with _SERVER_DATASETS_LOCK:
        if key not in _SERVER_DATASETS:
            try:
                _SERVER_DATASETS[key] = load_dataset(
                    config.dataset,
                    train_size=config.train_size,
                    noise=config.noise,
                    seed=config.seed,
                    data_dir=config.data_dir,
                )
            except (DatasetError, ValueError):
                return None
            while len(_SERVER_DATASETS) > 8:
                _SERVER_DATASETS.pop(next(iter(_SERVER_DATASETS)))
        return _SERVER_DATASETS[key]


# --- a keep-probability sweep on the pool -------------------------------------------------------------


class _SweepLogs:
    """The sweep's logs (keep_sweep's own routing: the sweep's log plus one per member) seen by the pool
    as one log: a batch is split per member, so each member's log publishes its part at once."""

    def __init__(self, config: RunConfig, grid: tuple[float, ...]):
        from .keep_sweep import _Logs

        self.logs = _Logs(config, grid)
        self.sweep = self.logs.sweep

    @property
    def state(self) -> str:
        return self.sweep.state

    @property
    def message(self) -> str:
        return self.sweep.message

    @property
    def has_evaluation(self) -> bool:
        return any(log.has_evaluation for log in self.logs.members.values())

    def set_state(self, state: str, message: str = "") -> None:
        self.logs.set_state(state, message)

    def publish_many(self, events) -> None:
        from .keep_sweep import MemberEvent

        per_member: dict = collections.defaultdict(list)
        for event in events:
            if isinstance(event, MemberEvent):
                per_member[event.keep_p].append(event.event)
            elif isinstance(event, StateChange):
                for keep, batch in per_member.items():
                    self.logs.members[keep].publish_many(batch)
                per_member.clear()
                self.logs.set_state(event.state, event.message)
            else:
                for keep, batch in per_member.items():
                    self.logs.members[keep].publish_many(batch)
                per_member.clear()
                self.logs.publish(event)
        for keep, batch in per_member.items():
            self.logs.members[keep].publish_many(batch)

    def snapshot(self):
        return self.sweep.snapshot()

    def wait_until(self, predicate, timeout=None) -> bool:
        return self.sweep.wait_until(predicate, timeout)


class PoolSweepRunner(PoolRunner):
    """A keep-probability sweep trained on the pool, with :class:`~dropviz.keep_sweep.SweepRunner`'s API
    (``keep_grid``, ``logs``, ``member``, ``member_models``, ``response``)."""

    def __init__(
        self, config: RunConfig, keep_grid=None, dataset: Dataset | None = None, *, pool: TrainerPool, **options
    ):
        from .keep_sweep import DEFAULT_KEEP_GRID, check_keep_grid

        self.keep_grid = check_keep_grid(keep_grid if keep_grid is not None else DEFAULT_KEEP_GRID)
        sweep_logs = _SweepLogs(config, self.keep_grid)
        self.logs = sweep_logs.logs
        super().__init__(config, dataset, pool=pool, job=SweepJob, log=sweep_logs, keep_grid=self.keep_grid, **options)
        self._members_cache: tuple[int, dict] | None = None

    def snapshot(self):
        """The whole sweep's log (Started, state, Finished); members' logs are in :meth:`member`."""
        return self.log.snapshot()

    def member(self, keep_p: float):
        from .keep_sweep import MemberView

        key = round(float(keep_p), 6)
        if key not in self.logs.members:
            raise ValueError(f"keep_p {keep_p} is not in the sweep's grid {', '.join(map(str, self.keep_grid))}")
        return MemberView(self, key)

    def member_models(self, keep_p: float) -> dict:
        """{"method": the member at ``keep_p``, "baseline": the twin}, rebuilt from the newest stacked
        weights the host sent (empty before the first); asks for fresher ones for the next call."""
        import torch

        from .keep_sweep import member_config
        from .models import build_model

        if self._run_id is None:
            return {}
        if self.alive:
            self.pool.command(self._run_id, "weights")
        version, weights = self.pool.weights(self._run_id)
        started = self.log.snapshot().started
        if weights is None or started is None:
            return {}
        member = self.keep_grid.index(min(self.keep_grid, key=lambda keep: abs(keep - keep_p)))
        n_in, n_out = started.layer_sizes[0], started.layer_sizes[-1]
        models = {
            "method": (build_model(member_config(self.config, self.keep_grid[member]), n_in, n_out), member),
            "baseline": (build_model(self.config, n_in, n_out, baseline=True), weights["twin_index"]),
        }
        out = {}
        with torch.no_grad():
            for run, (model, index) in models.items():
                for linear, weight, bias in zip(model.linears, weights["weights"], weights["biases"]):
                    linear.weight.copy_(torch.from_numpy(weight[index]))
                    linear.bias.copy_(torch.from_numpy(bias[index, 0]))
                model.set_record_masks(False)
                model.set_generator(None)
                out[run] = model.eval()
        return out

    def copy_models(self) -> dict:
        return {}

    def response(self):
        from .keep_sweep import SweepRunner

        return SweepRunner.response(self)
