"""Make every page run inside app.py's navigation, even on a deep link to a fresh server.

With a ``pages/`` folder beside app.py, Streamlit starts in its legacy
multipage mode: until app.py has called ``st.navigation`` once in this server
process, a first visit to e.g. ``/lecture`` runs ``pages/lecture.py`` alone,
without the language switch and page titles. A page that finds itself in that
mode switches the server to st.navigation mode and reruns, which then goes
through app.py and lands on the same URL path.
"""
from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def ensure_app_shell() -> None:
    # Decided once, at the session's first page run: on a server the mode is
    # process-wide and only ever switches off. Deciding once also keeps AppTest
    # (which resets the mode before every run) from rerunning away a click.
    if "_dropviz_shell_checked" in st.session_state:
        return
    st.session_state["_dropviz_shell_checked"] = True
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
