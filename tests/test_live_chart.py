"""Live charts: plotly.js served from the plotly package, figures themed like st.plotly_chart, a fallback."""

import json
import logging
import os

import plotly
import plotly.graph_objects as go
import plotly.io
import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from ui import live_chart


def test_plotly_js_is_copied_once_byte_for_byte_under_its_version(tmp_path):
    static = tmp_path / "static"
    name = live_chart.ensure_plotly_js(static)
    assert name == f"plotly-{plotly.__version__}.min.js"
    copied = static / name
    assert copied.read_bytes() == live_chart.bundled_plotly_js().read_bytes()
    assert [p.name for p in static.iterdir()] == [name]  # no partial file left behind
    # Kept as is on the next call (the server may be serving it at that moment).
    os.utime(copied, (1, 1))
    assert live_chart.ensure_plotly_js(static) == name
    assert copied.stat().st_mtime == 1


def test_a_truncated_copy_is_replaced(tmp_path):
    name = live_chart.ensure_plotly_js(tmp_path)
    (tmp_path / name).write_bytes(b"/* cut */")
    assert live_chart.ensure_plotly_js(tmp_path) == name
    assert (tmp_path / name).stat().st_size == live_chart.bundled_plotly_js().stat().st_size


def test_an_unwritable_static_folder_is_reported_not_raised(tmp_path, caplog):
    blocker = tmp_path / "static"
    blocker.write_text("a file where the folder should be")
    with caplog.at_level(logging.WARNING, logger="ui.live_chart"):
        assert live_chart.ensure_plotly_js(blocker) is None
    assert "fall back to st.plotly_chart" in caplog.text and str(blocker) in caplog.text


def figure_with_frames():
    return go.Figure(
        data=[go.Scatter(x=[1, 2, 3], y=[0.5, 0.25, 0.125], name="loss")],
        layout=go.Layout(title={"text": "gap"}, height=300, xaxis={"title": {"text": "epoch"}}),
        frames=[go.Frame(data=[go.Scatter(y=[1, 0, 1])], name="f0")],
    )


def test_themed_figure_keeps_data_and_frames_and_takes_the_app_theme():
    figure = figure_with_frames()
    spec = live_chart.themed(figure)
    original = json.loads(plotly.io.to_json(figure, validate=False))
    assert spec["data"] == figure.to_plotly_json()["data"]
    assert [frame["name"] for frame in spec["frames"]] == ["f0"]
    layout = spec["layout"]
    # plotly.py's default template is replaced, as st.plotly_chart does in the browser.
    assert "template" in original["layout"]
    assert layout["template"] is live_chart.THEME_TEMPLATE
    assert layout["template"]["layout"]["plot_bgcolor"] == "#ffffff"
    assert layout["title"]["text"] == "<b>gap</b>"
    assert layout["height"] == 300 and layout["xaxis"]["title"]["text"] == "epoch"
    # The figure itself is not changed.
    assert figure.layout.title.text == "gap"


def test_payload_is_the_themed_figure_as_plotly_json():
    payload = live_chart.figure_payload(figure_with_frames(), "app/static/plotly.min.js")
    decoded = json.loads(payload["figure"])
    assert decoded["data"][0]["y"] == [0.5, 0.25, 0.125]
    assert decoded["layout"]["template"]["layout"]["font"]["family"] == '"Source Sans", sans-serif'
    assert payload["src"] == "app/static/plotly.min.js"
    assert payload["config"]["displaylogo"] is False  # the mode bar (PNG export) stays


def chart_script():
    import plotly.graph_objects as go

    from ui.live_chart import live_plotly_chart

    live_plotly_chart(go.Figure(go.Scatter(y=[1, 2])), key="k")


@pytest.fixture
def static_serving():
    def set_to(value: bool):
        st_config.set_option("server.enableStaticServing", value)
        live_chart._served_plotly_js.cache_clear()

    before = st_config.get_option("server.enableStaticServing")
    yield set_to
    set_to(before)


def test_the_component_is_used_when_static_serving_is_on(static_serving, monkeypatch):
    static_serving(True)
    monkeypatch.syspath_prepend(str(live_chart.Path(__file__).resolve().parents[1]))
    at = AppTest.from_function(chart_script).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 0
    component = at.get("bidi_component")
    assert len(component) == 1 and component[0].key == "k"
    assert component[0].proto.component_name.endswith("dropviz_live_chart")


def test_without_static_serving_it_falls_back_to_st_plotly_chart(static_serving, monkeypatch, caplog):
    static_serving(False)
    monkeypatch.syspath_prepend(str(live_chart.Path(__file__).resolve().parents[1]))
    with caplog.at_level(logging.WARNING, logger="ui.live_chart"):
        at = AppTest.from_function(chart_script).run()
    assert not at.exception
    assert len(at.get("bidi_component")) == 0
    assert len(at.get("plotly_chart")) == 1
    assert "server.enableStaticServing is off" in caplog.text
