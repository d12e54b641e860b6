"""AppTest of the Co-adaptation and Inference pages, in English and 中文.

With no Playground run in the session, each page trains its small built-in
example (cached for the process), so the pages are never empty.
"""
import json

import pytest
from streamlit.testing.v1 import AppTest


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


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_inference_page_renders(lang):
    at = open_page("pages/inference.py", lang)
    assert not at.exception, [e.value for e in at.exception]
    specs = chart_specs(at)
    curve = specs[0]
    assert curve["layout"]["xaxis"]["type"] == "log" and len(curve["data"][1]["x"]) == 100
    text = " ".join(m.value for m in at.markdown)
    assert "k =" in text
    if lang == "en":
        at.button(key="inf_train_both").click().run()
        assert not at.exception
        rows = [m.value for m in at.markdown if "same predicted class" in m.value]
        assert len(rows) == 2 and "100.0%" in rows[0]
