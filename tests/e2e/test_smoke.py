from .conftest import open_app, screenshot


def test_app_opens_in_chromium(page, app_url):
    open_app(page, app_url)
    assert page.get_by_role("heading", name="Playground").is_visible()
    screenshot(page, "smoke-playground")
