"""What a Playground page listens to while its run trains: new curve points and the progress line, as JSON.

A live refresh that reruns the Streamlit fragment rebuilds every figure of the page (hundreds of
milliseconds of server CPU per session at classroom load, and as much again in the browser).
``serve.py`` mounts :func:`events_route` (and :func:`live_route`, one answer per request) on Streamlit's
ASGI app; the page's live chart component opens ``GET /_dropviz/live/{token}/events?since=STEP``, gets
the evaluations after STEP and the progress pushed once per period, and extends its curves in place;
the fragment reruns only for the views the server must draw.

The token is a per-session secret (``secrets.token_urlsafe``) held in a weak registry: a closed
session's holder drops out, and its token then answers 404 like any unknown one. Nothing from the
request is reflected in the answer."""

from __future__ import annotations

import math
import os
import secrets
import threading
import time
import weakref

from dropviz.run_state import ACTIVE_STATES

LIVE_PATH = "_dropviz/live"  # relative to the page, like the app's static files
# serve.py sets this before the server starts; pages without it (plain `streamlit run app.py`,
# AppTest) keep refreshing through the fragment alone. An environment variable, not a module flag:
# it survives a module reload by Streamlit's file watcher.
ROUTE_ENV = "DROPVIZ_LIVE_ROUTE"
# How often a page's stream gets an answer: fast on a quiet server, slower as sessions add up (each answer
# costs the server about a millisecond), never slower than twice a second so that every page moves each second.
PERIOD_MIN_MS = 200
PERIOD_MAX_MS = 500
PERIOD_MS_PER_SESSION = 15
# Server-sent events: how soon a dropped stream reconnects, how often a stream with nothing new says
# it is alive, and how often it looks at a run that is not training (paused, ended: the page closes it).
EVENTS_RETRY_MS = 2000
EVENTS_KEEPALIVE_SECONDS = 15.0
EVENTS_IDLE_SECONDS = 2.0
# Evaluations sent in one answer at most (a page that fell far behind catches up over a few answers).
MAX_POINTS_PER_ANSWER = 400
# The fragment (masked network, boundary, mask, metrics table) reruns this often in stream mode:
# at least a second apart, and slower with load so that all sessions' reruns fit in VIEWS_SHARE of a core.
# A rerun costs the browser about as much as the server (docs/classroom.md), and both share the CPU
# with the trainers: a class's views refresh every 16 s while its curves and progress stream.
VIEWS_MIN_SECONDS = 1.0
VIEWS_MAX_SECONDS = 16.0
VIEWS_SHARE = 0.2
# Each page's views interval is up to this fraction longer, at random per session: a class that pressed
# Train together otherwise reruns together, 30 pages queueing for the server at once every interval.
VIEWS_SPREAD = 0.25
# What a views rerun is taken to cost at least: measured ones start low (a quiet server's first runs) and
# would step a class's interval up, a full rerun of every page each step, as the measurements come in.
VIEWS_COST_FLOOR_SECONDS = 0.1
# Up to this many training pages the fragment also reruns when a run's first point arrives (the trained
# views at once); a class waits for the next timed rerun instead of adding one per page to its start.
FIRST_POINT_VIEWS_MAX_SESSIONS = 4


def route_mounted() -> bool:
    return os.environ.get(ROUTE_ENV) == "1"


class LiveRegistry:
    """token -> the session's trainer holder, weakly: a released session frees its entry."""

    def __init__(self):
        self._lock = threading.Lock()
        self._holders: "weakref.WeakValueDictionary[str, object]" = weakref.WeakValueDictionary()

    def register(self, holder) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._holders[token] = holder
        return token

    def discard(self, token: str | None) -> None:
        with self._lock:
            self._holders.pop(token, None)

    def get(self, token: str):
        with self._lock:
            return self._holders.get(token)

    def __len__(self) -> int:
        with self._lock:
            return len(self._holders)


LIVE = LiveRegistry()


def period_ms(sessions: int) -> int:
    return int(min(PERIOD_MAX_MS, max(PERIOD_MIN_MS, PERIOD_MS_PER_SESSION * sessions)))


def views_seconds(cost_seconds: float, sessions: int) -> float:
    """The fragment's interval in stream mode, in powers of two (a changed interval takes a full rerun)."""
    cost_seconds = max(cost_seconds, VIEWS_COST_FLOOR_SECONDS)
    needed = min(VIEWS_MAX_SECONDS, max(VIEWS_MIN_SECONDS, sessions * cost_seconds / VIEWS_SHARE))
    return min(VIEWS_MAX_SECONDS, VIEWS_MIN_SECONDS * 2 ** math.ceil(math.log2(needed / VIEWS_MIN_SECONDS) - 1e-9))


def curve_row(evaluation, runs: tuple[str, ...]) -> list[float | None]:
    """One evaluation's values in the trace order of dropviz.viz.playground.curves_figure
    (loss panel then error panel; per run, train then test)."""
    row: list[float | None] = []
    for metric in ("loss", "error"):
        for run in runs:
            values = evaluation.metrics.get(run, {})
            for split in ("train", "test"):
                value = values.get(f"{split}_{metric}")
                row.append(None if value is None or not math.isfinite(value) else round(float(value), 6))
    return row


def runner_key(runner) -> str:
    # Which run the figure on the page is of: a new run (Train after Reset) needs a full redraw.
    return format(id(runner), "x")


def progress_line(t, progress) -> str:
    """The progress line's text for a ``ui.playground_views.Progress``: the page's and the stream's are one."""
    return t(
        "progress",
        state=t(f"state_{progress.state}"),
        epoch=progress.epoch,
        epochs=progress.epochs,
        step=progress.step,
        total=progress.total_steps,
        rate=progress.samples_per_second,
    )


def live_payload(holder, since_step: int, sessions: int = 1) -> dict:
    """What a page asking with ``since_step`` has not drawn yet: the run's evaluations after that step
    (values in trace order), the progress line and the run's state."""
    # Here, not at the top: ui.playground_views brings torch and plotly (3 s), and serve.py imports this
    # module before the server starts; a page that trains has imported it already.
    from ui.playground_views import progress_of

    runner, config, t = holder.runner, holder.config, getattr(holder, "live_text", None)
    answer = {"period_ms": period_ms(sessions), "run": None}
    if runner is None or config is None:
        return answer
    snapshot = runner.snapshot()
    total = snapshot.started.total_steps if snapshot.started else 0
    runs = ("method", "baseline") if config.twin else ("method",)
    new = [evaluation for evaluation in snapshot.evaluations if evaluation.step > since_step][:MAX_POINTS_PER_ANSWER]
    position = getattr(runner, "queue_position", None)
    answer.update(
        run=runner_key(runner),
        state=snapshot.state,
        step=snapshot.step,
        total=total,
        fraction=min(1.0, snapshot.step / total) if total else 0.0,
        queue_position=position,
        text=progress_line(t, progress_of(snapshot, config)) if t is not None else "",
        queued_text=t("queued", position=position) if t is not None and position else "",
        last_step=new[-1].step if new else since_step,
        evaluations=len(snapshot.evaluations),
        steps=[evaluation.step for evaluation in new],
        x=[round(float(evaluation.epoch), 4) for evaluation in new],
        y=[curve_row(evaluation, runs) for evaluation in new],
    )
    return answer


def _asked(request, resumed: bool = False):
    """A live request's (token, cursor, holder), or the plain answer that refuses it: 400 for a cursor that
    is not a step, 404 for an unknown session. ``resumed``: a reconnecting ``EventSource`` names its cursor
    in the Last-Event-ID header."""
    from starlette.responses import Response

    # The registry of the module as imported now: Streamlit's file watcher may have reloaded it since
    # serve.py made the routes, and pages register in the new one.
    from ui import live_stream

    cursor = (request.headers.get("last-event-id") if resumed else None) or request.query_params.get("since", "-1")
    try:
        since = int(cursor)
    except ValueError:
        return Response("since must be an integer step", status_code=400, media_type="text/plain")
    token = request.path_params["token"]
    holder = live_stream.LIVE.get(token)
    if holder is None:
        return Response("unknown session", status_code=404, media_type="text/plain")
    return token, since, holder


def live_route():
    """The Starlette route serve.py mounts (starlette is imported here only, not by the app's pages)."""
    from starlette.concurrency import run_in_threadpool
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    async def live(request):
        asked = _asked(request)
        if isinstance(asked, Response):
            return asked
        _, since, holder = asked
        # The snapshot takes the run's lock: off the event loop, so that a busy run never delays
        # the server's other requests (health, websockets).
        payload = await run_in_threadpool(_payload_for, holder, since)
        return JSONResponse(payload, headers={"Cache-Control": "no-store"})

    return Route(f"/{LIVE_PATH}/{{token}}", live, methods=["GET"])


def events_route():
    """The same answers pushed as server-sent events (``GET /_dropviz/live/{token}/events?since=STEP&run=KEY``):
    one connection per page instead of a request per update, which cost the browsers twice the CPU per
    update (docs/classroom.md). Each event's id is its last evaluation step, so a reconnecting
    ``EventSource`` (it does so by itself) resumes where it was; a released session's stream ends with
    a ``gone`` event."""
    import asyncio
    import json

    from starlette.concurrency import run_in_threadpool
    from starlette.responses import Response, StreamingResponse
    from starlette.routing import Route

    async def events(request):
        from ui import live_stream

        asked = _asked(request, resumed=True)
        if isinstance(asked, Response):
            return asked
        token, since, _ = asked  # the holder is looked up again at each look, never held through a wait
        run = request.query_params.get("run")

        async def stream():
            cursor, shown, quiet = since, run, 0.0
            started = asyncio.Event()
            waker = (asyncio.get_running_loop(), started)
            holder = live_stream.LIVE.get(token)
            if holder is not None:  # replaced, not changed in place: wake() may be reading it in another thread
                holder.live_wakers = holder.live_wakers | {waker}
            try:
                yield f"retry: {EVENTS_RETRY_MS}\n\n"
                while holder is not None:
                    started.clear()  # before the look: a wake that comes after it is not lost
                    payload = await run_in_threadpool(_payload_for, holder, cursor)
                    if shown is not None and payload["run"] not in (None, shown):
                        # Another run than the page last drew (Train after Reset): its points from the start.
                        payload = await run_in_threadpool(_payload_for, holder, -1)
                    shown = payload["run"] or shown
                    del holder  # not kept through the wait: a closed session's holder must be free to go
                    active = payload.get("state") in ACTIVE_STATES
                    if payload["run"] is not None and (payload["x"] or active or quiet == 0.0):
                        cursor = payload["last_step"]
                        yield f"id: {cursor}\ndata: {json.dumps(payload, separators=(',', ':'))}\n\n"
                        quiet = 0.0
                    elif quiet >= EVENTS_KEEPALIVE_SECONDS:
                        yield ": still here\n\n"  # proxies close a silent connection
                        quiet = 0.0
                    waited = time.monotonic()
                    # A period while the run trains, a while when nothing does; cut short by a wake: a Train
                    # press, the run's first point (pushed the moment it exists), the session's end.
                    try:
                        await asyncio.wait_for(
                            started.wait(), payload["period_ms"] / 1000 if active else EVENTS_IDLE_SECONDS
                        )
                    except asyncio.TimeoutError:
                        pass
                    quiet += time.monotonic() - waited
                    holder = live_stream.LIVE.get(token)
                yield "event: gone\ndata: {}\n\n"
            finally:
                holder = live_stream.LIVE.get(token)
                if holder is not None:
                    holder.live_wakers = holder.live_wakers - {waker}

        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}  # nginx: pass each event on at once
        return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)

    return Route(f"/{LIVE_PATH}/{{token}}/events", events, methods=["GET"])


def _payload_for(holder, since: int) -> dict:
    from ui.session import REGISTRY

    return live_payload(holder, since, REGISTRY.load())


def stream_spec(holder, snapshot, config) -> dict:
    """What the page's live components need to listen for ``holder``'s run after drawing ``snapshot``:
    the route, which run, the last evaluation step already drawn, and the curves' traces to extend.
    Before the first Train (``snapshot`` None) the curves listen already and take the first run that
    trains: its first point then needs no new connection from a page that is busy drawing the Train rerun."""

    runs = ("method", "baseline") if config.twin else ("method",)
    evaluations = snapshot.evaluations if snapshot is not None else []
    return {
        "url": f"{LIVE_PATH}/{holder.live_token}",
        "run": runner_key(holder.runner) if snapshot is not None else None,
        "since": evaluations[-1].step if evaluations else -1,
        "points": len(evaluations),
        "traces": list(range(4 * len(runs))),  # curves_figure's evaluation traces come first
        "first_point_views": first_point_views(),
    }


def first_point_views() -> bool:
    """Whether a Train press waits for the run's first point and reruns the views when it arrives: on a quiet
    server only (a class's first points come by the live route, and its views with the next timed rerun)."""
    from ui.session import REGISTRY

    return REGISTRY.load() <= FIRST_POINT_VIEWS_MAX_SESSIONS


def wake(holder) -> None:
    """Tell the holder's event streams that a run started, and again when its first point comes: they wait
    for either without asking every period, and a class's first points are pushed the moment they exist."""
    wake_streams(holder)
    runner = holder.runner
    if runner is not None:
        alive = weakref.ref(holder)  # the run's log must not keep a closed session's holder
        runner.log.on_first_evaluation(lambda: (found := alive()) is not None and wake_streams(found))


def wake_streams(holder) -> None:
    """Cut short the wait of the holder's event streams: they look again at once (a closed session's end)."""
    for loop, event in holder.live_wakers:
        try:
            loop.call_soon_threadsafe(event.set)
        except RuntimeError:  # that stream's loop has closed
            pass


def live_views_seconds() -> float:
    from ui.session import REFRESH_LOAD, REGISTRY

    return views_seconds(REFRESH_LOAD.cost_seconds, REGISTRY.load())


def views_interval_stale(current: float) -> bool:
    """Whether a page rerunning its fragment every ``current`` s should change that (with hysteresis:
    up as soon as the load needs it, down only once it has fallen well below)."""
    from ui.session import REFRESH_LOAD, REGISTRY

    cost_seconds = max(REFRESH_LOAD.cost_seconds, VIEWS_COST_FLOOR_SECONDS)
    return interval_stale(current, max(VIEWS_MIN_SECONDS, REGISTRY.load() * cost_seconds / VIEWS_SHARE))


def interval_stale(current: float, needed: float) -> bool:
    """Up once ``needed`` is a fifth over ``current``, down once it is under 0.4 of it. Intervals are powers of
    two (views_seconds): with 0.6, a need of 8-9.6 s gave 16 s, at once stale again, a full rerun each time."""
    return (needed > current * 1.2 and current < VIEWS_MAX_SECONDS) or (
        current > VIEWS_MIN_SECONDS and needed < current * 0.4
    )


def live_predictions_seconds(views_every: float) -> float:
    """How often a stream-mode fragment run redraws the views drawn from the nets (boundary, unit maps,
    image predictions): with every run on a quiet server, every other run once several pages train
    (they are most of a run's cost: half of the server's CPU at 8 sessions, by py-spy)."""
    from ui.session import REGISTRY

    return views_every * (0.5 if REGISTRY.load() <= 1 else 1.5)
