"""A session's holders outlive Streamlit's release of its cache when the websocket drops, and close
once the session has stayed away for server.disconnectedSessionTTL (ui.kept)."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from streamlit import config

from ui import kept


class Holder:
    def __init__(self):
        self.closed = False

    def close(self):
        self.closed = True


@pytest.fixture
def session_one(monkeypatch):
    from streamlit.runtime.scriptrunner_utils import script_run_context

    monkeypatch.setattr(script_run_context, "get_script_run_ctx", lambda: SimpleNamespace(session_id="one"))
    monkeypatch.setattr(kept, "_release_hook", lambda kind, session_id: None)
    before = config.get_option("server.disconnectedSessionTTL")
    config.set_option("server.disconnectedSessionTTL", 0.3)
    yield
    config.set_option("server.disconnectedSessionTTL", before)


def test_a_session_that_comes_back_within_the_ttl_finds_its_holder(session_one):
    holders = kept.KeptHolders()
    first = holders.claim("trainer", Holder)
    assert holders.claim("trainer", Holder) is first  # every rerun of the session: the same holder
    assert holders.claim("sweep", Holder) is not first  # one per kind
    holders.released(("trainer", "one"))  # the websocket dropped: Streamlit released the session's cache
    time.sleep(0.1)
    assert holders.claim("trainer", Holder) is first and not first.closed  # reconnected in time: kept
    time.sleep(0.4)
    assert not first.closed  # the reconnect cancelled the close


def test_a_session_gone_for_the_ttl_has_its_holder_closed_and_a_new_one_next_time(session_one):
    holders = kept.KeptHolders()
    first = holders.claim("trainer", Holder)
    holders.released(("trainer", "one"))
    holders.released(("trainer", "one"))  # released twice: one clock
    deadline = time.monotonic() + 5
    while not first.closed and time.monotonic() < deadline:
        time.sleep(0.02)
    assert first.closed
    second = holders.claim("trainer", Holder)
    assert second is not first and not second.closed
    holders.released(("trainer", "one"))
    holders.expire_released()  # the TTL's end, at once
    assert second.closed
    second.closed = False
    assert holders.claim("trainer", Holder) is not second  # a closed holder is never handed out again


def test_no_session_no_keeping(monkeypatch):
    from streamlit.runtime.scriptrunner_utils import script_run_context

    monkeypatch.setattr(script_run_context, "get_script_run_ctx", lambda: None)
    holders = kept.KeptHolders()
    assert holders.claim("trainer", Holder) is not holders.claim("trainer", Holder)
