"""Browser: the Experiments page draws a shipped result (ours beside the paper's MNIST values)."""

import pytest

from .conftest import open_app, screenshot

pytestmark = pytest.mark.e2e


def test_experiments_page_draws_a_shipped_result(page, app_url):
    open_app(page, f"{app_url}/experiments?exp_dataset=digits")
    page.get_by_role("heading", name="Experiments").wait_for()
    chart = page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot").first
    chart.wait_for(timeout=60_000)
    text = chart.inner_text()
    assert "This run: digits" in text and "Paper's values: MNIST" in text
    assert page.locator("[data-testid='stPlotlyChart'] .scatterlayer .trace").count() >= 4
    # The results selector shows the shipped file (the server has a results database of its own).
    selector = page.locator("[data-testid='stSelectbox']", has_text="Results shown").locator("input").first
    assert selector.input_value().startswith("shipped quick results · digits")
    screenshot(page, "experiments-shipped-fig10")
