"""Issue 17 in a real browser: no visitor-chosen Ray address, no HTML from a URL value, shared deep links."""

import pytest

from .conftest import open_app, screenshot, served_app

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


def test_url_values_are_shown_as_text_not_markdown(page, app_url):
    """Issue 17.4: a link's value can neither make the browser fetch an image nor put a link in a notice."""
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    image, link = "![x](http://127.0.0.1:9/t.png)", "[click](https://example.com/)"
    from urllib.parse import quote

    open_app(page, f"{app_url}/playground?method={quote(image)}&dataset={quote(link)}&speed={quote('www.example.com')}")
    notice = page.locator("[data-testid='stAlert']", has_text="Some settings in the link")
    notice.wait_for(timeout=60_000)
    text = notice.inner_text().replace("\u2060", "")  # the invisible word joiner that stops bare-URL links
    assert image in text and link in text and "www.example.com" in text  # shown, literally
    app = page.locator("[data-testid='stApp']")
    assert app.locator("img[src*='127.0.0.1:9']").count() == 0
    # (the page's own navigation links may carry the query string; none may point at the value's host)
    assert app.locator("a[href^='https://example.com'], a[href^='http://www.example.com']").count() == 0
    assert notice.locator("a, img").count() == 0
    assert not [
        url for url in requested if url.startswith(("http://127.0.0.1:9/", "https://example.com", "http://www."))
    ]
    screenshot(page, "url-values-as-text")


@pytest.mark.parametrize("script", ["app.py", "serve.py"])
def test_a_shared_playground_link_opens_for_every_session(browser, script):
    """Issue 17.11: /playground?keep_p=0.3 opens the Playground with p = 0.3 for the server's first session
    (Streamlit's legacy pages/ mode) and for the next one, never "Page not found"; under both entries
    (serve.py once showed the legacy pages/ list here)."""
    with served_app(script=script, results_db=False) as (base, _):  # fresh: its first session meets the legacy mode
        for visitor in range(2):
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            try:
                page = context.new_page()
                open_app(page, f"{base}playground?keep_p=0.3")
                page.get_by_role("heading", name="Playground").wait_for(timeout=60_000)
                page.get_by_text("nn.Dropout(p=0.7)").first.wait_for(timeout=30_000)
                assert page.get_by_text("Page not found").count() == 0, f"visitor {visitor + 1}"
                assert page.locator("[role='dialog']").count() == 0
                assert page.locator("[data-testid='stSidebarNavLink']").count() == 6  # inside the app's navigation
                assert "/playground?keep_p=0.3" in page.url
            finally:
                context.close()
