"""The app's navigation, and every page run inside it, even on a deep link to a fresh server.

Pages: the Playground is the default page (served at ``/``) and also a hidden
page at ``/playground``, so a shared ``/playground?keep_p=0.3`` opens it for
every visitor (``st.navigation`` serves the default page only at ``/``; any
other path it does not know shows "Page not found").

With a ``pages/`` folder beside app.py Streamlit starts in its legacy
multipage mode: until ``st.navigation`` has run once in the server process, a
first visit to e.g. ``/lecture`` runs ``pages/lecture.py`` alone, without the
language switch and page titles. A page that finds itself outside app.py's run
calls ``st.navigation`` with the app's pages (which ends that mode, Streamlit's
documented behaviour) and reruns; the rerun goes through app.py and lands on
the same page. Only public API: no private Streamlit classes.
"""

from __future__ import annotations

import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import streamlit as st

APP_SCRIPT = Path(__file__).resolve().parents[1] / "app.py"
# serve.py wraps app.py in st.App (ui.live_stream's route); either is the server's script.
SERVER_SCRIPTS = (APP_SCRIPT, APP_SCRIPT.with_name("serve.py"))
_run = threading.local()  # per script thread: is app.py's run in progress?


def app_pages(t: Callable[[str], str]) -> list:
    """Every page of the app, in menu order (the hidden /playground alias last)."""
    return [
        st.Page("pages/playground.py", title=t("page_playground"), icon="🎛️", url_path="home", default=True),
        st.Page("pages/coadaptation.py", title=t("page_coadaptation"), icon="🔗", url_path="coadaptation"),
        st.Page("pages/inference.py", title=t("page_inference"), icon="🎯", url_path="inference"),
        st.Page("pages/lecture.py", title=t("page_lecture"), icon="📖", url_path="lecture"),
        st.Page("pages/theory.py", title=t("page_theory"), icon="📐", url_path="theory"),
        st.Page("pages/experiments.py", title=t("page_experiments"), icon="🧪", url_path="experiments"),
        # Shared links name the Playground by its path; the default page answers only at "/".
        st.Page(
            "pages/playground.py", title=t("page_playground"), icon="🎛️", url_path="playground", visibility="hidden"
        ),
    ]


@contextmanager
def app_shell() -> Iterator[None]:
    """app.py runs the chosen page inside this: pages then know they are inside the app's navigation."""
    _run.inside = True
    try:
        yield
    finally:
        _run.inside = False


def _served_by_app() -> bool:
    # `streamlit run app.py` (or serve.py) makes it argv[0]; AppTest of a single page file does not.
    return bool(sys.argv) and Path(sys.argv[0]).resolve() in SERVER_SCRIPTS


def ensure_app_shell(t: Callable[[str], str]) -> None:
    if getattr(_run, "inside", False) or not _served_by_app():
        return
    st.navigation(app_pages(t))  # ends the legacy pages/ mode for the whole server
    st.rerun()
