"""The Playground in a real browser: slider -> URL, Train -> live curves and dropped units, 中文, shared link."""

import pytest

from .conftest import CONNECTED, open_app, screenshot, wait_idle

pytestmark = pytest.mark.e2e

KEEP_P = ".st-key-keep_p input[type='range']"


def plot_data(page, key: str) -> str:
    """JS expression: the traces of the Plotly chart with element key ``key`` (or undefined).

    ``_fullData``, not ``data``: plotly.py sends numpy arrays base64-encoded, and only the
    full data holds them decoded (typed arrays with a length)."""
    return f"(document.querySelector('.st-key-{key} .js-plotly-plot') || {{}})._fullData"


def curve_points(page) -> int:
    return page.evaluate(f"() => {{ const d = {plot_data(page, 'pg_curves')}; "
                         "return d ? Math.max(0, ...d.map(t => (t.x || []).length)) : 0; }")


def dropped_units(page) -> int:
    return page.evaluate(f"() => {{ const d = {plot_data(page, 'pg_network')}; if (!d) return 0; "
                         "const t = d.find(t => t.legendgroup === 'dropped-units'); return t ? t.x.length : 0; }")


def test_playground_trains_live_and_shares_its_settings(browser, app_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        # Many epochs, so the run is still training when Pause is pressed on a fast machine
        # (the default 1000 epochs finish in about 40 s).
        open_app(page, f"{app_url}/?epochs=50000")
        page.get_by_role("heading", name="Playground").wait_for(timeout=60_000)
        page.get_by_text("nn.Dropout(p=0.5)").first.wait_for(timeout=30_000)

        # Move the keep-probability slider 0.5 -> 0.6 with the keyboard (step 0.01).
        slider = page.locator(KEEP_P)
        slider.focus()
        for _ in range(10):
            page.keyboard.press("ArrowRight")
        page.wait_for_function("() => location.search.includes('keep_p=0.6')", timeout=15_000)
        page.get_by_text("nn.Dropout(p=0.4)").first.wait_for(timeout=15_000)
        wait_idle(page)

        page.locator(".st-key-pg_train button:visible").first.click()
        page.wait_for_function(f"() => {{ const d = {plot_data(page, 'pg_curves')}; "
                               "return d && d.some(t => (t.x || []).length > 2); }", timeout=60_000)
        page.wait_for_function(f"() => {{ const d = {plot_data(page, 'pg_network')}; if (!d) return false; "
                               "const t = d.find(t => t.legendgroup === 'dropped-units'); return t && t.x.length > 0; }",
                               timeout=60_000)
        assert curve_points(page) > 2
        assert dropped_units(page) > 0
        # The live charts are updated in place (Plotly.react), not rebuilt on every refresh.
        last_x = f"(() => {{ const d = {plot_data(page, 'pg_curves')}; const x = d[0].x; return x[x.length - 1]; }})()"
        page.evaluate(f"() => {{ window.__curves = document.querySelector('.st-key-pg_curves .js-plotly-plot');"
                      f" window.__lastX = {last_x}; }}")
        page.wait_for_function(f"() => {last_x} > window.__lastX", timeout=30_000)
        assert page.evaluate("() => document.querySelector('.st-key-pg_curves .js-plotly-plot') === window.__curves")
        # The decision boundaries of the method and its twin are drawn too.
        # .last: while the fragment redraws, the old chart can still be in the page beside the new one.
        page.locator(".st-key-pg_boundary .js-plotly-plot").last.wait_for(timeout=30_000)
        screenshot(page, "playground-training")
        page.locator(".st-key-pg_pause button:visible").first.click()
        page.locator("[data-testid='stProgress']").get_by_text("Paused").last.wait_for(timeout=30_000)
        wait_idle(page)
        # Paused, the masked network becomes an animation over the recorded masks (frames + slider).
        page.wait_for_function("() => { const gd = document.querySelector('.st-key-pg_network .js-plotly-plot');"
                               " return gd && gd._transitionData && gd._transitionData._frames.length > 1"
                               " && gd.querySelector('.slider-container'); }", timeout=30_000)

        # Switch to Chinese: the language is in the URL as well.
        page.locator("[data-testid='stSidebar']").get_by_text("中文", exact=True).click()
        page.get_by_role("heading", name="训练场").wait_for(timeout=30_000)
        page.wait_for_function("() => location.search.includes('lang=')", timeout=15_000)
        wait_idle(page)
        screenshot(page, "playground-zh")
        shared = page.url
        assert "keep_p=0.6" in shared
    except Exception:
        screenshot(page, "playground-failure")
        raise
    finally:
        context.close()

    # A fresh browser session opening the copied link finds the same settings.
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(shared)
        page.wait_for_selector(CONNECTED, timeout=60_000)
        page.get_by_role("heading", name="训练场").wait_for(timeout=30_000)
        wait_idle(page)
        page.locator(".st-key-keep_p").get_by_text("保留概率 p（论文）").wait_for(timeout=30_000)
        page.locator(KEEP_P).wait_for(state="attached", timeout=30_000)
        assert page.locator(KEEP_P).input_value() == "0.6"
        page.get_by_text("nn.Dropout(p=0.4)").first.wait_for(timeout=30_000)
        screenshot(page, "playground-shared-link")
    finally:
        context.close()


def test_bad_url_values_fall_back_with_a_notice(page, app_url):
    open_app(page, f"{app_url}/?keep_p=abc&hidden=0,5&lr=99")
    notice = page.get_by_text("Some settings in the link were not valid")
    notice.wait_for(timeout=30_000)
    body = page.locator("[data-testid='stAlertContentWarning']").first.inner_text()
    assert "keep_p" in body and "hidden" in body and "lr" in body
    assert page.locator(KEEP_P).input_value() == "0.5"
    assert not page.locator("[data-testid='stException']").count()
    screenshot(page, "playground-bad-url")
