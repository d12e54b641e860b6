"""Shared helpers for the benchmark scripts: import path, timing, tables."""

from __future__ import annotations

import contextlib
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def best_of(function, repeats: int = 5, warmup: int = 1) -> float:
    """Median wall seconds of ``function()`` over ``repeats`` runs after ``warmup``."""
    for _ in range(warmup):
        function()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def print_table(headers: list[str], rows: list[list]) -> None:
    print("| " + " | ".join(headers) + " |")
    print("|" + "|".join("---" for _ in headers) + "|")
    for row in rows:
        print("| " + " | ".join(str(cell) for cell in row) + " |")


# --- the browser benchmarks (bench_browser.py, bench_scrub.py): the app's server and Chromium pages ------

# The progress line's text (a Streamlit progress bar, or the live route's line in stream mode).
PROGRESS = "() => { const el = document.querySelector('.st-key-pg_progress'); return el ? el.innerText : ''; }"
# Counts changes of the progress line, checked every 20 ms, into window.__refreshes.
COUNT_REFRESHES = """() => {
  window.__refreshes = 0; let last = '';
  window.__poll = setInterval(() => {
    const el = document.querySelector('.st-key-pg_progress');
    const text = el ? el.innerText : '';
    if (text && text !== last) { window.__refreshes += 1; last = text; }
  }, 20);
}"""


def streamlit_server(env: dict | None = None):
    """The app served by streamlit on a free port (the e2e fixtures' helper): yields (base URL, process)."""
    from tests.e2e.conftest import served_app

    return served_app(env, results_db=False)


@contextlib.contextmanager
def chromium_browser():
    """Debian's Chromium driven by playwright (headless), closed on the way out."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def open_playground(browser, url: str, viewport: tuple[int, int] = (1400, 1000)):
    """A new page on the Playground at ``url``, connected, its Train button drawn and no script running."""
    from tests.e2e.conftest import CONNECTED, wait_idle

    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    page.goto(url)
    page.wait_for_selector(CONNECTED, timeout=120_000)
    page.locator(".st-key-pg_train button:visible").first.wait_for(timeout=120_000)
    wait_idle(page, 120_000)
    return page


def wait_idle(page, timeout: float = 60_000) -> None:
    """Until no script run is in progress on ``page`` (the e2e fixtures' check)."""
    from tests.e2e.conftest import wait_idle as idle

    idle(page, timeout)


def print_rows(rows: list[tuple[str, str, str]]) -> None:
    """The browser benchmarks' table: measure | value | goal."""
    width = max(len(row[0]) for row in rows)
    print(f"{'measure':<{width}} | value | goal")
    for name, value, goal in rows:
        print(f"{name:<{width}} | {value} | {goal}")
