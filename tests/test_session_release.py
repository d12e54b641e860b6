"""Issue 17.3: a released session holds nothing, even while Streamlit still keeps its download callables."""

import gc
import threading
import weakref
from pathlib import Path

import pytest
import streamlit as st
from streamlit.elements.widgets import button
from streamlit.testing.v1 import AppTest

from ui import session
from ui.downloads import deferred

APP = str(Path(__file__).resolve().parents[1] / "app.py")


pytestmark = pytest.mark.usefixtures("fresh_sessions")


@pytest.fixture
def kept_download_data(monkeypatch):
    """Every deferred download callable the pages hand to Streamlit, kept as its media file manager keeps
    them (server-wide, until its next sweep of orphaned files)."""
    kept = []
    original = button.ButtonMixin.download_button

    def spy(self, label, data, *args, **kwargs):
        if callable(data) and not kwargs.get("disabled"):  # Streamlit registers no disabled button's callable
            kept.append((kwargs.get("key"), data))
        return original(self, label, data, *args, **kwargs)

    monkeypatch.setattr(button.ButtonMixin, "download_button", spy)
    monkeypatch.setattr(st, "download_button", lambda *a, **k: spy(st._main, *a, **k))
    return kept


def test_a_released_session_keeps_no_runner_or_models(monkeypatch, kept_download_data):
    monkeypatch.setenv(
        "DROPVIZ_TRAINER_BACKEND", "thread"
    )  # the models live in this process: weak references reach them
    # The warm-up ends with gc.freeze(): no warm-up (this one, or one an earlier test started) may
    # freeze this test's objects, or the cyclic collector would never free them.
    for thread in [*threading.enumerate(), session.warm_up()]:
        if thread.name == "dropviz-warm-up":
            thread.join(120)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["epochs"] = "2"
    at.run()
    at.button(key="pg_train").click().run()
    (holder,) = [h for h in session.REGISTRY.holders() if isinstance(h, session.TrainerHolder)]
    runner = holder.runner
    assert runner.wait(timeout=60)
    at.run()
    csv = [data for key, data in kept_download_data if key == "pg_dl_csv"]
    assert csv, "the page offers the metrics CSV built on click"
    assert "step" in csv[-1]().splitlines()[0]  # the CSV of this run while the session lives
    refs = [weakref.ref(runner), *(weakref.ref(model) for model in runner.trainer.models.values())]
    del runner, holder
    st.cache_resource.clear()  # the session's cache_resource on_release (its websocket dropped) ...
    session.KEPT.expire_released()  # ... and disconnectedSessionTTL passed without it coming back
    at = None
    gc.collect()
    assert [ref() for ref in refs] == [None] * len(refs)
    assert all(data() == "" for _, data in kept_download_data)


def test_deferred_builds_on_click_and_holds_its_objects_weakly():
    class Holder:
        runner = "run"

    holder = Holder()
    data = deferred(lambda h, suffix: h.runner + suffix, holder, suffix="!")
    assert data() == "run!"
    ref = weakref.ref(holder)
    del holder
    gc.collect()
    assert ref() is None and data() == ""
