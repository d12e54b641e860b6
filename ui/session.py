"""One trainer per browser session, and a server-wide cap on concurrent trainers.

The holder lives in ``st.cache_resource(scope="session", on_release=...)`` so
that closing the tab stops its training thread. The thread never calls st.*.
"""
from __future__ import annotations

import os
import threading

import streamlit as st

from dropviz.config import RunConfig
from dropviz.runner import BackgroundRunner

ACTIVE_STATES = ("starting", "running", "paused")


def max_concurrent_trainers() -> int:
    try:
        return max(1, int(os.environ.get("DROPVIZ_MAX_TRAINERS", "4")))
    except ValueError:
        return 4


class _Registry:
    """Process-wide count of live trainers (all sessions)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._holders: set[int] = set()

    def acquire(self, holder_id: int) -> bool:
        with self._lock:
            if holder_id in self._holders:
                return True
            if len(self._holders) >= max_concurrent_trainers():
                return False
            self._holders.add(holder_id)
            return True

    def release(self, holder_id: int) -> None:
        with self._lock:
            self._holders.discard(holder_id)

    @property
    def count(self) -> int:
        with self._lock:
            return len(self._holders)


REGISTRY = _Registry()


class TrainerHolder:
    """The browser session's current run: its config and background runner (or none yet)."""

    def __init__(self):
        self.runner: BackgroundRunner | None = None
        self.config: RunConfig | None = None

    def ensure(self, config: RunConfig, dataset=None) -> BackgroundRunner | None:
        """The runner for ``config``: the current one if the config is unchanged, else a fresh one.

        Returns None when the server is at its trainer cap (the caller shows "busy").
        """
        if self.runner is not None and self.config == config:
            return self.runner
        self.reset()
        if not REGISTRY.acquire(id(self)):
            return None
        self.config = config
        self.runner = BackgroundRunner(config, dataset)
        return self.runner

    def reset(self) -> None:
        if self.runner is not None:
            self.runner.stop()
        self.runner = None
        self.config = None
        REGISTRY.release(id(self))

    def close(self) -> None:
        self.reset()


@st.cache_resource(scope="session", on_release=lambda holder: holder.close(), show_spinner=False)
def session_trainer() -> TrainerHolder:
    return TrainerHolder()
