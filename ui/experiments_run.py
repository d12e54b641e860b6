"""The Experiments page's background sweep: one per browser session, a server-wide cap.

The sweep itself (:class:`dropviz.experiments.background.BackgroundSweep`) knows nothing of
streamlit; this module only keeps it in a session-scoped ``cache_resource`` so
that closing the tab stops it, and limits how many sweeps the server runs at
once (each sweep already uses every CPU core).
"""

from __future__ import annotations

import os
import sys
import threading
import weakref

from dropviz.experiments.background import BackgroundSweep
from ui.kept import KEPT
from ui.server_settings import env_int

RAY_ADDRESS_ENV = "DROPVIZ_RAY_ADDRESS"


def configured_ray_address(argv: list[str] | None = None) -> str | None:
    """The Ray cluster this server submits to, set only by whoever started it: ``--ray-address``
    after ``streamlit run app.py --`` or ``$DROPVIZ_RAY_ADDRESS``; None: a local Ray on this server.

    Never taken from a visitor: the Ray client protocol exchanges pickles, so an address typed in
    a browser would let any visitor make the server connect to (and unpickle from) any host.
    """
    argv = sys.argv[1:] if argv is None else argv
    for index, arg in enumerate(argv):
        if arg == "--ray-address" and index + 1 < len(argv):
            return argv[index + 1].strip() or None
        if arg.startswith("--ray-address="):
            return arg.split("=", 1)[1].strip() or None
    return os.environ.get(RAY_ADDRESS_ENV, "").strip() or None


def max_concurrent_sweeps() -> int:
    return env_int("DROPVIZ_MAX_SWEEPS", 1, 1, 1024)


class _Slots:
    """Server-wide count of running sweeps (all sessions)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._owners: set[int] = set()

    def acquire(self, owner: int) -> bool:
        with self._lock:
            if owner in self._owners:
                return True
            if len(self._owners) >= max_concurrent_sweeps():
                return False
            self._owners.add(owner)
            return True

    def release(self, owner: int) -> None:
        with self._lock:
            self._owners.discard(owner)

    @property
    def count(self) -> int:
        with self._lock:
            return len(self._owners)


SLOTS = _Slots()


# Every live holder, so tests (and a shutdown) can reach sweeps without a script run context.
HOLDERS: "weakref.WeakSet[SweepHolder]" = weakref.WeakSet()


class SweepHolder:
    """The session's current (or last) sweep.

    Not a :class:`ui.session.SessionHolder`: its job starts only on a Run press, under a server-wide cap
    (SLOTS), is never replaced by a changed form, and has no live views to count in REGISTRY's refresh load.
    """

    def __init__(self):
        HOLDERS.add(self)
        self.job: BackgroundSweep | None = None
        self.request: dict | None = None
        self.finish_seen = True
        self.show_new = False

    @property
    def running(self) -> bool:
        return self.job is not None and self.job.running

    def start(self, job: BackgroundSweep, request: dict) -> bool:
        """Start ``job`` unless one is running here or the server is at its cap (False: say busy)."""
        if self.running or not SLOTS.acquire(id(self)):
            return False
        owner = id(self)
        job.on_done = lambda: SLOTS.release(owner)
        self.job, self.request, self.finish_seen = job, request, False
        job.start()
        return True

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
        SLOTS.release(id(self))

    def close(self) -> None:
        self.cancel()


def session_sweep() -> SweepHolder:
    return KEPT.claim("experiments", SweepHolder)
