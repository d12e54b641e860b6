"""The live route (ui.live_stream): a session's new curve points and progress, to that session only."""

import asyncio
import concurrent.futures
import gc
import json
import threading
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dropviz.config import RunConfig
from dropviz.runner import BackgroundRunner
from dropviz.viz.playground import metrics_frame
from ui import live_stream, session
from ui.i18n import translator
from ui.live_stream import LIVE, curve_row, live_payload, live_route, period_ms, stream_spec, views_seconds
from ui.playground_views import figure_labels, live_curves
from ui.text.playground import TEXT

APP = str(Path(__file__).resolve().parents[1] / "app.py")
SMALL = RunConfig(dataset="moons", hidden=(4,), epochs=5, batch_size=40)


def finished_holder(config: RunConfig) -> session.TrainerHolder:
    holder = session.TrainerHolder()
    holder.config = config
    holder.runner = BackgroundRunner(config)
    holder.runner.start()
    assert holder.runner.wait(timeout=60)
    return holder


@pytest.fixture
def holders():
    made = []

    def make(config=SMALL):
        holder = finished_holder(config)
        made.append(holder)
        return holder

    yield make
    for holder in made:
        holder.close()


def ask(path: str, query: str = "", route=None) -> tuple[int, bytes]:
    """GET ``path`` through ``route`` (the live route by default) as Starlette would call it (no server)."""
    route = route or live_route()
    matched, child = route.matches({"type": "http", "path": path, "method": "GET"})
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": query.encode(),
        "headers": [],
        **child,
    }
    if matched.name != "FULL":
        return 404, b"no such route"
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    # In its own thread: the browser tests' Playwright keeps an event loop running in the main thread.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, route.handle(scope, receive, send)).result()
    status = next(message["status"] for message in sent if message["type"] == "http.response.start")
    body = b"".join(message.get("body", b"") for message in sent if message["type"] == "http.response.body")
    return status, body


def test_the_route_answers_only_the_asking_sessions_points_after_since(holders):
    first = holders(SMALL)
    second = holders(SMALL.model_copy(update={"seed": 7, "twin": False}))
    first.live_text = translator(TEXT, inside_page=False)
    status, body = ask(f"/{live_stream.LIVE_PATH}/{first.live_token}", "since=2")
    assert status == 200
    answer = json.loads(body)
    evaluations = first.runner.snapshot().evaluations
    assert [evaluation.step for evaluation in evaluations] == [1, 2, 3, 4, 5]
    # Only the evaluations after step 2, each in curves_figure's trace order, method then twin.
    assert answer["x"] == [round(evaluation.epoch, 4) for evaluation in evaluations[2:]]
    assert answer["y"][0] == curve_row(evaluations[2], ("method", "baseline"))
    assert answer["y"][0][0] == round(evaluations[2].metrics["method"]["train_loss"], 6)
    assert answer["y"][0][3] == round(evaluations[2].metrics["baseline"]["test_loss"], 6)
    assert answer["last_step"] == 5 and answer["state"] == "completed"
    assert answer["step"] == answer["total"] == first.runner.snapshot().started.total_steps
    assert answer["text"].startswith("Completed · epoch 5 / 5")
    assert answer["run"] == live_stream.runner_key(first.runner)

    status, body = ask(f"/{live_stream.LIVE_PATH}/{second.live_token}", "since=-1")
    other = json.loads(body)
    assert status == 200 and other["run"] == live_stream.runner_key(second.runner) != answer["run"]
    # The second session's own run (no twin: four traces per point), not the first one's numbers.
    second_evaluations = second.runner.snapshot().evaluations
    assert other["y"] == [curve_row(evaluation, ("method",)) for evaluation in second_evaluations]
    assert len(other["y"][0]) == 4 and other["y"] != answer["y"][: len(other["y"])]

    status, body = ask(f"/{live_stream.LIVE_PATH}/{first.live_token}", "since=5")
    assert json.loads(body)["x"] == []  # nothing new


def test_unknown_token_and_bad_since_are_refused_without_echo(holders):
    holder = holders()
    status, body = ask(f"/{live_stream.LIVE_PATH}/not-a-token<script>")
    assert status == 404 and b"script" not in body
    status, body = ask(f"/{live_stream.LIVE_PATH}/{holder.live_token}", "since=abc")
    assert status == 400 and b"abc" not in body


def test_a_released_session_frees_its_token(holders):
    holder = finished_holder(SMALL)
    token = holder.live_token
    assert LIVE.get(token) is holder
    holder.close()
    assert LIVE.get(token) is None
    assert ask(f"/{live_stream.LIVE_PATH}/{token}")[0] == 404
    # Held weakly: a holder that is simply dropped (no close) drops out as well.
    dropped = session.TrainerHolder()
    dropped_token = dropped.live_token
    del dropped
    gc.collect()
    assert LIVE.get(dropped_token) is None


def test_tokens_are_distinct_secrets():
    made = [session.TrainerHolder() for _ in range(50)]
    tokens = {holder.live_token for holder in made}
    assert len(tokens) == 50 and all(len(token) >= 32 for token in tokens)
    for holder in made:
        holder.close()


def test_streamed_rows_extend_the_figures_own_traces(holders):
    """The route's row i is the value trace i of the curves figure shows for that evaluation."""
    holder = holders()
    snapshot = holder.runner.snapshot()
    labels = figure_labels(translator(TEXT, inside_page=False), SMALL)
    figure = live_curves(snapshot, SMALL, metrics_frame(snapshot.evaluations), labels)
    spec = stream_spec(holder, snapshot, SMALL)
    assert spec["since"] == 5 and spec["points"] == 5 and spec["traces"] == list(range(8))
    row = live_payload(holder, since_step=4)["y"][0]
    for index in spec["traces"]:
        assert float(figure.data[index].y[-1]) == pytest.approx(row[index], rel=1e-5)


def test_net_drawn_views_come_with_every_run_alone_and_every_other_run_in_a_class(monkeypatch):
    monkeypatch.setattr(session.REGISTRY, "load", lambda: 1)
    assert live_stream.live_predictions_seconds(1.0) == 0.5  # shorter than the runs' interval: every run
    monkeypatch.setattr(session.REGISTRY, "load", lambda: 8)
    # Runs 4 s apart: reused at the next run (4 s < 6 s), redrawn at the one after (8 s).
    assert live_stream.live_predictions_seconds(4.0) == 6.0


def test_poll_and_views_intervals_adapt_to_load():
    assert period_ms(1) == 200 and period_ms(30) == 450 and period_ms(60) == 500
    assert views_seconds(0.05, 1) == 1.0
    # 30 sessions at 150 ms a rerun would need 22.5 s to stay within a fifth of a core: capped at 16 s.
    assert views_seconds(0.15, 30) == 16.0
    # 8 sessions: 6 s, rounded up to a power of two.
    assert views_seconds(0.15, 8) == 8.0
    # A measured cost below the floor counts as the floor (0.1 s): 4 sessions need 2 s, not 1 s.
    assert views_seconds(0.02, 4) == 2.0


def test_an_interval_just_chosen_is_never_stale_at_the_same_load():
    """A stale interval takes a full rerun of the page, which chooses views_seconds again: were that choice
    stale itself, every views rerun would be a full one (it was, for a need of 8-9.6 s: 8 pages at ~0.2 s)."""
    for sessions in range(1, 61):
        for cost in [0.01 * step for step in range(1, 101)]:
            current = views_seconds(cost, sessions)
            needed = max(live_stream.VIEWS_MIN_SECONDS, sessions * max(cost, 0.1) / live_stream.VIEWS_SHARE)
            assert not live_stream.interval_stale(current, needed), (sessions, cost, current, needed)
    # Still changes when the load does: up past a fifth over, down well below.
    assert live_stream.interval_stale(8.0, 9.7) and not live_stream.interval_stale(16.0, 9.0)
    assert live_stream.interval_stale(16.0, 6.0) and not live_stream.interval_stale(8.0, 4.0)


def test_the_server_load_is_counted_at_most_twice_a_second(monkeypatch):
    class Page:  # a holder as the registry keeps it: weakly
        pass

    registry = session._Registry()
    pages = [Page() for _ in range(4)]
    for page in pages[:3]:
        registry.add(page)
    asked = []
    monkeypatch.setattr(registry, "active", lambda: asked.append(1) or 5)
    assert registry.load() == 5 and registry.load() == 5 and len(asked) == 1
    registry.add(pages[3])  # a new page counts at once
    assert registry.load() == 5 and len(asked) == 2
    monkeypatch.setattr(registry, "LOAD_MAX_AGE_SECONDS", 0.0)
    registry.load()
    assert len(asked) == 3


def test_one_thread_counts_the_load_while_the_others_take_the_last_count(monkeypatch):
    """Thirty streams asking as the count expires: one walks every run, the rest do not wait for it."""

    class Page:
        pass

    registry = session._Registry()
    page = Page()
    registry.add(page)
    counting, release = threading.Event(), threading.Event()

    def slow_count():
        counting.set()
        release.wait(10)
        return 7

    monkeypatch.setattr(registry, "active", lambda: 3)
    assert registry.load() == 3
    monkeypatch.setattr(registry, "LOAD_MAX_AGE_SECONDS", 0.0)
    monkeypatch.setattr(registry, "active", slow_count)
    counter = threading.Thread(target=registry.load)
    counter.start()
    assert counting.wait(10)
    started = time.monotonic()
    assert registry.load() == 3  # the last count, at once
    assert time.monotonic() - started < 1.0
    release.set()
    counter.join(10)
    assert registry._load[1] == 7


def trained_page(monkeypatch, route: bool) -> AppTest:
    if route:
        monkeypatch.setenv(live_stream.ROUTE_ENV, "1")
    else:
        monkeypatch.delenv(live_stream.ROUTE_ENV, raising=False)
    monkeypatch.setenv("DROPVIZ_TRAINER_BACKEND", "thread")
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["epochs"] = "400"
    at.query_params["dataset"] = "moons"
    at.run()
    at.button(key="pg_train").click().run()
    assert not at.exception
    return at


def component_data(at: AppTest, key: str) -> dict | None:
    for component in at.get("bidi_component"):
        if component.key == key:
            return json.loads(component.proto.json)
    return None


def test_without_the_route_the_page_keeps_the_fragment_progress_bar(monkeypatch, fresh_sessions):
    """AppTest, like `streamlit run app.py`, has no live route: Streamlit's own bar, charts without a stream."""
    at = trained_page(monkeypatch, route=False)
    bars = at.get("progress")
    assert len(bars) == 1 and bars[0].proto.text.split(" · ")[0] in ("Starting…", "Training", "Completed")
    assert component_data(at, "pg_progress_line") is None
    assert "stream" not in component_data(at, "pg_curves")


def test_with_the_route_the_progress_line_and_curves_carry_the_stream(monkeypatch, fresh_sessions):
    at = trained_page(monkeypatch, route=True)
    assert not at.get("progress")
    line = component_data(at, "pg_progress_line")
    holder = next(holder for holder in session.REGISTRY.holders() if isinstance(holder, session.TrainerHolder))
    assert line["kind"] == "progress" and line["text"].split(" · ")[0] in ("Starting…", "Training")
    stream = line["stream"]
    assert stream["url"] == f"{live_stream.LIVE_PATH}/{holder.live_token}"
    assert stream["run"] == live_stream.runner_key(holder.runner) and stream["traces"] == list(range(8))
    assert component_data(at, "pg_curves")["stream"] == stream  # one cursor for both
    holder.runner.stop()


def read_events(path: str, query: str = "", headers: tuple = ()):
    """Open the events route as a browser's EventSource would (no server); returns (status, events so far,
    the thread reading the stream). Each event is a dict of its fields (``data`` parsed from JSON)."""
    route = live_stream.events_route()
    matched, child = route.matches({"type": "http", "path": path, "method": "GET"})
    assert matched.name == "FULL"
    scope = {"type": "http", "method": "GET", "path": path, "query_string": query.encode(), "headers": list(headers)}
    scope.update(child)
    chunks, started = [], {}

    async def receive():
        await asyncio.Event().wait()  # the browser never hangs up here: the stream ends on its own

    async def send(message):
        if message["type"] == "http.response.start":
            started["status"] = message["status"]
        else:
            chunks.append(message.get("body", b"").decode())

    def events():
        parsed = []
        for block in "".join(chunks).split("\n\n"):
            fields = {}
            for line in block.splitlines():
                name, _, value = line.partition(": ")
                fields[name] = json.loads(value) if name == "data" else value
            if fields:
                parsed.append(fields)
        return parsed

    reader = threading.Thread(target=asyncio.run, args=(route.handle(scope, receive, send),), daemon=True)
    reader.start()
    return started, events, reader


def wait_until(condition, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_the_events_route_pushes_the_same_answers_and_ends_with_the_session(holders, monkeypatch):
    monkeypatch.setattr(live_stream, "EVENTS_IDLE_SECONDS", 0.05)
    holder = finished_holder(SMALL)
    holder.live_text = translator(TEXT, inside_page=False)
    path = f"/{live_stream.LIVE_PATH}/{holder.live_token}/events"
    started, events, reader = read_events(path, f"since=2&run={live_stream.runner_key(holder.runner)}")
    assert wait_until(lambda: any("data" in event for event in events()))
    assert started["status"] == 200
    first = next(event for event in events() if "data" in event)
    # The poll's answer for the same cursor, with the event's id at its last step (a reconnect resumes there).
    polled = json.loads(ask(f"/{live_stream.LIVE_PATH}/{holder.live_token}", "since=2")[1])
    assert first["data"]["steps"] == [3, 4, 5] and first["data"]["y"] == polled["y"] and first["id"] == "5"
    assert events()[0] == {"retry": str(live_stream.EVENTS_RETRY_MS)}
    time.sleep(0.3)  # an ended run: nothing new is sent again
    assert sum("data" in event for event in events()) == 1
    holder.close()
    reader.join(10)
    assert not reader.is_alive() and events()[-1]["event"] == "gone"


def test_the_events_route_resumes_after_the_last_event_and_follows_a_new_run(holders, monkeypatch):
    monkeypatch.setattr(live_stream, "EVENTS_IDLE_SECONDS", 0.05)
    holder = finished_holder(SMALL)
    path = f"/{live_stream.LIVE_PATH}/{holder.live_token}/events"
    # A browser reconnecting sends the last id it saw: only what came after it.
    _, events, reader = read_events(path, "since=-1", headers=((b"last-event-id", b"4"),))
    assert wait_until(lambda: any("data" in event for event in events()))
    assert next(event for event in events() if "data" in event)["data"]["steps"] == [5]
    # Asked for another run than the session's (Train after Reset since): the session's run from its start.
    _, other_events, other_reader = read_events(path, "since=4&run=an-older-run")
    assert wait_until(lambda: any("data" in event for event in other_events()))
    assert next(event for event in other_events() if "data" in event)["data"]["steps"] == [1, 2, 3, 4, 5]
    holder.close()
    reader.join(10)
    other_reader.join(10)
    assert not reader.is_alive() and not other_reader.is_alive()


def test_the_events_route_refuses_unknown_sessions_and_bad_cursors_without_echo(holders):
    holder = holders()
    started, events, reader = read_events(f"/{live_stream.LIVE_PATH}/no-such<b>/events")
    reader.join(10)
    assert started["status"] == 404 and "<b>" not in "".join(str(event) for event in events())
    started, events, reader = read_events(f"/{live_stream.LIVE_PATH}/{holder.live_token}/events", "since=x<i>")
    reader.join(10)
    assert started["status"] == 400 and "<i>" not in "".join(str(event) for event in events())


def test_a_stream_opened_before_train_gets_the_run_as_soon_as_it_starts(monkeypatch):
    """A page listens before its first Train; the Train press wakes its stream (it is not asked again for seconds)."""
    monkeypatch.setattr(live_stream, "EVENTS_IDLE_SECONDS", 60.0)
    holder = session.TrainerHolder()
    try:
        _, events, reader = read_events(f"/{live_stream.LIVE_PATH}/{holder.live_token}/events", "since=-1")
        assert wait_until(lambda: len(holder.live_wakers) == 1)
        time.sleep(0.2)
        assert [event for event in events() if "data" in event] == []  # nothing trains: nothing sent
        holder.config = SMALL
        holder.runner = BackgroundRunner(SMALL)
        holder.runner.start()
        assert holder.runner.wait(timeout=60)
        live_stream.wake(holder)
        assert wait_until(lambda: any("data" in event for event in events()), timeout=10)
        sent = next(event for event in events() if "data" in event)["data"]
        assert sent["run"] == live_stream.runner_key(holder.runner) and sent["steps"] == [1, 2, 3, 4, 5]
    finally:
        holder.close()  # its stream ends at once with a "gone" event (it was not to look again for a minute)
    reader.join(10)
    assert not reader.is_alive() and events()[-1]["event"] == "gone"


def test_pages_that_pressed_train_together_do_not_rerun_together():
    """Each page's views interval is stretched by its own factor, so a class's reruns drift apart."""
    holders = [session.TrainerHolder() for _ in range(30)]
    try:
        stretches = [holder.views_stretch for holder in holders]
        assert all(1.0 <= stretch < 1.0 + live_stream.VIEWS_SPREAD for stretch in stretches)
        # 30 pages at 16 s: after one interval their reruns are spread over seconds, not one instant.
        first_reruns = sorted(16.0 * stretch for stretch in stretches)
        assert first_reruns[-1] - first_reruns[0] > 2.0 and len(set(first_reruns)) == 30
    finally:
        for holder in holders:
            holder.close()


def test_a_training_run_s_first_point_is_pushed_the_moment_it_is_published(monkeypatch):
    """Between its start and its first evaluation a stream waits on the run's log, not a whole period:
    a class's first points reach the pages as they come (docs/classroom.md, session 10)."""
    from dropviz.run_state import RunState
    from dropviz.train import Evaluation

    monkeypatch.setattr(live_stream, "period_ms", lambda sessions: 60_000)  # the period alone would take a minute
    holder = session.TrainerHolder()
    try:
        holder.config = SMALL
        holder.runner = BackgroundRunner(SMALL)  # never started: this test publishes its events
        holder.runner.log.set_state(RunState.RUNNING)
        _, events, reader = read_events(f"/{live_stream.LIVE_PATH}/{holder.live_token}/events", "since=-1")
        assert wait_until(lambda: len(holder.live_wakers) == 1)
        live_stream.wake(holder)  # as the Train press does

        def sent() -> list:
            return [event["data"]["steps"] for event in events() if "data" in event]

        assert wait_until(lambda: len(sent()) > 0, timeout=10)
        published = time.monotonic()
        metrics = {"method": {"train_loss": 0.5, "train_error": 0.25, "test_loss": 0.6, "test_error": 0.3}}
        holder.runner.log.publish(Evaluation(step=7, epoch=0.5, metrics=metrics))
        assert wait_until(lambda: [7] in sent(), timeout=10)
        assert time.monotonic() - published < 5.0  # not the minute's period
        # Training without a point until then (one answer to the stream's first look, one to the wake when
        # it came after that look), then the point, once.
        *before, last = sent()
        assert 1 <= len(before) <= 2 and all(steps == [] for steps in before) and last == [7]
    finally:
        holder.close()
    reader.join(10)
    assert not reader.is_alive()
