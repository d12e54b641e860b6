"""serve.py, the server entry: its routes and its guard around Streamlit's file watchers."""

from __future__ import annotations

import importlib

from streamlit import config
from streamlit.runtime.app_session import AppSession


def test_a_reconnecting_session_gets_no_file_watchers_when_watching_is_off(monkeypatch):
    monkeypatch.setattr(AppSession, "register_file_watchers", AppSession.register_file_watchers)  # undone after
    # serve.py tells the pages its routes are there; the AppTests that run after this one have none.
    monkeypatch.setenv("DROPVIZ_LIVE_ROUTE", "0")
    serve = importlib.import_module("serve")
    assert AppSession.register_file_watchers.__qualname__.startswith("respect_file_watcher_option")
    registered = []
    register = serve.respect_file_watcher_option(registered.append)
    before = config.get_option("server.fileWatcherType")
    try:
        config.set_option("server.fileWatcherType", "none")
        register("session")
        assert registered == []  # the reconnect path registers nothing
        config.set_option("server.fileWatcherType", "auto")
        register("session")
        assert registered == ["session"]  # watching on: Streamlit's own registration runs
    finally:
        config.set_option("server.fileWatcherType", before)
    # Both read-only routes are mounted: the live pages' and the sweep board's.
    assert sorted(route.path for route in serve.app._user_routes) == [
        "/_dropviz/live/{token}",
        "/_dropviz/live/{token}/events",
        "/_dropviz/members/{token}",
    ]
