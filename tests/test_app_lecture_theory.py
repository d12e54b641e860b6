"""AppTest of the Lecture and Theory pages, in English and 中文.

Runs app.py (navigation, language switch) and switches to the page, so the
page links resolve exactly as in the app.
"""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dropviz import lecture as L
from ui.text.lecture import SECTION_TEXT

APP = str(Path(__file__).resolve().parents[1] / "app.py")
THEORY_HEADERS = {
    "en": [
        "1. Dropout as a regularizer (Baldi & Sadowski 2013)",
        "2. Ridge equivalence for linear regression",
        "3. The lecture's numpy function",
        "4. Dropout vs DropConnect masks",
        "5. Weight scaling for a logistic unit (NWGM)",
    ],
    "zh": [
        "1. Dropout 是一种正则（Baldi 与 Sadowski 2013）",
        "2. 线性回归与岭回归的等价",
        "3. 讲义中的 numpy 函数",
        "4. Dropout 与 DropConnect 的掩码",
        "5. logistic 单元的权重缩放（NWGM）",
    ],
}


def open_page(page: str, lang: str = "en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = lang
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label_start: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label_start))


def r_latex(at: AppTest) -> str:
    return next(x.value for x in at.latex if r"\mathbf r = (" in x.value)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_lecture_renders_every_section_in_order(lang):
    at = lecture_en_or(lang)
    index = 1 if lang == "zh" else 0
    assert [h.value for h in at.header] == [SECTION_TEXT[f"{s.id}.title"][index] for s in L.SECTIONS]
    assert at.title[0].value == ("Lecture" if lang == "en" else "讲义")
    # The model equations are typeset.
    latex = " ".join(x.value for x in at.latex)
    for piece in (
        r"\sim \mathrm{Bernoulli}(p)",
        r"\tilde{\mathbf{y}}^{(l)} = \mathbf{r}^{(l)} * \mathbf{y}^{(l)}",
        r"\tfrac12\sum_{i=1}^n p_i(1-p_i)",
    ):
        assert piece in latex
    assert len(at.dataframe) >= 6


_CACHE: dict = {}


def lecture_en_or(lang):
    """One rendered lecture page per language, shared by the read-only tests."""
    if lang not in _CACHE:
        _CACHE[lang] = open_page("pages/lecture.py", lang)
    return _CACHE[lang]


def test_lecture_page_links_carry_settings():
    at = lecture_en_or("en")
    links = at.get("page_link")
    expected = [link for s in L.SECTIONS for link in s.links]
    assert len(links) == len(expected)
    by_label = {p.proto.label: p.proto for p in links}
    dc = by_label["Full page: Train with DropConnect"]
    # The Playground answers at the app root and at /playground (a link every session can open).
    assert dc.page in ("", "playground")
    assert by_label["Full page: Re-run the p sweep (n fixed)"].page == "experiments"
    assert "method=dropconnect" in dc.query_string and "keep_p=0.5" in dc.query_string
    assert "exp_name=Figure+9a" in by_label["Full page: Re-run the p sweep (n fixed)"].query_string


@pytest.mark.parametrize("section_id,target", [("effect-of-p", "playground"), ("effect-of-p", "experiments")])
def test_a_lecture_link_opens_its_page_with_the_settings(section_id, target):
    """Follow a link's query parameters into the linked page (built by others)."""
    link = next(l for l in L.section(section_id).links if l.page == target)
    at = AppTest.from_file(APP, default_timeout=60)
    for name, value in link.query_params().items():
        at.query_params[name] = value
    at.switch_page(link.page_file)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if target == "experiments":
        assert at.selectbox(key="exp_name").value == link.extra["experiment"]
    else:
        shown = [s.value for s in at.slider if "keep" in s.label.lower()]
        assert link.settings["keep_p"] in shown, shown


def test_lecture_resample_button_draws_a_new_mask():
    at = open_page("pages/lecture.py")
    first = r_latex(at)
    seen = {first}
    assert any(c.value == "draw #1" for c in at.caption)
    for k in range(2, 5):
        at.button(key="lec_eq_btn").click().run()
        assert any(c.value == f"draw #{k}" for c in at.caption)
        seen.add(r_latex(at))
    assert len(seen) > 1  # new masks were drawn (seeded: deterministic)
    # Re-running without a click keeps the current mask.
    last = r_latex(at)
    at.run()
    assert r_latex(at) == last


def test_lecture_keep_p_changes_the_numbers():
    at = open_page("pages/lecture.py")
    before = r_latex(at)
    at.slider(key="lec_eq_p").set_value(1.0).run()
    assert r_latex(at).startswith("$$\n\\mathbf r = (1, 1, 1, 1, 1)")
    assert r_latex(at) != before
    assert any(c.value == "= PyTorch nn.Dropout(p=0)" for c in at.caption)
    pen = metric(at, "p(1 − p)")
    at.slider(key="lec_reg_p").set_value(0.9).run()
    assert pen == "0.2500" and metric(at, "p(1 − p)") == "0.0900"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_theory_renders_five_sections(lang):
    at = open_page("pages/theory.py", lang)
    assert [h.value for h in at.header] == THEORY_HEADERS[lang]
    assert not at.error
    assert any("½" in w.value and ("lecture" in w.value or "讲义" in w.value) for w in at.warning)
    # NWGM equals sigma(mean input) to float precision.
    nwgm = metric(at, "NWGM")
    scaled = metric(at, "σ(mean input)" if lang == "en" else "σ(平均输入)")
    assert nwgm == scaled
    # Five defect demonstrations are listed.
    assert sum(1 for e in at.expander if "(" in e.label and e.label.endswith(")")) >= 5


def test_theory_inputs_change_numbers_and_bad_input_is_refused():
    at = open_page("pages/theory.py")
    before = metric(at, "NWGM")
    at.slider(key="th_nw_p").set_value(0.3).run()
    assert metric(at, "NWGM") != before
    assert metric(at, "NWGM") == metric(at, "σ(mean input)")

    analytic = metric(at, "analytic E[")
    at.text_input(key="th_bs_p").set_value("0.5").run()
    assert metric(at, "analytic E[") != analytic
    assert not at.error

    rel = metric(at, "SGD vs closed form")
    assert float(rel) < 1e-2
    at.slider(key="th_ridge_p").set_value(0.8).run()
    assert metric(at, "SGD vs closed form") != rel and float(metric(at, "SGD vs closed form")) < 1e-2

    at.number_input(key="th_ridge_rows").set_value(1000)
    at.number_input(key="th_ridge_steps").set_value(8000).run()
    assert any("1,600 steps" in w.value for w in at.warning)  # work cap, said plainly
    assert float(metric(at, "SGD vs closed form")) < 1e-2

    shown = metric(at, "analytic E[")
    at.text_input(key="th_bs_p").set_value("0.5, 2").run()
    # (the input is echoed escaped, as text: "p\\_i" in the Markdown source)
    assert any("p_i" in e.value.replace("\\", "") and "last valid" in e.value for e in at.error)
    assert metric(at, "analytic E[") == shown  # the last valid values are kept
    assert not at.exception


def test_theory_mask_resample_and_numpy_run():
    at = open_page("pages/theory.py")
    fig_before = next(c for c in at.get("plotly_chart") if "th_mask_fig" in c.proto.id).proto.spec
    at.button(key="th_mask_btn").click().run()
    fig_after = next(c for c in at.get("plotly_chart") if "th_mask_fig" in c.proto.id).proto.spec
    assert fig_before != fig_after
    at.slider(key="th_np_discard").set_value(1.0).run()
    text = " ".join(m.value for m in at.markdown)
    assert "nan" in text and "keep_p must be in (0, 1]" in text
    at.checkbox(key="th_np_int").check().run()
    at.slider(key="th_np_discard").set_value(0.5).run()
    assert "UFuncTypeError" in " ".join(m.value for m in at.markdown)
    assert not at.exception


def test_lecture_and_theory_name_the_penalty_curves_alike_in_each_language():
    import json

    from ui.text.penalty import PENALTY_TEXT

    for lang, index in (("en", 0), ("zh", 1)):
        figures = {}
        for at, key in ((lecture_en_or(lang), "lec_reg_fig"), (open_page("pages/theory.py", lang), "th_pen_fig")):
            spec = json.loads(next(c for c in at.get("plotly_chart") if key in c.proto.id).proto.spec)
            figures[key] = [trace.get("name") for trace in spec["data"][:2]]
        expected = [PENALTY_TEXT["pen_train"][index], PENALTY_TEXT["pen_test"][index]]
        assert figures == {"lec_reg_fig": expected, "th_pen_fig": expected}
