"""The Playground in a real browser: slider -> URL, Train -> live curves and dropped units, 中文, shared link."""

import re

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
    return page.evaluate(
        f"() => {{ const d = {plot_data(page, 'pg_curves')}; "
        "return d ? Math.max(0, ...d.map(t => (t.x || []).length)) : 0; }"
    )


def dropped_units(page) -> int:
    return page.evaluate(
        f"() => {{ const d = {plot_data(page, 'pg_network')}; if (!d) return 0; "
        "const t = d.find(t => t.legendgroup === 'dropped-units'); return t ? t.x.length : 0; }"
    )


def test_playground_trains_live_and_shares_its_settings(browser, app_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        # Many epochs, so the run is still training when Pause is pressed on a fast machine
        # (the default 1000 epochs finish in about 40 s).
        open_app(page, f"{app_url}/?epochs=50000")
        page.get_by_role("heading", name="Playground").wait_for(timeout=60_000)
        page.get_by_text("nn.Dropout(p=0.5)").first.wait_for(timeout=30_000)

        # Move the keep-probability slider 0.5 -> 0.52 with the keyboard (step 0.01; each press is a rerun).
        slider = page.locator(KEEP_P)
        slider.focus()
        # One press per rerun: a press that lands while the first rerun redraws the slider can be lost.
        for value in ("0.51", "0.52"):
            slider.focus()
            page.keyboard.press("ArrowRight")
            page.wait_for_function(f"() => location.search.includes('keep_p={value}')", timeout=30_000)
        page.get_by_text("nn.Dropout(p=0.48)").first.wait_for(timeout=15_000)
        wait_idle(page)

        page.locator(".st-key-pg_train button:visible").first.click()
        page.wait_for_function(
            f"() => {{ const d = {plot_data(page, 'pg_curves')}; return d && d.some(t => (t.x || []).length > 2); }}",
            timeout=60_000,
        )
        page.wait_for_function(
            f"() => {{ const d = {plot_data(page, 'pg_network')}; if (!d) return false; "
            "const t = d.find(t => t.legendgroup === 'dropped-units'); return t && t.x.length > 0; }",
            timeout=60_000,
        )
        assert curve_points(page) > 2
        assert dropped_units(page) > 0
        # The live charts are updated in place (Plotly.react), not rebuilt on every refresh.
        last_x = f"(() => {{ const d = {plot_data(page, 'pg_curves')}; const x = d[0].x; return x[x.length - 1]; }})()"
        page.evaluate(
            f"() => {{ window.__curves = document.querySelector('.st-key-pg_curves .js-plotly-plot');"
            f" window.__lastX = {last_x}; }}"
        )
        page.wait_for_function(f"() => {last_x} > window.__lastX", timeout=30_000)
        assert page.evaluate("() => document.querySelector('.st-key-pg_curves .js-plotly-plot') === window.__curves")
        # The decision boundaries of the method and its twin are drawn too.
        # .last: while the fragment redraws, the old chart can still be in the page beside the new one.
        page.locator(".st-key-pg_boundary .js-plotly-plot").last.wait_for(timeout=30_000)
        screenshot(page, "playground-training")
        page.locator(".st-key-pg_pause button:visible").first.click()
        page.locator(".st-key-pg_progress").get_by_text("Paused").last.wait_for(timeout=30_000)
        wait_idle(page)
        # Paused, the masked network becomes an animation over the recorded masks (frames + slider).
        page.wait_for_function(
            "() => { const gd = document.querySelector('.st-key-pg_network .js-plotly-plot');"
            " return gd && gd._transitionData && gd._transitionData._frames.length > 1"
            " && gd.querySelector('.slider-container'); }",
            timeout=30_000,
        )

        # Switch to Chinese: the language is in the URL as well.
        page.locator("[data-testid='stSidebar']").get_by_text("中文", exact=True).click()
        page.get_by_role("heading", name="训练场").wait_for(timeout=30_000)
        page.wait_for_function("() => location.search.includes('lang=')", timeout=15_000)
        wait_idle(page)
        screenshot(page, "playground-zh")
        shared = page.url
        assert "keep_p=0.52" in shared
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
        assert page.locator(KEEP_P).input_value() == "0.52"
        page.get_by_text("nn.Dropout(p=0.48)").first.wait_for(timeout=30_000)
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


# Text of every Plotly chart the page drew: titles, axis titles, annotations, legend entries.
CHART_TEXT_BOXES = """() => [...document.querySelectorAll('.js-plotly-plot')].map((gd) => {
  const svg = gd.querySelector('svg.main-svg').getBoundingClientRect();
  const boxes = [...gd.querySelectorAll('.gtitle, .g-xtitle text, .g-ytitle text, .annotation-text, .legendtext')]
    .map((el) => { const r = el.getBoundingClientRect(); return {text: el.textContent, kind: el.getAttribute('class'),
                                                                   left: r.left, right: r.right, top: r.top, bottom: r.bottom}; })
    .filter((b) => b.text && b.right > b.left);
  const key = (gd.closest('[class*="st-key-"]') || {className: ''}).className.match(/st-key-(\\S+)/);
  return {key: key ? key[1] : '', svg: {left: svg.left, right: svg.right, top: svg.top, bottom: svg.bottom}, boxes};
})"""


def legibility_problems(charts) -> list[str]:
    """Text cut off by its chart's edge, or two annotations/titles of one chart drawn over each other."""
    problems = []
    for chart in charts:
        svg, boxes = chart["svg"], chart["boxes"]
        for box in boxes:
            if (
                box["left"] < svg["left"] - 1
                or box["right"] > svg["right"] + 1
                or box["top"] < svg["top"] - 1
                or box["bottom"] > svg["bottom"] + 1
            ):
                problems.append(f"{chart['key']}: {box['text']!r} is cut off by the chart's edge")
        labels = [box for box in boxes if box["kind"] != "legendtext"]
        for index, first in enumerate(labels):
            for second in labels[index + 1 :]:
                width = min(first["right"], second["right"]) - max(first["left"], second["left"])
                height = min(first["bottom"], second["bottom"]) - max(first["top"], second["top"])
                if width > 2 and height > 2:
                    problems.append(f"{chart['key']}: {first['text']!r} overlaps {second['text']!r}")
    return problems


@pytest.mark.parametrize("language", ["English", "中文"])
@pytest.mark.parametrize("dataset", ["moons", "digits"])
def test_every_view_is_legible_at_1280x720(browser, app_url, language, dataset):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    name = f"legible-{dataset}-{'en' if language == 'English' else 'zh'}"
    try:
        # moons with the p sweep on: its p-response chart, boundary strip and unit maps are checked too
        sweep = "&sweep=1" if dataset == "moons" else ""
        open_app(page, f"{app_url}/?dataset={dataset}&epochs=3&lang={language}{sweep}")
        start = page.locator(".st-key-pg_sweep_start button:visible")
        if start.count():  # a busy machine may estimate the sweep as slow: say yes
            start.first.dispatch_event("click")  # by element, not by position: the page may be redrawing
            wait_idle(page)
        page.locator(".st-key-pg_train button:visible").first.click(timeout=120_000)
        page.locator(".st-key-pg_progress").get_by_text(
            "Completed" if language == "English" else "已完成"
        ).last.wait_for(timeout=180_000)
        wait_idle(page)
        expected = {"pg_curves", "pg_network", "pg_mask"}
        expected |= {"pg_boundary", "pg_response", "pg_strip", "pg_units_0", "pg_units_1"} if sweep else {"pg_images"}
        # The views drawn from the models follow the final refresh, not the "Completed" line: wait for each.
        for key in sorted(expected):
            page.locator(f".st-key-{key} .js-plotly-plot").last.wait_for(timeout=60_000)
        wait_idle(page)
        charts = page.evaluate(CHART_TEXT_BOXES)
        keys = {chart["key"] for chart in charts}
        assert expected <= keys
        screenshot(page, name)
        assert legibility_problems(charts) == []
    except Exception:
        screenshot(page, name + "-failure")
        raise
    finally:
        context.close()


def test_presenter_mode_fits_a_projector_and_space_trains(browser, app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        open_app(page, f"{app_url}/?present=1&epochs=50000")
        page.locator(".st-key-pg_train button:visible").first.wait_for(timeout=60_000)
        wait_idle(page)
        sidebar = page.locator("[data-testid='stSidebar']").bounding_box()
        assert sidebar is None or sidebar["x"] + sidebar["width"] <= 1  # folded away
        for key in ("pg_train", "pg_pause", "pg_step", "pg_present_keep_p", "present", "sweep"):
            box = page.locator(f".st-key-{key}").first.bounding_box()
            assert box is not None and box["x"] >= 0 and box["y"] >= 0, key
            assert box["x"] + box["width"] <= 1280 and box["y"] + box["height"] <= 720, key
        # chart text at least 1.3 times the normal size (12 px)
        page.locator(".st-key-pg_curves .js-plotly-plot").last.wait_for(timeout=30_000)
        size = page.evaluate("() => document.querySelector('.st-key-pg_curves .js-plotly-plot')._fullLayout.font.size")
        assert size >= round(1.3 * 12, 1)
        screenshot(page, "playground-presenter")
        assert legibility_problems(page.evaluate(CHART_TEXT_BOXES)) == []
        # Space = Train, Space again = Pause (the shortcut moves to whichever applies)
        page.locator("h1").first.click()  # focus on the page, not in a widget
        page.keyboard.press("Space")
        page.locator(".st-key-pg_progress").get_by_text("Training").last.wait_for(timeout=60_000)
        wait_idle(page)
        page.locator(".st-key-pg_pause kbd").first.wait_for(timeout=30_000)
        page.locator("h1").first.click()
        page.keyboard.press("Space")
        page.locator(".st-key-pg_progress").get_by_text("Paused").last.wait_for(timeout=30_000)
        wait_idle(page)
        assert page.locator(".st-key-pg_step kbd").first.inner_text() in ("→", "Right")
        step = int(re.search(r"step (\d+)", page.locator(".st-key-pg_progress").last.inner_text()).group(1))
        page.locator("h1").first.click()
        page.keyboard.press("ArrowRight")  # → = Step: one more mini-batch
        # Stepped, still paused, shown by the page itself (no other interaction). The shown step at Pause
        # can trail the worker's by the steps of its last slice, so "more than before" is what is checked.
        page.wait_for_function(
            """(before) => {
              const el = [...document.querySelectorAll('.st-key-pg_progress')].pop();
              const step = el && el.innerText.match(/step (\\d+)/);
              return Boolean(el && el.innerText.startsWith('Paused') && step && Number(step[1]) > before);
            }""",
            arg=step,
            timeout=15_000,
        )
        # The presenter's keep probability sits in the panel (a fragment) but is a setting of the whole page:
        # moving it reruns the page, which puts the new value in the sidebar's setting and the link.
        nudge_left(page, "pg_present_keep_p")
        page.wait_for_function(
            "() => { const p = new URLSearchParams(location.search).get('keep_p');"
            " return p !== null && Number(p) < 0.5; }",
            timeout=30_000,
        )
    except Exception:
        screenshot(page, "playground-presenter-failure")
        raise
    finally:
        context.close()


def boundary_source(page) -> str:
    return page.evaluate(f"() => {{ const d = {plot_data(page, 'pg_boundary')}; return d ? d[0].source : ''; }}")


def curves_title(page) -> str:
    return page.evaluate(
        "() => { const gd = document.querySelector('.st-key-pg_curves .js-plotly-plot');"
        " return gd ? gd._fullLayout.title.text : ''; }"
    )


def test_scrubbing_p_switches_the_boundary_and_the_curves(browser, app_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        open_app(page, f"{app_url}/?sweep=1&epochs=30")
        start = page.locator(".st-key-pg_sweep_start button:visible")
        if start.count():  # a busy machine may estimate the sweep as slow: say yes
            start.first.dispatch_event("click")  # by element, not by position: the page may be redrawing
            wait_idle(page)
        page.locator(".st-key-pg_train button:visible").first.click()
        page.get_by_text("p sweep: Completed").first.wait_for(timeout=180_000)
        wait_idle(page)
        page.wait_for_function(
            f"() => {{ const d = {plot_data(page, 'pg_boundary')}; return d && d[0].source; }}", timeout=30_000
        )
        assert curves_title(page).startswith("<b>p = 0.5")
        # The ended sweep's members reach the page at once (ui.member_board): a scrub redraws in the browser.
        page.wait_for_function(
            "() => window.__dropvizBoards && [...window.__dropvizBoards.values()].some((board) => board.members)",
            timeout=60_000,
        )
        before = boundary_source(page)
        nudge_left(page, "scrub_p")
        page.wait_for_function(
            "() => { const gd = document.querySelector('.st-key-pg_curves .js-plotly-plot');"
            " return gd && gd._fullLayout.title.text.startsWith('<b>p = 0.4'); }",
            timeout=30_000,
        )
        page.wait_for_function(
            f"(before) => {{ const d = {plot_data(page, 'pg_boundary')}; "
            "return d && d[0].source && d[0].source !== before; }",
            arg=before,
            timeout=30_000,
        )
        board_draws = page.evaluate(
            "() => ['pg_curves', 'pg_boundary', 'pg_network', 'pg_mask', 'pg_response', 'pg_units_0'].map((key) =>"
            " (document.querySelector(`.st-key-${key} .js-plotly-plot`).__counts || {}).boardDraws || 0)"
        )
        assert all(draws >= 1 for draws in board_draws), board_draws  # drawn from the board, every chart
        for key, text in (("pg_mask_caption", "p = 0.4:"), ("pg_member_caption", "p = 0.4")):
            page.wait_for_function(
                "([key, text]) => (document.querySelector(`.st-key-${key}`) || {innerText: ''}).innerText.includes(text)",
                arg=[key, text],
                timeout=15_000,
            )
        table = page.locator(".st-key-pg_metrics table").first.inner_text()
        assert "twin" in table and "%" in table and "<" not in table
        page.wait_for_function("() => location.search.includes('scrub_p=0.4')", timeout=15_000)
        page.locator(".st-key-pg_response .js-plotly-plot").last.wait_for(timeout=30_000)
        page.locator(".st-key-pg_strip .js-plotly-plot").last.wait_for(timeout=30_000)
        screenshot(page, "playground-scrub")
    except Exception:
        screenshot(page, "playground-scrub-failure")
        raise
    finally:
        context.close()


# Keeps every websocket the page opens, so that the test can drop Streamlit's connection as a blinking
# Wi-Fi or a page starved of CPU does.
KEEP_SOCKETS = """(() => {
  const Native = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = new Proxy(Native, {
    construct(target, args) { const socket = new target(...args); window.__sockets.push(socket); return socket; },
  });
})();"""


def nudge_left(page, key: str) -> None:
    """One step down on the slider with element key ``key``, by keyboard as a user would."""
    page.locator(f".st-key-{key} input[type='range']").first.focus()
    page.keyboard.press("ArrowLeft")


PROGRESS_STEP = """() => {
  const el = document.querySelector('.st-key-pg_progress');
  const match = el && el.textContent.match(/step ([\\d,]+) \\//);
  return match ? Number(match[1].replace(/,/g, '')) : -1;
}"""


def test_a_page_that_loses_its_connection_finds_its_run_still_training(browser, app_url):
    """Streamlit releases a session's cached resources when its websocket drops; the run must survive
    that (ui.kept) and the page, once reconnected, see it go on to the end."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(KEEP_SOCKETS)
    page = context.new_page()
    try:
        open_app(page, f"{app_url}/?epochs=1000")
        page.locator(".st-key-pg_train button:visible").first.click()
        page.wait_for_function(f"() => ({PROGRESS_STEP})() > 50", timeout=60_000)
        dropped_at = page.evaluate(PROGRESS_STEP)
        assert page.evaluate("() => window.__sockets.filter((s) => s.readyState === 1).length") >= 1
        page.evaluate("() => window.__sockets.forEach((socket) => socket.close())")
        page.wait_for_function(
            "() => window.__sockets.some((s) => s.readyState === 1) && window.__sockets[0].readyState === 3",
            timeout=60_000,
        )  # Streamlit opened a new connection to the same session
        # The line reaches the end: waited for, not read the moment "Completed" shows, since the reconnected
        # page's rerun may still hold the line drawn before the drop (stale) until the rerun ends.
        page.wait_for_function(f"() => ({PROGRESS_STEP})() === 2000", timeout=120_000)
        page.get_by_text("Completed").first.wait_for(timeout=120_000)
        wait_idle(page)
        assert page.evaluate(PROGRESS_STEP) == 2000 > dropped_at
        assert page.locator(".st-key-pg_progress").count() == 1
        assert page.get_by_text("Settings changed").count() == 0
        screenshot(page, "playground-reconnected")
    except Exception:
        screenshot(page, "playground-reconnect-failure")
        raise
    finally:
        context.close()
