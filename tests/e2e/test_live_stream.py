"""The live route in a real browser: the curves grow and the progress line moves between fragment runs."""

import pytest

from .conftest import open_app

pytestmark = pytest.mark.e2e

PROGRESS = ".st-key-pg_progress .dropviz-progress"
CHART = ".st-key-pg_curves .dropviz-live-chart"
# In-page sampler: every progress-line text seen, with the fragment runs the line had been drawn by then.
SAMPLE = (
    """() => {
  window.__seen = [];
  window.__sampler = setInterval(() => {
    const root = document.querySelector(%r);
    if (!root || !root.__counts) return;
    const text = root.querySelector('.dropviz-progress-text').textContent;
    const last = window.__seen[window.__seen.length - 1];
    if (!last || last.text !== text) window.__seen.push({text, runs: root.__counts.runs});
  }, 40);
}"""
    % PROGRESS
)


def counts(page, selector: str) -> dict:
    return page.evaluate(f"() => ({{...(document.querySelector({selector!r}) || {{}}).__counts}})")


def test_curves_receive_points_and_progress_moves_without_fragment_runs(browser, app_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        open_app(page, f"{app_url}/?epochs=3000")
        page.evaluate(SAMPLE)
        page.locator(".st-key-pg_train button:visible").first.click()
        page.locator(PROGRESS).get_by_text("Training").wait_for(timeout=60_000)
        # Points the server never drew: the curves hold more than the newest figure the fragment sent,
        # appended by Plotly.extendTraces from the live route's answers.
        page.wait_for_function(
            f"() => {{ const c = document.querySelector({CHART!r}); return c && c.__counts && c.data"
            " && c.__counts.extends > 2 && c.data[0].x.length > c.__counts.reacted; }",
            timeout=60_000,
        )
        page.wait_for_timeout(3000)
        seen = page.evaluate("() => window.__seen")
        chart = counts(page, CHART)
        line = counts(page, PROGRESS)
        assert chart["points"] > 0 and chart["extends"] > 2
        # The progress line changed more often from the route than the fragment ran.
        assert line["polled"] > line["runs"] >= 1
        training = [entry for entry in seen if entry["text"].startswith("Training")]
        steps = [int(entry["text"].split("step ")[1].split(" /")[0]) for entry in training]
        assert steps == sorted(steps) and steps[-1] > steps[0]
        # Several consecutive lines drawn within one fragment run: they came from the route.
        same_run = max(sum(1 for entry in training if entry["runs"] == runs) for runs in {e["runs"] for e in training})
        assert same_run >= 2
        # Stopped, the line says so: the component asked the fragment to rerun at the state change.
        page.locator(".st-key-pg_stop button:visible").first.click()
        page.locator(PROGRESS).get_by_text("Stopped").wait_for(timeout=30_000)
    finally:
        context.close()


def test_the_progress_line_moves_without_plotly_js(browser, app_url):
    """The classroom benchmark's non-drawing pages: plotly.js is an empty script, the line still moves."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route(
        "**/plotly-*.min.js", lambda route: route.fulfill(status=200, body="", content_type="application/javascript")
    )
    page = context.new_page()
    try:
        open_app(page, f"{app_url}/?epochs=300")
        page.evaluate(SAMPLE)
        page.locator(".st-key-pg_train button:visible").first.click()
        page.locator(PROGRESS).get_by_text("Completed").wait_for(timeout=120_000)
        seen = page.evaluate("() => window.__seen")
        assert len([entry for entry in seen if entry["text"].startswith("Training")]) >= 2
        assert counts(page, PROGRESS)["polled"] >= 2
        # Completion reran the page: the latest metrics table (server-drawn) shows the final numbers.
        page.locator("[data-testid='stMarkdown'] table").first.wait_for(timeout=30_000)
    finally:
        context.close()
