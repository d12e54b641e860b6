"""A class on one server: N browser sessions press Train on the default demo within about a second.

    .venv/bin/python bench/bench_classroom.py --sessions 30 [--drawing 2] [--distinct-seeds] [--backend process]

Starts the app (tests/e2e helpers) on a free port, opens N separate Chromium contexts (N Streamlit
sessions), waits until every page is ready, presses Train in all of them at once and measures per
session: seconds from its press to its first plotted point, progress updates per second while it
trains, seconds from its press until its run completes; plus the server's /_stcore/health latency
(median, p95) while the class trains and the server's RSS (growth per extra session). All but
``--drawing`` contexts route plotly.js to an empty script so the browser does not eat the CPU the
server needs; their first point is the first evaluation reaching the curves component (the live
route's answer, which a drawing page would plot at once) or the latest-metrics table, whichever comes
first; the drawing ones' is a point in the curves chart, and their refresh rate is reported apart.
Every session trains the same default demo (seed 0) unless ``--distinct-seeds`` gives session i the
seed i; identical runs are trained separately all the same (nothing is deduplicated). The machine's
load average before and after is printed: on a shared machine other work takes its share.

Goals (issue 14, N = 30 on the 2-core machine): nobody refused; first point <= 5 s after each press;
>= 1 update/s each while training; all runs completed <= 150 s after the presses; health p95 <= 250 ms;
the drawing sessions >= 1.5 refreshes/s. N = 1: first point and >= 3 refreshes/s as the lone page.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, CONNECTED, free_port, start_server, wait_healthy  # noqa: E402

TRAIN = ".st-key-pg_train button"
STEP = re.compile(r"step (\d+) /")
# In-page probe: time (Date.now(), ms) of every change of the progress line, of the first plotted point
# and of the run's completion; whether the page ever said queued, busy or showed an exception; the
# fragment runs that drew the line. The line is in the pg_progress container: the live component's
# (served by serve.py's live route) or Streamlit's own bar (plain `streamlit run app.py`).
PROBE = """(drawing) => {
  const b = window.__bench = {updates: [], first: null, done: null, last: '', queued: false, busy: false, errors: 0,
                              runs: 0, reset: false, clicked: null, shown: null,
                              streamed: null};
  // When the Train click reached the page (the press is timed from before playwright sends it).
  document.addEventListener('click', (event) => {
    if (b.clicked === null && event.target.closest && event.target.closest('.st-key-pg_train')) b.clicked = Date.now();
  }, true);
  // textContent, not innerText: innerText lays the page out, and 30 pages doing that ten times a second
  // were a load of the benchmark's own on the machine.
  setInterval(() => {
    const now = Date.now();
    const el = document.querySelector(".st-key-pg_progress");
    const text = el ? el.textContent.trim() : '';
    const live = el && el.querySelector('.dropviz-progress');
    if (live && live.__counts) b.runs = live.__counts.runs;
    if (b.shown === null && el) b.shown = now;  // the Train click's rerun reached the page
    if (b.streamed === null && Object.values(window.__dropvizLive || {}).some((feed) => feed.answers > 0)) {
      b.streamed = now;  // the first pushed event (ui/live_stream.py) arrived
    }
    if (text && text !== b.last) { b.updates.push(now); b.last = text; }
    if (b.first === null) {
      let shown = false, at = null;
      if (drawing) {
        const chart = document.querySelector('.st-key-pg_curves .js-plotly-plot');
        const data = chart && chart._fullData;
        shown = !!data && data.some(t => (t.x || []).length > 0);
        at = chart && chart.__counts && chart.__counts.plottedAt;
      } else {
        // Without plotly.js: the first evaluation reached the curves component (from the live route), or
        // the server drew the latest-metrics table (a fragment run).
        const live = document.querySelector('.st-key-pg_curves .dropviz-live-chart');
        shown = (live && live.__counts && live.__counts.received > 0) ||
          [...document.querySelectorAll("[data-testid='stMarkdown'] table")].some(t => t.textContent.includes('%'));
        at = live && live.__counts && live.__counts.receivedAt;
      }
      // The time the chart took the point (live_chart.js), else this look's: a page busy drawing runs
      // this sampler seconds late, and it is the point, not the sampler, that is measured.
      if (shown) { b.first = Math.min(now, at || now); b.sampledFirst = now; }
    }
    if (b.done === null && /^(Completed|已完成)/.test(text)) b.done = now;
    if (/^(Queued|排队)/.test(text)) b.queued = true;
  }, drawing ? 50 : 250);
  // The notices (refused, settings changed) are Streamlit alerts: searched for once a second, not with
  // every look at the progress line (each search walks the whole page).
  setInterval(() => {
    const page = [...document.querySelectorAll("[data-testid='stAlert']")].map((alert) => alert.textContent).join(' ');
    if (/busy|繁忙/.test(page)) b.busy = true;
    if (/Settings changed|设置已更改/.test(page)) b.reset = true;
    b.errors = Math.max(b.errors, document.querySelectorAll("[data-testid='stException']").length);
  }, 1000);
}"""


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def descendants(pid: int) -> list:
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def cpu_seconds(pid: int) -> tuple[float, float, float]:
    """CPU seconds (user + system) of the server process, of its worker processes, and of the benchmark's
    Chromium processes (in a classroom they run on the students' laptops; here they share the 2 cores)."""
    import psutil

    def used(process) -> float:
        try:
            return sum(process.cpu_times()[:2])
        except psutil.Error:  # ended meanwhile (a renderer of a closed page)
            return 0.0

    def chromium(process) -> bool:
        try:
            return "chrom" in process.name().lower()
        except psutil.Error:
            return False

    try:
        own = used(psutil.Process(pid))
    except psutil.Error:
        own = 0.0
    workers = sum(used(child) for child in descendants(pid))
    browsers = sum(used(child) for child in descendants(os.getpid()) if chromium(child))
    return own, workers, browsers


def children_rss_mb(pid: int) -> float:
    import psutil

    def rss(process) -> int:
        try:
            return process.memory_info().rss
        except psutil.Error:  # ended meanwhile: the others still count
            return 0

    return sum(rss(child) for child in descendants(pid)) / 2**20


class HealthProbe(threading.Thread):
    """GET /_stcore/health every ``period`` seconds; latencies in seconds."""

    def __init__(self, port: int, period: float = 0.25):
        super().__init__(daemon=True)
        self.url = f"http://127.0.0.1:{port}/_stcore/health"
        self.period = period
        self.latencies: list[float] = []
        self.times: list[float] = []  # when each answered probe was sent (time.time())
        self.failures = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(self.url, timeout=10) as response:
                    response.read()
                self.latencies.append(time.perf_counter() - started)
                self.times.append(time.time() - (time.perf_counter() - started))
            except OSError:
                self.failures += 1
            self.stopping.wait(max(0.0, self.period - (time.perf_counter() - started)))


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


async def open_session(browser, url: str, drawing: bool, opened: asyncio.Semaphore):
    async with opened:  # pages load a few at a time: loading is not what is measured
        # The size every view of the app is judged at (a projector, a student's laptop).
        context = await browser.new_context(viewport={"width": 1280, "height": 720})
        if not drawing:
            await context.route(
                "**/plotly-*.min.js",
                lambda route: route.fulfill(status=200, body="", content_type="application/javascript"),
            )
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(url)
        await page.wait_for_selector(CONNECTED, timeout=180_000)
        await page.locator(TRAIN).first.wait_for(timeout=180_000)
        await page.wait_for_function(
            "() => !document.querySelector(\"[data-testid='stStatusWidget']\")", timeout=180_000
        )
        await page.evaluate(PROBE, drawing)
        return context, page, errors


def lower_browser_group(nice: int) -> None:
    """Playwright starts Chromium in a session of its own, and with autogroup scheduling that group gets
    an equal share of the CPU whatever its processes' priorities: on one 2-core machine the 30 browsers
    then take half of what the server and its workers would use (in a classroom they run on the students'
    laptops). After the presses, the group's nice value is raised (before, the pages need the CPU to load
    and take the click)."""
    for pid in os.popen("pgrep -x chromium").read().split():
        try:
            with open(f"/proc/{pid}/autogroup", "w") as group:
                group.write(str(nice))
        except OSError:  # gone, or autogroup scheduling is off: the browsers keep their share
            pass


def server_state(url: str | None) -> tuple[str, int] | None:
    """(state, step) of a session's run as the server's live route answers now (None without the route)."""
    import json

    if not url:
        return None
    try:
        with urllib.request.urlopen(f"{url}?since=1000000000", timeout=10) as answer:
            payload = json.load(answer)
        return payload.get("state"), payload.get("step")
    except (OSError, ValueError):
        return None


async def press(page) -> float:
    pressed = time.time()
    # By element, not by position: a click by position first waits until the button has stopped moving,
    # which a busy page's rare animation frames can stretch to tens of seconds.
    await page.locator(TRAIN).first.dispatch_event("click")
    return pressed


async def run(args) -> None:
    from playwright.async_api import async_playwright

    load_before = "{:.1f}, {:.1f}, {:.1f}".format(*os.getloadavg())
    port = free_port()
    env = {"DROPVIZ_TRAINER_BACKEND": args.backend} if args.backend else {}
    server = start_server(port, env=env, script=args.entry)
    rows: list[tuple[str, str, str]] = []
    health = HealthProbe(port)
    try:
        wait_healthy(port, server)
        base = f"http://127.0.0.1:{port}/"
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            # One page first: the server's one-time warm-up (imports, worker processes) is not the class's wait.
            context, page, _ = await open_session(browser, base, True, asyncio.Semaphore(1))
            workers_deadline = time.monotonic() + 120
            while (
                args.backend != "thread"
                and len(descendants(server.pid)) < 1 + len(os.sched_getaffinity(0))
                and time.monotonic() < workers_deadline
            ):
                await asyncio.sleep(0.5)  # the worker pool (fork server + workers) is up
            await asyncio.sleep(args.warm_up)
            await context.close()
            rss_empty = rss_mb(server.pid)
            opened = asyncio.Semaphore(4)
            urls = [base + (f"?seed={index}" if args.distinct_seeds else "") for index in range(args.sessions)]
            sessions = await asyncio.gather(
                *(open_session(browser, url, index < args.drawing, opened) for index, url in enumerate(urls))
            )
            rss_open = rss_mb(server.pid)
            health.start()
            await asyncio.sleep(2.0)  # a baseline of health probes on the idle class
            cpu_before = cpu_seconds(server.pid)
            presses = await asyncio.gather(*(press(page) for _, page, _ in sessions))
            spread = max(presses) - min(presses)
            profiler = None
            if args.profile_server:
                # What the server spends its time on while the class trains (py-spy's collapsed stacks).
                profiler = subprocess.Popen(
                    [
                        str(Path(sys.executable).parent / "py-spy"),
                        "record",
                        "--pid",
                        str(server.pid),
                        "--duration",
                        str(int(args.profile_server_seconds)),
                        "--rate",
                        "50",
                        "--threads",
                        "--format",
                        "raw",
                        "--output",
                        args.profile_server,
                        "--nonblocking",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            if args.browser_group_nice is not None:
                lower_browser_group(args.browser_group_nice)
            deadline = time.monotonic() + args.max_seconds
            peak_rss, peak_workers = rss_open, 0.0
            while time.monotonic() < deadline:
                states = await asyncio.gather(
                    *(page.evaluate("() => window.__bench.done !== null") for _, page, _ in sessions)
                )
                peak_rss = max(peak_rss, rss_mb(server.pid))
                peak_workers = max(peak_workers, children_rss_mb(server.pid))
                if all(states):
                    break
                await asyncio.sleep(1.0)
            health.stopping.set()
            if profiler is not None:
                profiler.wait()
            cpu_after, trained_for = cpu_seconds(server.pid), time.time() - min(presses)
            results = await asyncio.gather(*(page.evaluate("() => window.__bench") for _, page, _ in sessions))
            # What the server itself says of each run at the same moment (its live route, asked from here):
            # a page that shows a run behind may be a page that has not been given the CPU to redraw.
            live_urls = await asyncio.gather(
                *(page.evaluate("() => Object.keys(window.__dropvizLive || {})[0] || null") for _, page, _ in sessions)
            )
            server_says = [server_state(url) for url in live_urls]
            progress = await asyncio.gather(*(page.evaluate("() => window.__bench.last") for _, page, _ in sessions))
            rss_end = rss_mb(server.pid)
            load_after = "{:.1f}, {:.1f}, {:.1f}".format(*os.getloadavg())
            for context, _, _ in sessions:
                await context.close()
            await browser.close()
    finally:
        health.stopping.set()
        server.terminate()
        try:
            server.wait(15)
        except Exception:  # noqa: BLE001
            server.kill()

    firsts, rates, completions, drawing_rates = [], [], [], []
    landed = [result["clicked"] / 1000 - pressed for pressed, result in zip(presses, results) if result["clicked"]]
    never_first = never_done = 0
    for index, (pressed, result) in enumerate(zip(presses, results)):
        if result["first"] is None:
            never_first += 1
        else:
            firsts.append(result["first"] / 1000 - pressed)
        if result["done"] is None:
            never_done += 1
        else:
            completions.append(result["done"] / 1000 - pressed)
        start = result["first"] or (pressed * 1000)
        end = result["done"] or (time.time() * 1000)
        during = [t for t in result["updates"] if start <= t <= end]
        if end > start and len(during) >= 2:
            rate = (len(during) - 1) / ((during[-1] - during[0]) / 1000) if during[-1] > during[0] else 0.0
            (drawing_rates if index < args.drawing else rates).append(rate)
    queued = sum(1 for result in results if result["queued"])
    busy = sum(1 for result in results if result["busy"])
    resets = sum(1 for result in results if result.get("reset"))
    exceptions = sum(result["errors"] for result in results)
    page_errors = sum(len(errors) for _, _, errors in sessions)

    def spread_of(values, unit=" s", digits=2):
        if not values:
            return "n/a"
        return (
            f"median {statistics.median(values):.{digits}f}{unit}, max {max(values):.{digits}f}{unit}, "
            f"min {min(values):.{digits}f}{unit}"
        )

    n = args.sessions
    rows.append(
        (
            "sessions (drawing charts)",
            f"{n} ({min(args.drawing, n)}) on {args.entry}; seeds "
            f"{'0..' + str(n - 1) if args.distinct_seeds else 'all 0'}; Train presses within {spread:.2f} s"
            + (
                f", clicks landed {statistics.median(landed):.2f} s (median), {max(landed):.2f} s (max) after"
                if landed
                else ""
            )
            + (
                f"; browsers' group nice {args.browser_group_nice} after the presses" if args.browser_group_nice else ""
            ),
            "",
        )
    )
    rows.append(
        (
            "refused ('busy') / ever queued / runs reset by their page / page exceptions / JS errors",
            f"{busy} / {queued} / {resets} / {exceptions} / {page_errors}",
            "0 refused, no errors",
        )
    )
    rows.append(
        (
            "press to first plotted point",
            spread_of(firsts) + (f"; {never_first} never" if never_first else ""),
            "<= 5 s each",
        )
    )
    sampled = [
        result["sampledFirst"] / 1000 - pressed
        for pressed, result in zip(presses, results)
        if result.get("sampledFirst")
    ]
    rows.append(("the same, when the page's sampler next ran (its main thread was free)", spread_of(sampled), "stated"))
    shown = [result["shown"] / 1000 - pressed for pressed, result in zip(presses, results) if result.get("shown")]
    rows.append(("press to progress line shown (the Train rerun drawn)", spread_of(shown), "stated"))
    streamed = [
        result["streamed"] / 1000 - pressed for pressed, result in zip(presses, results) if result.get("streamed")
    ]
    rows.append(("press to the first pushed event", spread_of(streamed), "stated"))
    rows.append(("updates/s while training (non-drawing sessions)", spread_of(rates, "/s"), ">= 1/s each"))
    rows.append(("refreshes/s while training (drawing sessions)", spread_of(drawing_rates, "/s"), ">= 1.5/s"))
    rows.append(
        (
            "press to run completed",
            spread_of(completions, " s", 1) + (f"; {never_done} not done" if never_done else ""),
            "all <= 150 s (N=30)",
        )
    )
    rows.append(
        (
            "/_stcore/health latency",
            f"median {statistics.median(health.latencies) * 1000:.0f} ms, "
            f"p95 {percentile(health.latencies, 0.95) * 1000:.0f} ms ({len(health.latencies)} probes, "
            f"{health.failures} failed)"
            if health.latencies
            else "n/a",
            "p95 <= 250 ms",
        )
    )
    if args.sessions_log:
        import json

        def after(result, key, pressed):
            return None if result.get(key) is None else round(result[key] / 1000 - pressed, 3)

        Path(args.sessions_log).write_text(
            json.dumps(
                [
                    {"session": index, "drawing": index < args.drawing, "pressed": round(pressed, 3)}
                    | {
                        key: after(result, key, pressed)
                        for key in ("clicked", "shown", "streamed", "first", "sampledFirst", "done")
                    }
                    | {"updates": [round(t / 1000 - pressed, 3) for t in result["updates"][:5]]}
                    for index, (pressed, result) in enumerate(zip(presses, results))
                ],
                indent=1,
            )
        )
    if args.health_log:
        Path(args.health_log).write_text(
            "".join(
                f"{at - min(presses):.3f} {latency * 1000:.1f}\n" for at, latency in zip(health.times, health.latencies)
            )
        )
    if health.latencies:
        # When the slow answers came: the presses' first seconds (every page's Train rerun, every run
        # starting) or the training that follows.
        split = min(presses) + 15.0
        early = [latency for at, latency in zip(health.times, health.latencies) if at < split]
        late = [latency for at, latency in zip(health.times, health.latencies) if at >= split]
        rows.append(
            (
                "health p95: before / from 15 s after the presses",
                f"{percentile(early, 0.95) * 1000:.0f} ms ({len(early)} probes) / "
                f"{percentile(late, 0.95) * 1000:.0f} ms ({len(late)} probes)",
                "stated",
            )
        )
    rows.append(
        (
            "server RSS",
            f"{rss_empty:.0f} MB with no session, {rss_open:.0f} MB with {n} open "
            f"({(rss_open - rss_empty) / max(1, n):+.1f} MB per session), peak {peak_rss:.0f} MB, end {rss_end:.0f} MB; "
            f"worker processes peak {peak_workers:.0f} MB",
            "stated",
        )
    )
    updates = sum(len(result["updates"]) for result in results)
    runs = [result["runs"] for result in results]
    rows.append(
        (
            # The line is drawn by the panel (pages/playground.py), so these are the panel's runs and the
            # page's full runs, not the views' timed reruns.
            "panel or page runs per session that drew the progress line (live route)",
            f"median {statistics.median(runs):.0f}, max {max(runs)} (0: no live route, every update is a run)",
            "stated",
        )
    )
    server_cpu = cpu_after[0] - cpu_before[0]
    rows.append(
        (
            "server CPU while training",
            f"{server_cpu:.1f} s over {trained_for:.0f} s "
            f"({server_cpu / trained_for:.0%} of a core); {updates} page updates: "
            f"{server_cpu / max(1, updates) * 1000:.0f} ms per update per session; workers {cpu_after[1] - cpu_before[1]:.1f} s",
            "stated",
        )
    )
    # Where the 2 cores went: the browsers' share is what a real room does not take from the server.
    shares = [(after - before) / trained_for for before, after in zip(cpu_before, cpu_after)]
    rows.append(
        (
            "cores used while training: server / workers / browsers",
            "{:.2f} / {:.2f} / {:.2f} of {}".format(*shares, len(os.sched_getaffinity(0))),
            "stated",
        )
    )
    rows.append(("load average (1, 5, 15 min) before / after", f"{load_before} / {load_after}", "stated"))
    slowest = sorted(progress, key=lambda text: ("Completed" in text, text))[:1]
    behind = sorted(
        int(match.group(1)) for text in progress if "Completed" not in text for match in [STEP.search(text)] if match
    )
    if behind:
        rows.append(("steps of the sessions not completed at the end", ", ".join(map(str, behind)), ""))
    known = [said for said in server_says if said is not None]
    if known:
        server_behind = sorted(step for state, step in known if state != "completed")
        rows.append(
            (
                "the same moment, as the server's live route says",
                f"{sum(state == 'completed' for state, _ in known)} of {len(known)} completed"
                + (f"; steps of the rest: {', '.join(map(str, server_behind))}" if server_behind else ""),
                "",
            )
        )
    rows.append(
        ("progress line of the slowest session at the end", slowest[0].replace("\n", " ") if slowest else "", "")
    )
    width = max(len(row[0]) for row in rows)
    print(f"{'measure':<{width}} | value | goal")
    for name, value, goal in rows:
        print(f"{name:<{width}} | {value} | {goal}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30, help="browser sessions (e.g. 1, 8, 30, 60)")
    parser.add_argument(
        "--drawing", type=int, default=2, help="sessions that draw their charts (the rest skip plotly.js)"
    )
    parser.add_argument("--distinct-seeds", action="store_true", help="session i trains with seed i")
    parser.add_argument(
        "--backend",
        choices=("process", "thread", "ray"),
        default=None,
        help="DROPVIZ_TRAINER_BACKEND for the server (default: the app's)",
    )
    parser.add_argument(
        "--entry",
        choices=("serve.py", "app.py"),
        default="serve.py",
        help="server entry: serve.py (live route, as make run) or app.py (fragment refreshes only: the baseline)",
    )
    parser.add_argument(
        "--browser-group-nice",
        type=int,
        default=None,
        help="after the presses, the browsers' scheduling group at this nice (0-19): the server's cores as if the "
        "browsers ran elsewhere (default: their equal share)",
    )
    parser.add_argument(
        "--profile-server", default=None, help="py-spy the server after the presses into this file (collapsed stacks)"
    )
    parser.add_argument(
        "--health-log", default=None, help="write each health probe (seconds after the presses, ms) to this file"
    )
    parser.add_argument(
        "--sessions-log", default=None, help="write each session's times (seconds after its press) to this JSON file"
    )
    parser.add_argument("--profile-server-seconds", type=float, default=30.0, help="how long --profile-server records")
    parser.add_argument("--max-seconds", type=float, default=300.0, help="give up waiting for completions after this")
    parser.add_argument("--warm-up", type=float, default=10.0, help="seconds after the first page load")
    # A SIGTERM (`timeout`, a CI runner) must still stop the server: it runs in a session of its own, and
    # left behind it went on training the class's runs under the next measurement.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
