"""dropviz's server entry: `streamlit run serve.py` (what `make run` and the e2e tests start).

The app itself is app.py; this adds read-only JSON routes: the event stream live pages listen to for
new curve points and their progress, and its one-answer form (ui.live_stream), so that a classroom's
refreshes do not rerun Streamlit scripts, and the one an ended p sweep's members come from
(ui.member_board), so that scrubbing p redraws in the browser. `streamlit run app.py` still works:
pages then draw through Streamlit alone.
"""

import os

import streamlit as st
from streamlit import config
from streamlit.runtime.app_session import AppSession

from ui.live_stream import ROUTE_ENV, events_route, live_route
from ui.member_board import board_route


def respect_file_watcher_option(register=AppSession.register_file_watchers):
    """AppSession.register_file_watchers, but doing nothing when server.fileWatcherType is "none".

    Streamlit 1.67 checks that option for a new session only; a session whose browser reconnects (routine
    for a starved page in a full room) gets its watchers again, and each then walks every imported
    module's path on the event loop after every script run: 14 % of the server's CPU at 30 sessions."""

    def register_file_watchers(session) -> None:
        if config.get_option("server.fileWatcherType") != "none":
            register(session)

    return register_file_watchers


AppSession.register_file_watchers = respect_file_watcher_option()
os.environ[ROUTE_ENV] = "1"  # tells the pages that the route is there (see ui.live_stream)
app = st.App("app.py", routes=[live_route(), events_route(), board_route()])
