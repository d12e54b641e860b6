"""Issue 17.5: the analysis pages after a diverged Playground run show a message, not a traceback."""

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from dropviz.viz.coadaptation import activation_histograms
from ui import session

APP = str(Path(__file__).resolve().parents[1] / "app.py")


pytestmark = pytest.mark.usefixtures("fresh_sessions")


def test_histograms_of_non_finite_activations_draw_what_is_finite():
    figure = activation_histograms(
        {"method": np.array([[0.0, np.nan], [1.0, np.inf]]), "baseline": np.full((2, 2), np.nan)}
    )
    bars = [trace for trace in figure.data if trace.type == "bar"]
    assert sum(sum(bar.y) for bar in bars[:1]) == pytest.approx(1.0)  # the two finite values of "method"
    assert all(np.isfinite(x) for bar in bars for x in bar.x)


@pytest.mark.parametrize("page", ["pages/coadaptation.py", "pages/inference.py"])
def test_analysis_pages_after_a_diverged_run(monkeypatch, page):
    monkeypatch.setenv("DROPVIZ_TRAINER_BACKEND", "thread")
    at = AppTest.from_file(APP, default_timeout=180)
    for name, value in {"lr": "10", "momentum": "0.99", "hidden": "256,256", "epochs": "50"}.items():
        at.query_params[name] = value
    at.run()
    at.button(key="pg_train").click().run()
    (holder,) = [h for h in session.REGISTRY.holders() if isinstance(h, session.TrainerHolder)]
    holder.runner.wait(timeout=120)
    assert holder.runner.snapshot().state == "diverged"
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
