"""Real browser: a link's values reach the Playground unchanged, or with a notice and the address bar
rewritten to what is used (issue 17.12); a value on the slider's grid is not snapped by the browser."""

import pytest

from .conftest import open_app, screenshot, wait_idle

pytestmark = pytest.mark.e2e
KEEP_P = ".st-key-keep_p input[type='range']"


def query(page) -> dict[str, str]:
    return page.evaluate("() => Object.fromEntries(new URLSearchParams(location.search))")


def test_a_link_value_on_the_grid_stays_exactly_what_it_was(page, app_url):
    open_app(page, f"{app_url}/?keep_p=0.33&keep_p_input=0.87")
    page.get_by_text("nn.Dropout(p=0.67)").first.wait_for(timeout=30_000)
    wait_idle(page)
    assert page.locator(KEEP_P).input_value() == "0.33"
    assert query(page)["keep_p"] == "0.33" and query(page)["keep_p_input"] == "0.87"
    assert not page.locator("[data-testid='stAlertContentWarning']").count()


def test_every_changed_link_value_is_named_and_the_address_bar_says_what_is_used(page, app_url):
    open_app(page, f"{app_url}/?keep_p=0.333&lr=0.00005&data_dir=/etc&eval_every=7")
    notice = page.locator("[data-testid='stAlertContentWarning']").first
    notice.wait_for(timeout=30_000)
    wait_idle(page)
    text = notice.inner_text()
    assert "keep_p: 0.333" in text and "lr: 0.00005" in text and "data_dir cannot be set from a link" in text
    assert page.locator(KEEP_P).input_value() == "0.33"
    params = query(page)
    assert params.get("keep_p") == "0.33" and params.get("lr") == "0.0001" and params.get("eval_every") == "7"
    assert "data_dir" not in params
    screenshot(page, "playground-link-notices")


def test_a_lecture_link_opens_the_playground_with_its_settings_after_the_session_has_been_there(page, app_url):
    open_app(page, f"{app_url}/?keep_p=0.8")
    page.get_by_text("nn.Dropout(p=0.2)").first.wait_for(timeout=30_000)
    wait_idle(page)
    page.locator("[data-testid='stSidebarNavLink']").filter(has_text="Lecture").first.click()
    page.get_by_role("heading", name="Lecture").first.wait_for(timeout=60_000)
    wait_idle(page)
    page.get_by_role("link", name="p = 0.1: watch it under-fit").first.click()
    page.get_by_role("heading", name="Playground").first.wait_for(timeout=60_000)
    page.get_by_text("nn.Dropout(p=0.9)").first.wait_for(timeout=30_000)
    wait_idle(page)
    assert page.locator(KEEP_P).input_value() == "0.1"
    assert query(page).get("keep_p") == "0.1"
