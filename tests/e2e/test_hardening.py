"""Issue 17 in a real browser: no visitor-chosen Ray address, no HTML from a URL value, shared deep links."""
import pytest

from .conftest import open_app, screenshot

pytestmark = pytest.mark.e2e


def test_experiments_page_offers_no_ray_address_input(page, app_url):
    # A crafted link cannot fill an address in either: the page never reads one from the URL.
    open_app(page, f"{app_url}/experiments?exp_dataset=digits&exp_ray_address=ray://127.0.0.1:47001")
    page.get_by_role("heading", name="Experiments").wait_for()
    page.get_by_text("Run settings").click()
    page.get_by_text("ray", exact=True).click()
    page.get_by_text("No Ray cluster is configured for this server").wait_for(timeout=30_000)
    assert page.locator("[data-testid='stTextInput']").count() == 0
    assert page.locator("input[type='text']:not([role='combobox'])").count() == 0
    assert "47001" not in page.locator("[data-testid='stMain']").inner_text()
    screenshot(page, "experiments-ray-configured-only")
