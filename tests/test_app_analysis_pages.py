"""AppTest of the Co-adaptation and Inference pages, in English and 中文.

With no Playground run in the session, each page trains its small built-in
example (cached for the process), so the pages are never empty.
"""

import json

import pytest
from streamlit.testing.v1 import AppTest

from ui.kept import KEPT

APP = "../app.py"


def open_page(page: str, lang: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=240)
    at.session_state["lang"] = lang
    at.switch_page(page)
    return at.run()


def chart_specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_coadaptation_page_renders(lang):
    at = open_page("pages/coadaptation.py", lang)
    assert not at.exception, [e.value for e in at.exception]
    specs = chart_specs(at)
    heatmaps = [s for s in specs if sum(t.get("type") == "heatmap" for t in s["data"]) == 2 and s.get("frames")]
    assert heatmaps, "animated side-by-side correlation heat maps"
    text = " ".join(m.value for m in at.markdown)
    assert ("Mean |r|" in text) if lang == "en" else ("平均 |r|" in text)
    assert len(specs) >= 5  # heat maps, measures, ablation, histograms, features
    # Every axis title in the page's language (the heat maps' "units (clustered)" was English in 中文).
    axis_titles = json.dumps([s["layout"] for s in specs], ensure_ascii=False)
    assert ("units (clustered)" in axis_titles) == (lang == "en")
    assert ("单元（已聚类）" in axis_titles) == (lang == "zh")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_inference_page_renders(lang):
    at = open_page("pages/inference.py", lang)
    assert not at.exception, [e.value for e in at.exception]
    specs = chart_specs(at)
    curve = specs[0]
    assert curve["layout"]["xaxis"]["type"] == "log" and len(curve["data"][1]["x"]) == 100
    # The page's labels reach the MC and DropConnect figures in the page's language.
    weight_scaling, dropconnect_mean = {
        "en": ("weight scaling", "mean network (W·p)"),
        "zh": ("权重缩放", "均值网络 (W·p)"),
    }[lang]
    assert weight_scaling in [trace.get("name") for trace in curve["data"]]
    assert dropconnect_mean in [trace.get("name") for trace in specs[1]["data"]]
    text = " ".join(m.value for m in at.markdown)
    assert "k =" in text
    if lang == "en":
        at.button(key="inf_train_both").click().run()
        assert not at.exception
        rows = [m.value for m in at.markdown if "same predicted class" in m.value]
        assert len(rows) == 2 and "100.0%" in rows[0]


def playground_then_page(page_file: str):
    """A session whose Playground run (tiny moons net) has finished, then the analysis page."""
    import os
    import runpy

    from dropviz.config import RunConfig
    from ui.session import session_trainer

    holder = session_trainer()
    runner = holder.ensure(
        RunConfig(
            dataset="moons",
            train_size=100,
            noise=0.25,
            hidden=(16, 16),
            epochs=4,
            batch_size=20,
            keep_p=0.5,
            device="cpu",
        )
    )
    runner.start()
    runner.wait(120)
    runpy.run_path(os.path.join(os.getcwd(), page_file), run_name="__main__")


@pytest.fixture
def release_playground_runs():
    """The session-scoped holder outlives an AppTest (fixed session id): release it for later tests."""
    import streamlit as st

    from ui import session

    yield
    for holder in session.REGISTRY.holders():
        holder.close()
    st.cache_resource.clear()  # session_trainer.clear() is refused outside a script thread
    KEPT.expire_released()  # the released sessions' holders close now, as after the TTL


@pytest.mark.parametrize("page_file", ["pages/coadaptation.py", "pages/inference.py"])
def test_pages_analyse_the_playground_run(page_file, release_playground_runs):
    at = AppTest.from_function(playground_then_page, args=(page_file,), default_timeout=240).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Playground run" in info.value for info in at.info)
    assert at.get("plotly_chart")


def test_a_link_naming_a_method_picks_the_matching_built_in_run():
    """The Lecture links here with method=dropconnect: without a Playground run, that is what is analysed."""
    at = AppTest.from_file(APP, default_timeout=240)
    at.query_params["method"] = "dropconnect"
    at.switch_page("pages/coadaptation.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("built-in example" in i.value and "dropconnect" in i.value.lower() for i in at.info)
