from .conftest import open_app, screenshot


def test_app_opens_in_chromium_with_navigation_and_language_switch(page, app_url):
    open_app(page, app_url)
    page.get_by_role("heading", name="Playground").wait_for(timeout=30_000)
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_text("中文", exact=True).wait_for(timeout=30_000)
    assert page.locator("[data-testid='stSidebarNavLink']").count() == 6
    screenshot(page, "smoke-playground")


def test_deep_link_in_chinese_opens_the_page_inside_the_app(page, app_url):
    open_app(page, f"{app_url}/theory?lang=zh")
    page.get_by_role("heading", name="理论").first.wait_for(timeout=30_000)
    assert page.locator("[data-testid='stSidebarNavLink']").count() == 6
