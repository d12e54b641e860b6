"""Real browser: walk the Lecture page section by section, then open the Theory page."""
import pytest

from dropviz import lecture as L

from .conftest import open_app, screenshot, wait_idle

pytestmark = pytest.mark.e2e


SHOTS = ("model", "mathematics", "dropconnect", "numpy")
LANGUAGE_SWITCH = "[data-testid='stSidebar'] >> text=Language / 语言"


def open_page(page, url: str):
    """Open a deep link the way a shared URL is opened, served through app.py.

    A fresh server routes the very first session by the pages/ folder until
    app.py has called st.navigation once, so the app root is opened first and
    the language switch (drawn by app.py) is awaited before the deep link.
    """
    open_app(page, url.split("/lecture")[0].split("/theory")[0])
    page.wait_for_selector(LANGUAGE_SWITCH, timeout=60_000)
    open_app(page, url)
    page.wait_for_selector(LANGUAGE_SWITCH, timeout=60_000)


def scroll_to(page, selector: str):
    """Bring an element into the viewport; checks that it is attached and
    visible. (Plotly charts resize while the page settles, so playwright's
    "stable" wait of scroll_into_view_if_needed can time out on a busy machine.)"""
    element = page.locator(selector).first
    element.wait_for(state="visible", timeout=30_000)
    element.evaluate("e => e.scrollIntoView({block: 'center'})")
    return element


def test_walk_the_lecture_sections(page, app_url):
    open_page(page, f"{app_url}/lecture")
    page.locator("h1", has_text="Lecture").first.wait_for(timeout=60_000)
    for section in L.SECTIONS:
        heading = scroll_to(page, f"[id='{section.id}']")
        box = heading.bounding_box()
        assert box and 0 <= box["y"] <= page.viewport_size["height"], section.id
        assert section.title_en in heading.inner_text()
        if section.id in SHOTS:
            wait_idle(page)
            screenshot(page, f"lecture-{section.id}")
    # Typeset equations (KaTeX), the example's mask and paper figures are on the page.
    assert page.locator(".katex").count() >= 15
    assert page.locator("[data-testid='stPlotlyChart']").count() >= 7
    before = page.locator(".katex").filter(has_text="r=(").first.inner_text() \
        if page.locator(".katex").filter(has_text="r=(").count() else None
    page.get_by_role("button", name="Re-sample r").click()
    page.get_by_text("draw #2").wait_for(timeout=30_000)
    wait_idle(page)
    if before is not None:
        after = page.locator(".katex").filter(has_text="r=(").first.inner_text()
        assert after  # re-rendered
    scroll_to(page, "[id='model']")
    screenshot(page, "lecture-en")


def test_lecture_in_chinese_and_theory_page(page, app_url):
    # Switch the language the way a user does (sidebar), then open the page
    # from the navigation.
    open_page(page, app_url)
    page.locator("[data-testid='stSidebar']").get_by_text("中文", exact=True).click()
    page.get_by_role("link", name="讲义").click()
    page.locator("h1", has_text="讲义").first.wait_for(timeout=60_000)
    wait_idle(page)
    last = L.SECTIONS[-1]
    assert last.title_zh in scroll_to(page, f"[id='{last.id}']").inner_text()
    screenshot(page, "lecture-zh")

    open_page(page, f"{app_url}/theory")
    page.locator("h1", has_text="Theory").first.wait_for(timeout=60_000)
    for anchor in ("baldi-sadowski", "ridge", "numpy", "masks", "nwgm"):
        assert scroll_to(page, f"[id='{anchor}']").is_visible(), anchor
        wait_idle(page)
        screenshot(page, f"theory-{anchor}")
    assert page.locator("[data-testid='stPlotlyChart']").count() >= 6
    assert page.locator("[data-testid='stException']").count() == 0
