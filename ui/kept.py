"""Each browser session's holders (its run, its p sweep, its Experiments job), kept until the session
has been gone for ``server.disconnectedSessionTTL``.

Streamlit releases a session's ``cache_resource(scope="session")`` entries when its websocket drops,
not when the session ends: a page starved of CPU for a few seconds in a full room (or a laptop whose
Wi-Fi blinked) reconnected to its session and found its run stopped and gone (bench_classroom at
N = 30: a third of the pages). The holders live here instead; Streamlit's release only starts the
clock, and a session that comes back within the TTL, as Streamlit itself allows, finds its run as
it left it. No worker machinery is imported here (the Experiments page uses it too).
"""

from __future__ import annotations

import threading
from typing import Callable

import streamlit as st


class KeptHolders:
    """The sessions' holders by (kind, session id); a holder is closed once its session has been
    released for server.disconnectedSessionTTL seconds without coming back."""

    def __init__(self):
        self._lock = threading.Lock()
        self._holders: dict[tuple, object] = {}
        self._closing: dict[tuple, threading.Timer] = {}

    def claim(self, kind: str, make: Callable):
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

        ctx = get_script_run_ctx()
        if ctx is None:  # no session (bare mode): nothing to keep it for
            return make()
        key = (kind, ctx.session_id)
        with self._lock:
            timer = self._closing.pop(key, None)
            if timer is not None:
                timer.cancel()
            holder = self._holders.get(key)
            if holder is None or getattr(holder, "closed", False):
                holder = self._holders[key] = make()
        _release_hook(kind, ctx.session_id)  # Streamlit's release of this session calls released(key)
        return holder

    def released(self, key: tuple) -> None:
        from streamlit import config

        with self._lock:
            if key not in self._holders or key in self._closing:
                return
            timer = threading.Timer(float(config.get_option("server.disconnectedSessionTTL")), self._close, (key,))
            timer.daemon = True
            self._closing[key] = timer
        timer.start()

    def _close(self, key: tuple) -> None:
        with self._lock:
            self._closing.pop(key, None)
            holder = self._holders.pop(key, None)
        if holder is not None:
            holder.close()

    def expire_released(self) -> None:
        """Close every released session's holder now (tests; what the TTL's end does)."""
        with self._lock:
            keys = list(self._closing)
            for key in keys:
                self._closing[key].cancel()
        for key in keys:
            self._close(key)


KEPT = KeptHolders()


@st.cache_resource(scope="session", on_release=KEPT.released, show_spinner=False)
def _release_hook(kind: str, session_id: str) -> tuple:
    return (kind, session_id)
