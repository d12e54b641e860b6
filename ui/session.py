"""One trainer per browser session, and a server-wide cap on concurrently *training* runs.

The holder lives in ``st.cache_resource(scope="session", on_release=...)`` so
that closing the tab stops its training thread. The thread never calls st.*.

Only runs that are actually using the CPU ("starting" or "running") count
toward the cap: a paused, finished or stopped run in a forgotten tab does not
lock anyone else out. Starting or resuming a run is what asks for a slot.
"""
from __future__ import annotations

import gc
import logging
import os
import threading
import weakref

import streamlit as st

from dropviz.config import RunConfig
from dropviz.runner import BackgroundRunner

_LOG = logging.getLogger(__name__)

ACTIVE_STATES = ("starting", "running")
# Sleep of a full-speed training thread between steps, so the server's threads get the GIL at once
# (about 10 % of a toy net's steps per second, nothing for a large one).
TRAINER_YIELD_SECONDS = 0.0005


def _env_int(name: str, default: int, low: int, high: int) -> int:
    """An integer setting from the environment; a bad value is reported in the server log, not fatal."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        _LOG.warning("%s=%r is not an integer from %d to %d; using %d", name, raw, low, high, default)
        return default
    return value


def max_concurrent_trainers() -> int:
    return _env_int("DROPVIZ_MAX_TRAINERS", 4, 1, 1024)


def trainer_nice() -> int:
    # Training threads give the CPU first to the web server and, on a one-machine classroom demo,
    # to the browser drawing the charts: "max" speed means what is left after drawing. (On the
    # 2-core bench machine the refresh rate was within noise of an un-niced trainer's: the GIL,
    # not the CPU, was what the server waited for; see TRAINER_YIELD_SECONDS.)
    return _env_int("DROPVIZ_TRAINER_NICE", 10, 0, 19)


class _Registry:
    """Process-wide view of every session's holder (weak references: a closed session drops out)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._holders: "weakref.WeakSet[TrainerHolder]" = weakref.WeakSet()

    def add(self, holder: "TrainerHolder") -> None:
        with self._lock:
            self._holders.add(holder)

    def discard(self, holder: "TrainerHolder") -> None:
        with self._lock:
            self._holders.discard(holder)

    def holders(self) -> list["TrainerHolder"]:
        """Every open session's holder (a closed session has dropped out)."""
        with self._lock:
            return list(self._holders)

    def active(self, exclude: "TrainerHolder | None" = None) -> int:
        with self._lock:
            holders = list(self._holders)
        return sum(1 for holder in holders if holder is not exclude and holder.active)

    def try_claim(self, holder: "TrainerHolder") -> bool:
        """True if ``holder`` may train now: it already does, or fewer than the cap of others do."""
        with self._lock:
            holders = list(self._holders)
            others = sum(1 for other in holders if other is not holder and other.active)
            return holder.active or others < max_concurrent_trainers()

    @property
    def count(self) -> int:
        return self.active()


REGISTRY = _Registry()


class TrainerHolder:
    """The browser session's current run: its config and background runner (or none yet)."""

    def __init__(self):
        self.runner: BackgroundRunner | None = None
        self.config: RunConfig | None = None
        self.dataset_key: str | None = None  # identifies an uploaded CSV, which is not in the config
        REGISTRY.add(self)

    @property
    def active(self) -> bool:
        runner = self.runner
        return runner is not None and runner.alive and runner.state in ACTIVE_STATES

    def matches(self, config: RunConfig, dataset_key: str | None = None) -> bool:
        return self.runner is not None and self.config == config and self.dataset_key == dataset_key

    def ensure(self, config: RunConfig, dataset=None, dataset_key: str | None = None) -> BackgroundRunner | None:
        """The runner for ``config``: the current one if nothing changed, else a fresh (not started) one.

        Returns None when the server is at its cap of training runs (the caller shows "busy").
        """
        if self.matches(config, dataset_key):
            return self.runner if REGISTRY.try_claim(self) else None
        self.reset()
        if not REGISTRY.try_claim(self):
            return None
        self.config = config
        self.dataset_key = dataset_key
        self.runner = BackgroundRunner(config, dataset, nice=trainer_nice(), yield_seconds=TRAINER_YIELD_SECONDS)
        return self.runner

    def reset(self) -> None:
        if self.runner is not None:
            self.runner.stop()
        self.runner = None
        self.config = None
        self.dataset_key = None

    def close(self) -> None:
        self.reset()
        REGISTRY.discard(self)


@st.cache_resource(scope="session", on_release=lambda holder: holder.close(), show_spinner=False)
def session_trainer() -> TrainerHolder:
    return TrainerHolder()


def _warm_up_engine() -> None:
    # The first Train press would otherwise pay, on the script thread, for one-time work: torch
    # importing torch._dynamo for the first optimizer, scikit-learn for the toy data, plotly
    # loading the trace classes and JSON encoder of every live figure (seconds together on a
    # busy 2-core machine). A tiny real run through the same code pays it once per server,
    # in the background, while the first visitor reads the page.
    import plotly.io

    from ui.playground_views import build_views

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
    # Streamlit runs gc.collect(2) after every script run (runner.postScriptGC). With torch, plotly,
    # pandas and scikit-learn loaded that walks ~430k objects: 0.35-0.4 s holding the GIL on every
    # live refresh, which stalled the refresh, the websocket and the trainer alike (two thirds of
    # the server's CPU while training). The imported modules live as long as the server, so they
    # move to the permanent generation; what sessions create later is still collected.
    gc.freeze()


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
