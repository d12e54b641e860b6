"""The live route in a real browser: the curves grow and the progress line moves between fragment runs,
from one stream of server-sent events per page."""

import pytest

from .conftest import open_app, served_app, wait_idle

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


@pytest.fixture(scope="module")
def app_url():
    """The app as serve.py serves it: with the live route."""
    with served_app(script="serve.py") as (base, _):
        yield base.rstrip("/")


def counts(page, selector: str) -> dict:
    return page.evaluate(f"() => ({{...(document.querySelector({selector!r}) || {{}}).__counts}})")


def test_curves_receive_points_and_progress_moves_without_fragment_runs(browser, app_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        open_app(page, f"{app_url}/?epochs=100000")  # long enough that Stop, not the end, finishes it
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
        # Two changes of the progress line between two fragment runs: they came from the route.
        page.wait_for_function(
            f"() => {{ const root = document.querySelector({PROGRESS!r}); const c = root && root.__counts;"
            " if (!c) return false;"
            " if (!window.__base || window.__base.runs !== c.runs) { window.__base = {...c}; return false; }"
            " return c.polled - window.__base.polled >= 2; }",
            timeout=60_000,
            polling=50,
        )
        seen = page.evaluate("() => window.__seen")
        chart = counts(page, CHART)
        assert chart["points"] > 0 and chart["extends"] > 2 and chart["received"] > 0
        # When the chart first took and drew a point (the classroom benchmark's first point): set once.
        assert 0 < chart["receivedAt"] and 0 < chart["plottedAt"] <= page.evaluate("() => Date.now()")
        # Every point once, in order: points pushed while the server drew a figure are appended to it
        # once it is drawn, and none twice (the figure's and the pushed ones meet without overlap).
        xs = page.evaluate(f"() => Array.from(document.querySelector({CHART!r}).data[0].x)")
        assert len(xs) > chart["reacted"] and all(a < b for a, b in zip(xs, xs[1:]))
        # One pushed stream for the page (server-sent events), not a request per update.
        feeds = page.evaluate(
            "() => Object.values(window.__dropvizLive).map((f) => [f.source instanceof EventSource, f.answers])"
        )
        assert len(feeds) == 1 and feeds[0][0] and feeds[0][1] >= 3
        training = [entry for entry in seen if entry["text"].startswith("Training")]
        steps = [int(entry["text"].split("step ")[1].split(" /")[0]) for entry in training]
        assert len(steps) >= 3 and steps == sorted(steps) and steps[-1] > steps[0]  # never steps back
        # Stop (a panel rerun, then a full one that turns the views' timer off): the progress area shows the
        # new state, drawn by the server's rerun or by the route's last answer, whichever lands first.
        page.locator(".st-key-pg_stop button:visible").first.click()
        page.get_by_text("Stopped · epoch").first.wait_for(timeout=30_000)
    finally:
        context.close()


def script_runs(frames: list[dict]) -> list[str]:
    """How each script run the server finished ended (Streamlit's ForwardMsg.script_finished), in order."""
    import base64

    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    ended = []
    for frame in frames:
        if frame["opcode"] != 2:  # binary frames carry the protobuf messages
            continue
        message = ForwardMsg.FromString(base64.b64decode(frame["payloadData"]))
        if message.WhichOneof("type") == "script_finished":
            ended.append(ForwardMsg.ScriptFinishedStatus.Name(message.script_finished))
    return ended


def test_a_train_press_reruns_the_panel_and_the_listening_curves_take_the_first_points(browser, app_url):
    """Train reruns the panel fragment (buttons, progress, views), not the sidebar and the header: the
    browser's share of a class's presses (docs/classroom.md, session 10). The curves drawn before the
    press keep their place and take the first points from the stream."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        open_app(page, f"{app_url}/?epochs=100000")
        page.wait_for_function(f"() => !!document.querySelector({CHART!r})", timeout=60_000)
        page.evaluate(f"() => {{ document.querySelector({CHART!r}).__before_train = true; }}")
        cdp = context.new_cdp_session(page)
        frames: list[dict] = []
        cdp.on("Network.webSocketFrameReceived", lambda event: frames.append(event["response"]))
        cdp.send("Network.enable")
        page.locator(".st-key-pg_train button:visible").first.click()
        page.locator(PROGRESS).get_by_text("Training").wait_for(timeout=60_000)
        page.wait_for_function(
            f"() => {{ const c = document.querySelector({CHART!r}); return c && c.__counts.received > 0; }}",
            timeout=60_000,
        )
        wait_idle(page)
        ended = script_runs(list(frames))
        assert "FINISHED_FRAGMENT_RUN_SUCCESSFULLY" in ended
        assert "FINISHED_SUCCESSFULLY" not in ended, ended  # a full run would have redrawn the sidebar too
        assert page.evaluate(f"() => document.querySelector({CHART!r}).__before_train === true")
        page.locator(".st-key-pg_stop button:visible").first.click()
        page.get_by_text("Stopped · epoch").first.wait_for(timeout=30_000)
    finally:
        context.close()


def test_the_page_rehearses_the_first_point_off_screen_once_and_leaves_the_curves_untouched(browser, app_url):
    """While the user reads the page, a copy of the empty curves off screen takes a few points once, so
    that a run's first point is not plotly.js's first (cold) redraw (docs/classroom.md, session 12)."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        open_app(page, f"{app_url}/?epochs=100000")
        page.wait_for_function("() => window.__dropvizRehearsal && window.__dropvizRehearsal.done", timeout=60_000)
        rehearsal = page.evaluate("() => ({...window.__dropvizRehearsal})")
        assert rehearsal["ms"] is not None and rehearsal["ms"] > 0
        # Nothing of it stays in the page, and the visible curves neither grew nor were redrawn by it.
        assert page.locator(".dropviz-rehearsal").count() == 0
        charts = page.evaluate(
            "() => [...document.querySelectorAll('.js-plotly-plot')].map((gd) => !!gd.closest('[class*=st-key-]'))"
        )
        assert charts and all(charts)
        chart = counts(page, CHART)
        assert chart["extends"] == 0 and chart["points"] == 0 and chart["reacts"] == 1
        assert page.evaluate(f"() => document.querySelector({CHART!r}).data.every((t) => (t.x || []).length === 0)")
        # Once per page: later figures (the Train press's) do not rehearse again; the run's points are drawn.
        page.locator(".st-key-pg_train button:visible").first.click()
        page.wait_for_function(
            f"() => {{ const c = document.querySelector({CHART!r}); return c && c.__counts.extends > 0; }}",
            timeout=60_000,
        )
        assert page.evaluate("() => window.__dropvizRehearsal.ms") == rehearsal["ms"]
        assert page.locator(".dropviz-rehearsal").count() == 0
        page.locator(".st-key-pg_stop button:visible").first.click()
        page.get_by_text("Stopped · epoch").first.wait_for(timeout=30_000)
    finally:
        context.close()


def test_a_starved_page_redraws_its_curves_less_often_and_loses_no_point(browser, app_url):
    """Under Chrome's CPU throttling (a slow laptop) a redraw of the curves takes long: the next one waits
    twice as long and takes every point received meanwhile, each once and in order."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        open_app(page, f"{app_url}/?epochs=100000")
        page.wait_for_function("() => window.__dropvizRehearsal && window.__dropvizRehearsal.done", timeout=60_000)
        cdp = context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 20})
        page.locator(".st-key-pg_train button:visible").first.dispatch_event("click")
        page.wait_for_function(
            f"() => {{ const c = document.querySelector({CHART!r}); return c && c.__counts.deferred >= 2; }}",
            timeout=120_000,
            polling=500,
        )
        chart = counts(page, CHART)
        assert chart["extends"] < chart["answers"], chart  # answers collected into fewer redraws
        # In one look (no answer comes between): the curves end with exactly the pushed points (those the
        # page still keeps) after the server's latest figure up to the newest drawn step, each once, in order.
        # The look waits for a moment with two such points: right after a timed views rerun the new figure
        # already holds every point, and nothing has been pushed since (CI run of 8b3ed24).
        look = page.wait_for_function(
            f"""() => {{
              const c = document.querySelector({CHART!r}); const feed = Object.values(window.__dropvizLive)[0];
              const since = c.__figureSince, upto = c.__step.step;
              const pushed = feed.recent.filter((p) => p.step > since && p.step <= upto).map((p) => p.x);
              return pushed.length >= 2 && {{ drawn: Array.from(c.data[0].x).slice(c.__counts.reacted), pushed }};
            }}""",
            timeout=120_000,
            polling=500,
        ).json_value()
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
        assert look["drawn"][-len(look["pushed"]) :] == look["pushed"]
        assert all(a < b for a, b in zip(look["drawn"], look["drawn"][1:]))
        page.locator(".st-key-pg_stop button:visible").first.click()
        page.get_by_text("Stopped · epoch").first.wait_for(timeout=60_000)
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
        # Long enough for several pushes on a fast machine too: 100 epochs ended within one answer on CI's.
        open_app(page, f"{app_url}/?epochs=1000")
        page.evaluate(SAMPLE)
        page.locator(".st-key-pg_train button:visible").first.click()
        page.locator(PROGRESS).get_by_text("Completed").wait_for(timeout=180_000)
        seen = page.evaluate("() => window.__seen")
        assert len([entry for entry in seen if entry["text"].startswith("Training")]) >= 2
        assert counts(page, PROGRESS)["polled"] >= 2
        # The completion seen by a poll reran the page: the server drew the completed state and the
        # latest metrics table.
        page.wait_for_function(
            f"() => {{ const root = document.querySelector({PROGRESS!r});"
            " return root && root.__drawn && root.__drawn.state === 'completed'; }",
            timeout=30_000,
        )
        page.locator("[data-testid='stMarkdown'] table").first.wait_for(timeout=30_000)
    finally:
        context.close()
