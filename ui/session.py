"""One trainer per browser session, trained outside the web server's interpreter, and the page's load.

The holder is kept per browser session (:class:`KeptHolders`) so that closing
the tab stops its run and frees its slot once Streamlit's disconnected-session
TTL has passed, while a page that only lost its connection for a while finds
its run again. Where runs train is the server's choice
(``DROPVIZ_TRAINER_BACKEND``): ``process`` (default) puts them on a pool of
worker processes (:mod:`dropviz.workers`), ``ray`` on Ray actors
(``DROPVIZ_RAY_ADDRESS``, from the server's environment only), ``thread`` in
a thread of this process as before (tests, a single user). Nobody is refused:
beyond the pool's resident capacity a run is queued and starts by itself.
"""

from __future__ import annotations

import atexit
import gc
import logging
import math
import os
import random
import threading
import time
import weakref

import streamlit as st

from dropviz.config import RunConfig
from dropviz.run_state import ACTIVE_STATES
from dropviz.runner import BackgroundRunner
from dropviz.train import SHARED_MAX_EVALUATIONS
from dropviz.workers import BACKENDS
from ui.kept import KEPT
from ui.live_stream import LIVE, VIEWS_SPREAD, wake_streams
from ui.server_settings import env_int

_LOG = logging.getLogger(__name__)

# Sleep of a full-speed training thread between steps, so the server's threads get the GIL at once
# (about 10 % of a toy net's steps per second, nothing for a large one). Thread backend only.
TRAINER_YIELD_SECONDS = 0.0005
# The live views' refresh interval grows with the number of sessions that are refreshing, so that
# refreshes use at most this share of one core (the trainers are niced: the server comes first).
REFRESH_SHARE = 1.0
MAX_REFRESH_SECONDS = 2.0
PREDICTIONS_MIN_SECONDS = 1.0
PREDICTIONS_SECONDS_PER_SESSION = 0.2


def max_concurrent_trainers() -> int:
    """Runs trained at the same instant: the pool's worker processes (default: one per core)."""
    from dropviz.workers import cpu_count

    return env_int("DROPVIZ_MAX_TRAINERS", cpu_count(), 1, 1024)


def max_resident_runs() -> int:
    """Runs held by the workers at once (each trains in turn); beyond it a run waits in the queue.
    Bounded because every resident run holds its nets and data in a worker's memory."""
    from dropviz.workers import DEFAULT_RUNS_PER_HOST

    return env_int("DROPVIZ_MAX_RUNS", max_concurrent_trainers() * DEFAULT_RUNS_PER_HOST, 1, 100_000)


def trainer_backend() -> str:
    raw = os.environ.get("DROPVIZ_TRAINER_BACKEND", "process").strip().lower()
    if raw not in BACKENDS:
        _LOG.warning("DROPVIZ_TRAINER_BACKEND=%r is not one of %s; using process", raw, ", ".join(BACKENDS))
        return "process"
    return raw


def worker_nice() -> int:
    """Nice value of the pool's worker processes and of their scheduling group: DROPVIZ_TRAINER_NICE if set,
    else 1. The server has a scheduling group of its own (dropviz.host_warmup), so this orders the trainers
    against the browser on a one-machine demo rather than against the server (docs/classroom.md, session 17)."""
    return env_int("DROPVIZ_TRAINER_NICE", 1, 0, 19)


def trainer_nice() -> int:
    # Trainers give the CPU first to the web server and, on a one-machine classroom demo, to the
    # browser drawing the charts: "max" speed means what is left after serving.
    return env_int("DROPVIZ_TRAINER_NICE", 10, 0, 19)


_POOLS: dict = {}
_POOLS_LOCK = threading.Lock()


def trainer_pool(backend: str | None = None):
    """The server's pool of trainer hosts for ``backend`` (process or ray), made on first use."""
    from dropviz.workers import TrainerPool

    backend = backend or trainer_backend()
    with _POOLS_LOCK:
        pool = _POOLS.get(backend)
        if pool is None:
            address = os.environ.get("DROPVIZ_RAY_ADDRESS") or None if backend == "ray" else None
            pool = TrainerPool(
                max_concurrent_trainers(),
                resident_capacity=max_resident_runs(),
                nice=worker_nice(),
                backend=backend,
                ray_address=address,
            )
            _POOLS[backend] = pool
        return pool


@atexit.register
def _shutdown_pools() -> None:
    with _POOLS_LOCK:
        pools = list(_POOLS.values())
        _POOLS.clear()
    for pool in pools:
        pool.shutdown()


def make_runner(config: RunConfig, dataset=None, backend: str | None = None, **trainer_options):
    """A runner for ``config`` on the server's backend (not started)."""
    backend = backend or trainer_backend()
    if backend == "thread":
        return BackgroundRunner(
            config, dataset, nice=trainer_nice(), yield_seconds=TRAINER_YIELD_SECONDS, **trainer_options
        )
    from dropviz.workers import PoolRunner

    return PoolRunner(config, dataset, pool=trainer_pool(backend), **trainer_options)


def shared_max_evaluations(open_pages: int) -> int | None:
    """How many evaluations a new run may make: every epoch on a server with no more Playground pages open
    than it trains runs at once; about SHARED_MAX_EVALUATIONS (what the curves draw) on a class's server."""
    return SHARED_MAX_EVALUATIONS if open_pages > max_concurrent_trainers() else None


def make_sweep_runner(config: RunConfig, keep_grid, dataset=None, backend: str | None = None):
    """A keep-probability sweep for ``config`` on the server's backend (not started)."""
    backend = backend or trainer_backend()
    if backend == "thread":
        from dropviz.keep_sweep import SweepRunner

        return SweepRunner(config, keep_grid, dataset, nice=trainer_nice(), yield_seconds=TRAINER_YIELD_SECONDS)
    from dropviz.workers import PoolSweepRunner

    return PoolSweepRunner(config, keep_grid, dataset, pool=trainer_pool(backend))


class _Registry:
    """Process-wide view of every session's holder (weak references: a closed session drops out)."""

    # load() is asked by every page's poll and rerun; counting the active sessions asks every run's state
    # (a lock each), which at 30 pages polling twice a second was a tenth of the server's CPU (py-spy).
    LOAD_MAX_AGE_SECONDS = 0.5

    def __init__(self):
        self._lock = threading.Lock()
        self._holders: "weakref.WeakSet[SessionHolder]" = weakref.WeakSet()
        self._load: tuple[float, int] | None = None  # (when, value)
        self._counting = threading.Lock()

    def add(self, holder: "SessionHolder") -> None:
        with self._lock:
            self._holders.add(holder)
            self._load = None

    def discard(self, holder: "SessionHolder") -> None:
        with self._lock:
            self._holders.discard(holder)
            self._load = None

    def holders(self) -> list["SessionHolder"]:
        """Every open session's holder (a closed session has dropped out)."""
        with self._lock:
            return list(self._holders)

    def active(self, exclude: "SessionHolder | None" = None) -> int:
        """Sessions whose run is queued, starting or training (their pages refresh)."""
        with self._lock:
            holders = list(self._holders)
        return sum(1 for holder in holders if holder is not exclude and holder.active)

    @property
    def count(self) -> int:
        return self.active()

    def open_pages(self) -> int:
        """Open Playground sessions, training or not: the load a class is about to put on the server."""
        with self._lock:
            return sum(1 for holder in self._holders if isinstance(holder, TrainerHolder))

    def load(self) -> int:
        """Sessions to share the refresh budget between: those refreshing, or every open page when more
        (a class pressing Train within a second would otherwise step every page's interval up, each
        step a full rerun, as the presses arrive). At most LOAD_MAX_AGE_SECONDS old."""
        known = self._load
        if known is not None and time.monotonic() - known[0] < self.LOAD_MAX_AGE_SECONDS:
            return known[1]
        # One thread counts while the others take the last count: at a class's presses, thirty streams
        # counting at once each waited on every run's lock, for up to 1.4 s (docs/classroom.md, session 10).
        if not self._counting.acquire(blocking=known is None):
            return known[1]
        try:
            known = self._load
            if known is not None and time.monotonic() - known[0] < self.LOAD_MAX_AGE_SECONDS:
                return known[1]
            value = max(1, self.active(), self.open_pages())
            self._load = (time.monotonic(), value)
            return value
        finally:
            self._counting.release()


REGISTRY = _Registry()


class RefreshLoad:
    """What one live refresh costs the server (a moving average of measured ones), and from it the
    refresh interval that keeps all refreshing sessions within REFRESH_SHARE of a core."""

    def __init__(self, initial_seconds: float = 0.02):
        self._lock = threading.Lock()
        self.cost_seconds = initial_seconds

    def record(self, seconds: float) -> None:
        with self._lock:
            self.cost_seconds += 0.1 * (min(seconds, 1.0) - self.cost_seconds)

    def interval(self, base: float, sessions: int) -> float:
        return min(MAX_REFRESH_SECONDS, max(base, sessions * self.cost_seconds / REFRESH_SHARE))


REFRESH_LOAD = RefreshLoad()


def refresh_seconds(base: float) -> float:
    """The live views' refresh interval now: ``base`` on a quiet server, doubling as sessions add up
    (in steps, so that a page changes its interval, which takes a full rerun, rarely)."""
    needed = REFRESH_LOAD.interval(base, REGISTRY.load())
    return min(MAX_REFRESH_SECONDS, base * 2 ** math.ceil(math.log2(needed / base) - 1e-9))


def refresh_interval_stale(current: float, base: float) -> bool:
    """Whether a page refreshing every ``current`` s should change its interval (with hysteresis:
    up as soon as the load needs it, down only once the load has fallen well below it)."""
    needed = REFRESH_LOAD.interval(base, REGISTRY.load())
    return needed > current * 1.2 or (current > base and needed < current * 0.6)


def predictions_seconds(refresh_every: float, sessions: int | None = None) -> float:
    """How often the views drawn from the models (boundary, unit maps, image predictions) are redrawn
    while training: they cost several times the rest of a refresh, so every third refresh, at least a
    second apart, and for a class each page's a little less often (0.2 s more per refreshing session)."""
    sessions = REGISTRY.load() if sessions is None else sessions
    return max(PREDICTIONS_MIN_SECONDS, 3 * refresh_every, PREDICTIONS_SECONDS_PER_SESSION * sessions)


class RefreshTimer:
    """Times one live refresh (``with RefreshTimer(): ...``) into REFRESH_LOAD (thread CPU time: what
    this refresh cost the server, not how long it waited for the GIL or the CPU)."""

    def __enter__(self):
        self._start = time.thread_time()
        return self

    def __exit__(self, *exc):
        REFRESH_LOAD.record(time.thread_time() - self._start)
        return False


class SessionHolder:
    """A browser session's runner (or none yet), what it was made for, counted in REGISTRY until closed.

    Subclasses say how a runner is made (``_make``), what of the config it depends on (``_key``),
    and how a replaced one is let go (``_release``).
    """

    def __init__(self):
        self.runner = None
        self.config: RunConfig | None = None  # ``_key`` of the config the runner was made for
        self.dataset_key: str | None = None  # identifies an uploaded CSV, which is not in the config
        REGISTRY.add(self)

    def _key(self, config: RunConfig) -> RunConfig:
        return config

    def _make(self, config: RunConfig, dataset):
        raise NotImplementedError

    def _release(self, runner) -> None:
        runner.close()

    def _current(self, config: RunConfig) -> bool:
        """Whether the matching runner still serves ``config`` (a subclass may ask more than the key)."""
        return True

    @property
    def active(self) -> bool:
        runner = self.runner
        return runner is not None and runner.alive and runner.state in ACTIVE_STATES

    def matches(self, config: RunConfig, dataset_key: str | None = None) -> bool:
        return self.runner is not None and self.config == self._key(config) and self.dataset_key == dataset_key

    def ensure(self, config: RunConfig, dataset=None, dataset_key: str | None = None):
        """The runner for ``config``: the current one if nothing changed, else a fresh (not started) one."""
        if self.matches(config, dataset_key) and self._current(config):
            return self.runner
        self.reset()
        self.config = self._key(config)
        self.dataset_key = dataset_key
        self.runner = self._make(config, dataset)
        return self.runner

    def reset(self) -> None:
        if self.runner is not None:
            self._release(self.runner)
        self.runner = None
        self.config = None
        self.dataset_key = None

    def close(self) -> None:
        self.closed = True
        self.reset()
        REGISTRY.discard(self)


class TrainerHolder(SessionHolder):
    """The browser session's current run: its config and runner (or none yet)."""

    def __init__(self):
        super().__init__()
        # The page's secret for the live route (ui.live_stream), and the translator its progress line uses.
        self.live_token = LIVE.register(self)
        self.live_text = None
        self.live_wakers: frozenset = frozenset()  # (loop, asyncio.Event) of each open event stream
        self.views_stretch = random.uniform(1.0, 1.0 + VIEWS_SPREAD)  # this page's views interval, relative

    def _make(self, config: RunConfig, dataset):
        return make_runner(config, dataset, max_evaluations=shared_max_evaluations(REGISTRY.open_pages()))

    def close(self) -> None:
        super().close()
        LIVE.discard(self.live_token)
        wake_streams(self)  # its event streams end now (with "gone"), not when they next look


def session_trainer() -> TrainerHolder:
    return KEPT.claim("trainer", TrainerHolder)


def _start_hosts() -> None:
    try:
        trainer_pool().start_hosts()
    except Exception:  # noqa: BLE001 - reported; the first Train press tries again and says why on the page
        _LOG.exception("could not start the %s trainers", trainer_backend())


def _warm_up_engine() -> None:
    # The first Train press would otherwise pay, on the script thread, for one-time work: torch
    # importing torch._dynamo for the first optimizer, scikit-learn for the toy data, plotly
    # loading the trace classes and JSON encoder of every live figure (seconds together on a
    # busy 2-core machine). A tiny real run through the same code pays it once per server,
    # in the background, while the first visitor reads the page.
    import plotly.io

    from ui.playground_views import build_views

    hosts = None
    if trainer_backend() != "thread":
        # The worker processes (or Ray actors) start meanwhile: the fork server imports torch and
        # trains a tiny net once (dropviz.host_warmup), seconds that the first Train press must not wait.
        hosts = threading.Thread(target=_start_hosts, name="dropviz-start-trainers", daemon=True)
        hosts.start()
    runner = BackgroundRunner(RunConfig(dataset="moons", hidden=(4,), epochs=1, batch_size=40), num_threads=1)
    try:
        runner.start()
        runner.wait(timeout=60)
        views = build_views(runner.snapshot(), runner.config, runner.copy_models(), runner.trained_dataset)
        for figure in (views.curves, views.network, views.boundary, views.mask_matrix):
            if figure is not None:
                plotly.io.to_json(figure.to_dict(), validate=False)
    finally:
        runner.stop()
    if hosts is not None:
        hosts.join()
    # Streamlit runs gc.collect(2) after every script run (runner.postScriptGC). With torch, plotly,
    # pandas and scikit-learn loaded that walks ~430k objects: 0.35-0.4 s holding the GIL on every
    # live refresh, which stalled the refresh, the websocket and the trainer alike (two thirds of
    # the server's CPU while training). The imported modules live as long as the server, so they
    # move to the permanent generation; what sessions create later is still collected.
    gc.freeze()
    # A refresh builds Plotly figures (cycles: each trace points back at its figure) over a hundred
    # milliseconds or more: at Python's default thresholds (700, 10, 10) they outlived young collections,
    # reached the oldest generation, and its collections (every 3-8 s at 30 training pages, 200-600 ms
    # each with the GIL held) stalled the event loop. Young collections 20,000 allocations apart find them
    # already garbage; the oldest generation is collected about a tenth as often.
    gc.set_threshold(20_000, 10, 10)


@st.cache_resource(max_entries=16, show_spinner=False)
def _toy_dataset(name: str, train_size: int | None, noise: float, seed: int):
    from dropviz.data import load_dataset

    return load_dataset(name, train_size=train_size, noise=noise, seed=seed)


def preview_dataset(config: RunConfig):
    """The run's data before it starts, for the 2-D toys only (generated in milliseconds, no files);
    None otherwise or when the settings do not make a data set (the sidebar reports why)."""
    from dropviz.data import TOY_DATASETS, DatasetError

    if config.dataset not in TOY_DATASETS:
        return None
    try:
        return _toy_dataset(config.dataset, config.train_size, config.noise, config.seed)
    except (DatasetError, ValueError):
        return None


@st.cache_resource(show_spinner=False)
def warm_up() -> threading.Thread:
    """Start the one-time engine warm-up in a daemon thread (returns at once)."""
    thread = threading.Thread(target=_warm_up_engine, name="dropviz-warm-up", daemon=True)
    thread.start()
    return thread
