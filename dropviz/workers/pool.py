"""The pool: hosts (worker processes or Ray actors), placement of runs on them, the queue beyond
``resident_capacity``, and the reader thread that publishes what the hosts send into each run's log."""

from __future__ import annotations

import collections
import itertools
import logging
import os
import threading
import time
from multiprocessing.connection import wait as wait_for_connections

from ..run_state import ENDED_STATES, RunState
from ..runner import MetricLog
from .host import has_evaluation
from .messages import DEFAULT_RUNS_PER_HOST, JobSpec, cpu_count
from .process import HostDied, _ProcessHost, set_group_nice

_LOG = logging.getLogger(__name__)
# What one more run costs a host that already trains a compatible cohort, in lone runs (measured by
# bench/bench_cohort.py: 30 default runs stacked cost about what 12 alone do).
STACKED_RUN_COST = 0.4
# While a class presses Train, the pages' Train reruns are what students wait for once each run's first
# point exists: the trainers' scheduling group then yields (nice is work-conserving: an idle machine loses
# nothing) until this long after the latest run was placed (docs/classroom.md, session 18).
SERVE_FIRST_SECONDS = 5.0
SERVE_FIRST_NICE = 19


def _placement_key(spec: JobSpec):
    """Runs with one key can stack on a host (the host decides exactly, knowing the data's shape)."""
    from ..cohort import cohort_key
    from ..train import Trainer

    return cohort_key(spec.config) if spec.factory is Trainer else None


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
        self.evaluated = False  # its first evaluation has arrived


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
        serve_first_seconds: float = SERVE_FIRST_SECONDS,
    ):
        if backend not in ("process", "ray"):
            raise ValueError(f"unknown pool backend {backend!r}: process or ray")
        self.backend = backend
        self.size = hosts or cpu_count()
        self.resident_capacity = resident_capacity or self.size * DEFAULT_RUNS_PER_HOST
        self.threads = threads
        self.nice = nice
        self.ray_address = ray_address
        self.serve_first_seconds = serve_first_seconds
        self._placed_at = -float("inf")
        self.group_nice: int | None = None  # the nice value last chosen for the trainers' scheduling group
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
                self.group_nice = None  # a new worker sets its group's nice itself
            else:
                host = self._ray_host(index)
            self._hosts[index] = host
            self._poke()
        return host

    def _ray_host(self, index: int):
        from ..ray_hosts import RayHost

        if self._ray is None:
            from ..ray_hosts import connect

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
                log.set_state(RunState.QUEUED)
            self._ensure_reader()
            return record.run_id

    def _resident(self) -> int:
        return sum(1 for record in self._records.values() if record.host is not None and not record.ended)

    def _load(self) -> list[float]:
        """Each host's work in lone-run units: a lone run counts 1, a cohort of k stacked runs
        1 + STACKED_RUN_COST * (k - 1)."""
        groups: list[collections.Counter] = [collections.Counter() for _ in range(self.size)]
        for record in self._records.values():
            if record.host is not None and not record.ended:
                groups[record.host][_placement_key(record.spec) or ("alone", record.run_id)] += 1
        return [sum(1 + STACKED_RUN_COST * (count - 1) for count in host.values()) for host in groups]

    def _cost_of_adding(self, index: int, key) -> float:
        if key is None:
            return 1.0
        same = any(
            record.host == index and not record.ended and _placement_key(record.spec) == key
            for record in self._records.values()
        )
        return STACKED_RUN_COST if same else 1.0

    def _place(self, record: _Record) -> None:
        # The host whose work grows least: a run joins a host where it stacks with compatible runs, unless
        # another host would still carry less with it.
        load = self._load()
        key = _placement_key(record.spec)
        index = min(range(self.size), key=lambda i: (load[i] + self._cost_of_adding(i, key), i))
        record.host, record.queued = index, False
        record.log.set_state(RunState.STARTING)
        try:
            host = self._host(index)
        except Exception as error:  # noqa: BLE001 - e.g. Ray unreachable: said on the run, not a traceback
            _LOG.exception("could not start a %s trainer", self.backend)
            record.ended = True
            record.log.set_state(
                RunState.ERROR, f"could not start a trainer ({self.backend} backend): {type(error).__name__}: {error}"
            )
            return
        host.send(
            ("add", record.run_id, record.spec, record.paused, record.pending_steps, record.speed, record.keep_change)
        )
        self._placed_at = time.monotonic()
        self._prioritize()

    def _wanted_group_nice(self, now: float) -> int:
        if now - self._placed_at >= self.serve_first_seconds:
            return self.nice
        resident = [record for record in self._records.values() if record.host is not None and not record.ended]
        return SERVE_FIRST_NICE if resident and all(record.evaluated for record in resident) else self.nice

    def _until_window_ends(self) -> float:
        """How long the reader may wait before the serve-first window's end needs it (at most 1 s)."""
        left = self._placed_at + self.serve_first_seconds - time.monotonic()
        return min(left + 0.01, 1.0) if left > 0 else 1.0

    def _prioritize(self) -> None:
        """Give the trainers' scheduling group the nice value the moment calls for (process backend only:
        Ray's hosts are other machines' processes)."""
        if self.backend != "process":
            return
        with self._lock:
            wanted = self._wanted_group_nice(time.monotonic())
            if wanted == self.group_nice:
                return
            pids = [host.pid for host in self._hosts if host is not None and not host.dead and host.pid]
            if pids:  # where the group cannot be set, the decision still stands (nothing to retry)
                set_group_nice(pids[0], wanted)
                self.group_nice = wanted

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
                record.log.set_state(RunState.STOPPED, "stopped while waiting for a free trainer")
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
            if not record.evaluated and has_evaluation(events):
                record.evaluated = True
                self._prioritize()
            if weights is not None:
                with self._lock:
                    record.weights = weights
                    record.weights_version += 1
            record.log.publish_many(events)
        elif kind == "gone":
            with self._lock:
                record.ended = True
                if record.log.state not in ENDED_STATES:
                    record.log.set_state(RunState.STOPPED, record.log.message or "stopped")
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
                    record.log.set_state(RunState.ERROR, message)
                    if record.closed:
                        self._records.pop(record.run_id, None)
            _LOG.warning("%s", message)
            self._fill()

    def _read_processes(self) -> None:
        while not self._closed:
            with self._lock:
                hosts = [(index, host) for index, host in enumerate(self._hosts) if host is not None and not host.dead]
            waitables = [self._wake_r] + [item for _, host in hosts for item in host.waitables()]
            self._prioritize()  # a window that has ended gives the trainers their nice value back
            try:
                ready = wait_for_connections(waitables, timeout=self._until_window_ends())
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
        from ..ray_hosts import read_loop

        read_loop(self)

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            hosts, self._hosts = self._hosts, [None] * self.size
            for record in self._records.values():
                if not record.ended:
                    record.ended = True
                    if record.log.state not in ENDED_STATES:
                        record.log.set_state(RunState.STOPPED, "the server's trainers were shut down")
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
