"""Real browser: walk the Lecture page section by section, then open the Theory page."""

import pytest

from dropviz import lecture as L
from ui.text.lecture import SECTION_TEXT

from .conftest import open_app, screenshot, wait_idle

pytestmark = pytest.mark.e2e

SHOTS = ("model", "mathematics", "numpy")
THEORY_ANCHORS = ("baldi-sadowski", "ridge", "numpy", "masks", "nwgm")
LANGUAGE_SWITCH = "[data-testid='stSidebar'] >> text=Language / 语言"


def open_through_app(page, app_url: str, path: str = ""):
    """Open a (deep) link so that it is served through app.py (sidebar language switch).

    A fresh server routes its very first session by the pages/ folder until
    app.py has called st.navigation once; if the switch does not appear, the
    app root is opened first and the link again.
    """
    open_app(page, app_url + path)
    try:
        page.wait_for_selector(LANGUAGE_SWITCH, timeout=15_000)
    except Exception:
        open_app(page, app_url)
        page.wait_for_selector(LANGUAGE_SWITCH, timeout=60_000)
        open_app(page, app_url + path)
        page.wait_for_selector(LANGUAGE_SWITCH, timeout=60_000)


def scroll_to(page, selector: str):
    """Bring an element into the middle of the viewport and return it.

    (Plotly charts resize while the page settles, so playwright's "stable"
    wait of scroll_into_view_if_needed can time out on a busy machine.)
    """
    element = page.locator(selector).first
    element.wait_for(state="visible", timeout=30_000)
    element.evaluate("e => e.scrollIntoView({block: 'center'})")
    return element


def in_viewport(page, element) -> bool:
    box = element.bounding_box()
    return bool(box) and 0 <= box["y"] <= page.viewport_size["height"]


def test_walk_the_lecture_sections(page, app_url):
    open_through_app(page, app_url)
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Lecture").click()
    page.locator("h1", has_text="Lecture").first.wait_for(timeout=60_000)
    wait_idle(page)
    for section in L.SECTIONS:
        heading = scroll_to(page, f"[id='{section.id}']")
        assert in_viewport(page, heading), section.id
        assert SECTION_TEXT[f"{section.id}.title"][0] in heading.inner_text()
        if section.id in SHOTS:
            screenshot(page, f"lecture-{section.id}")
    # Typeset equations (KaTeX) and the figures are on the page.
    assert page.locator(".katex").count() >= 15
    assert page.locator("[data-testid='stPlotlyChart']").count() >= 7
    assert page.locator("[data-testid='stException']").count() == 0
    # The live example re-samples its mask.
    scroll_to(page, "[id='model']")
    page.get_by_role("button", name="Re-sample r").click()
    page.get_by_text("draw #2").wait_for(timeout=30_000)
    wait_idle(page)
    screenshot(page, "lecture-resampled")


def test_lecture_in_chinese_then_theory(page, app_url):
    open_through_app(page, app_url, "/lecture")
    page.locator("h1", has_text="Lecture").first.wait_for(timeout=60_000)
    # Switch the language the way a user does: the sidebar switch.
    page.locator("[data-testid='stSidebar']").get_by_text("中文", exact=True).click()
    page.locator("h1", has_text="讲义").first.wait_for(timeout=60_000)
    wait_idle(page)
    for section in (L.SECTIONS[0], L.SECTIONS[8], L.SECTIONS[-1]):
        assert SECTION_TEXT[f"{section.id}.title"][1] in scroll_to(page, f"[id='{section.id}']").inner_text()
    screenshot(page, "lecture-zh")

    # Follow the mathematics section's own link to the Theory page.
    label = SECTION_TEXT["mathematics.link.theory"][1]
    scroll_to(page, "[id='mathematics']")
    page.get_by_test_id("stPageLink-NavLink").filter(has_text=label).click()
    page.locator("h1", has_text="理论").first.wait_for(timeout=60_000)
    wait_idle(page)
    for anchor in THEORY_ANCHORS:
        heading = scroll_to(page, f"[id='{anchor}']")
        assert in_viewport(page, heading), anchor
        if anchor in ("baldi-sadowski", "nwgm"):
            screenshot(page, f"theory-{anchor}")
    assert page.locator("[data-testid='stPlotlyChart']").count() >= 6
    assert page.locator("[data-testid='stException']").count() == 0
