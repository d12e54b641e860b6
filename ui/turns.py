"""Playground scripts take turns on the server's interpreter, first come first served.

Thirty pages pressing Train within a second start thirty script runs at once. They share one
interpreter (the GIL), so run side by side they all finish late, together, while the event loop
waits behind them for its share (health checks, websockets, the live route). One at a time, in the
order they came, the first page is drawn after one run's time and the last after all of them, and
the event loop only ever competes with one script. A run that waits for something other than the
CPU (a first point, a step) gives its turn away meanwhile. A turn not given within
``TURN_WAIT_SECONDS`` is taken anyway: a stuck script slows the room down, it never stops it.
"""

from __future__ import annotations

import collections
import threading
from contextlib import contextmanager, nullcontext

# The pages whose scripts take turns: the Playground (its default path and its shared-link alias).
# Other pages compute for seconds at a time in torch (releasing the GIL); they keep running alongside.
TURN_PAGES = ("", "playground")
TURN_WAIT_SECONDS = 5.0


class Turns:
    """A first-in, first-out turn for script threads; a thread that holds it may take it again (a
    fragment run inside its page's run)."""

    def __init__(self, wait_seconds: float = TURN_WAIT_SECONDS):
        self.wait_seconds = wait_seconds
        self._lock = threading.Lock()
        self._waiting: collections.deque[tuple[int, threading.Event]] = collections.deque()
        self._holder: int | None = None
        self._depth = 0
        self._local = threading.local()  # per thread: how each of its open turns was taken
        self.overdue = 0  # turns not given within wait_seconds (the thread went ahead without)

    def _entries(self) -> list[str]:
        entries = getattr(self._local, "entries", None)
        if entries is None:
            entries = self._local.entries = []
        return entries

    def _take(self, me: int) -> bool:
        """Wait for the turn; False when it did not come within wait_seconds."""
        with self._lock:
            if self._holder is None and not self._waiting:
                self._holder, self._depth = me, 0
                return True
            called = threading.Event()
            self._waiting.append((me, called))
        if called.wait(self.wait_seconds):
            return True
        with self._lock:
            try:
                self._waiting.remove((me, called))
            except ValueError:  # handed over just as the wait ended
                return True
            self.overdue += 1
            return False

    def _give(self) -> None:
        """Hand the turn to the next in line (straight, so that nobody arriving now takes it first)."""
        with self._lock:
            if self._waiting:
                self._holder, called = self._waiting.popleft()
                self._depth = 0
                called.set()
            else:
                self._holder = None

    def _acquire(self) -> None:
        me, entries = threading.get_ident(), self._entries()
        if self._holder == me:
            self._depth += 1
            entries.append("held")
        elif self._take(me):
            self._depth = 1
            entries.append("held")
        else:
            entries.append("borrowed")

    def _release(self) -> None:
        if self._entries().pop() == "held":
            self._depth -= 1
            if self._depth == 0:
                self._give()

    @contextmanager
    def turn(self):
        self._acquire()
        try:
            yield
        finally:
            self._release()

    @contextmanager
    def released(self):
        """Give the turn away while this thread waits for something other than the CPU, then queue again."""
        me, entries = threading.get_ident(), self._entries()
        if self._holder != me:
            yield
            return
        depth = self._depth
        self._give()
        try:
            yield
        finally:
            if self._take(me):
                self._depth = depth
            else:  # went ahead without: this thread's open turns are no longer held
                entries[:] = ["borrowed"] * len(entries)

    @property
    def waiting(self) -> int:
        with self._lock:
            return len(self._waiting)


TURNS = Turns()


def script_turn(url_path: str):
    """The turn a page's script run takes (app.py): the Playground's, or none for the other pages."""
    return TURNS.turn() if url_path in TURN_PAGES else nullcontext()
