"""Real browser: the Co-adaptation page draws its correlation heat maps, the Inference page its k-curve."""

import pytest

from .conftest import CONNECTED, screenshot, wait_idle

pytestmark = pytest.mark.e2e
# The pages train their small built-in example on first visit: allow for a busy machine.
TIMEOUT = 300_000


def open_page(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(CONNECTED, timeout=TIMEOUT)
    wait_idle(page, TIMEOUT)


def count(page, selector: str) -> int:
    return page.evaluate(f"() => document.querySelectorAll({selector!r}).length")


def test_coadaptation_page_draws_correlation_heatmaps(page, app_url):
    open_page(page, f"{app_url}/coadaptation")
    page.get_by_role("heading", name="Co-adaptation").first.wait_for(timeout=TIMEOUT)
    # two heat maps (method, twin) rendered as images inside the first Plotly chart
    page.wait_for_function(
        "() => { const c = document.querySelector('.js-plotly-plot');"
        " return c && c.querySelectorAll('.heatmaplayer image').length >= 2; }",
        timeout=TIMEOUT,
    )
    page.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
    assert count(page, ".js-plotly-plot .slider-container") >= 1  # replay slider over training
    screenshot(page, "coadaptation")


def test_inference_page_draws_the_k_curve(page, app_url):
    open_page(page, f"{app_url}/inference")
    page.get_by_role("heading", name="Inference").first.wait_for(timeout=TIMEOUT)
    page.wait_for_function(
        "() => { const c = document.querySelector('.js-plotly-plot');"
        " return c && [...c.querySelectorAll('.scatterlayer path.js-line')]"
        ".some(p => (p.getAttribute('d') || '').length > 200); }",
        timeout=TIMEOUT,
    )
    page.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
    screenshot(page, "inference")
