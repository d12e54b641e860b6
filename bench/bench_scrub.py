"""Playground p sweep in a real browser: scrub latency and the refresh rate while the sweep trains.

    .venv/bin/python bench/bench_scrub.py [--scrubs 20] [--epochs 100] [--refresh-window 20]

Starts streamlit on a free port (the e2e fixtures' helpers), drives Debian's Chromium with playwright
at 1400x1000, and prints a table. Goals (issue 13): slider release -> every view redrawn < 200 ms
(median and worst of --scrubs moves); >= 2 refreshes/s while the sweep trains.

Scrub latency is timed from the key release that moves the scrub slider one step (the slider sends
its value on release) to the moment the browser shows the new member everywhere: the curves' title,
the decision-boundary picture, every hidden-unit map picture, the p-response chart's mark and the mask
caption all say or show the new p, checked on every animation frame. The sweep is finished first (the
default demo, --epochs), so the figure is the cost of switching members, not of training. The load
average is printed with it: other processes on the machine's cores slow Chromium's redraws.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

from _common import COUNT_REFRESHES, chromium_browser, open_playground, print_rows, streamlit_server, wait_idle

SCRUB = ".st-key-scrub_p input[type='range']"
# The pictures a scrub changes: the decision boundary's and every hidden layer's unit maps.
PICTURES = """() => [...document.querySelectorAll('.js-plotly-plot')]
  .map((gd) => [(gd.closest('[class*="st-key-pg_"]') || {className: ''}).className.match(/st-key-(pg_[a-z0-9_]+)/),
                gd._fullData && gd._fullData[0] ? gd._fullData[0].source : undefined])
  .filter(([key, source]) => key && source && (key[1] === 'pg_boundary' || key[1].startsWith('pg_units_')))
  .map(([key, source]) => [key[1], source])"""
# Every view shows the member at keep_p `p`: the curves' title, the response chart's mark and the mask
# caption say it, and every picture differs from the one before.
SHOWS_MEMBER = (
    """([p, before]) => {
  const plot = (key) => document.querySelector(`.st-key-${key} .js-plotly-plot`);
  const curves = plot('pg_curves'), response = plot('pg_response');
  if (!curves || !response) return false;
  const title = curves._fullLayout.title.text || '';
  const shapes = response._fullLayout.shapes || [];
  const caption = [...document.querySelectorAll('[data-testid="stCaptionContainer"], .dropviz-caption')].some(
    (el) => el.innerText.includes(`p = ${p}:`));
  const pictures = Object.fromEntries(("""
    + PICTURES
    + """)());
  const changed = Object.keys(before).every((key) => pictures[key] && pictures[key] !== before[key]);
  return title.startsWith(`<b>p = ${p}`) && shapes.length && shapes[0].x0 === Number(p) && caption && changed;
}"""
)
DEBUG = """() => {
  const plot = (key) => document.querySelector(`.st-key-${key} .js-plotly-plot`);
  const c = plot('pg_curves'), r = plot('pg_response');
  return {title: c && c._fullLayout.title.text, shapes: r && (r._fullLayout.shapes || []).map((s) => s.x0),
          captions: [...document.querySelectorAll('[data-testid="stCaptionContainer"], .dropviz-caption')].map((el) => el.innerText.slice(0, 60)),
          scrub: (document.querySelector(".st-key-scrub_p input[type='range']") || {}).value};
}"""


def load_average() -> str:
    return " / ".join(f"{value:.1f}" for value in os.getloadavg())


def start_sweep(page) -> None:
    """Press Train; a sweep the page estimates as slow is started with the choice box's Start first."""
    start = page.locator(".st-key-pg_sweep_start button:visible")
    if start.count():
        start.first.dispatch_event("click")  # by element, not by position: the page may be redrawing
        wait_idle(page, 120_000)
    page.locator(".st-key-pg_train button:visible").first.click()


def scrub_latencies(page, moves: int) -> list[float]:
    """Move the scrub slider one step at a time (down from p = 0.5 to 0.2, then up to 1.0, ...), timing each.
    (p = 0.1 is left out: on the default demo it diverges, and a diverged member's boundary is blank, so
    "the picture changed" cannot be told from it.)"""
    grid = [round(0.1 * k, 1) for k in range(2, 11)]
    current, direction, times = 0.5, -1, []
    slider = page.locator(SCRUB).first
    for _ in range(moves):
        index = grid.index(current)
        if not 0 <= index + direction < len(grid):
            direction = -direction
        target = grid[index + direction]
        before = dict(page.evaluate(PICTURES))
        slider.focus()
        page.keyboard.down("ArrowLeft" if direction < 0 else "ArrowRight")
        started = time.perf_counter()
        page.keyboard.up("ArrowLeft" if direction < 0 else "ArrowRight")
        try:
            page.wait_for_function(SHOWS_MEMBER, arg=[f"{target:g}", before], polling="raf", timeout=60_000)
        except Exception:
            print("scrub to", target, "not shown:", page.evaluate(DEBUG), file=sys.stderr)
            raise
        times.append(time.perf_counter() - started)
        wait_idle(page, 60_000)
        current = target
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scrubs", type=int, default=20, help="scrub moves timed")
    parser.add_argument("--epochs", type=int, default=100, help="epochs of the finished sweep that is scrubbed")
    parser.add_argument(
        "--train-epochs", type=int, default=3000, help="epochs of the sweep whose refreshes are counted"
    )
    parser.add_argument(
        "--refresh-window", type=float, default=20.0, help="seconds over which refreshes are counted (0: skip)"
    )
    parser.add_argument("--warm-up", type=float, default=10.0, help="seconds to wait after the first page load")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds to wait after the sweep has finished")
    args = parser.parse_args()

    rows: list[tuple[str, str, str]] = []
    with streamlit_server() as (base, _), chromium_browser() as browser:
        page = open_playground(browser, f"{base}?sweep=1&epochs={args.epochs}")
        time.sleep(args.warm_up)  # the one-time engine warm-up runs now
        start_sweep(page)
        page.get_by_text("p sweep: Completed").first.wait_for(timeout=600_000)
        wait_idle(page, 120_000)
        page.wait_for_function(f"() => ({PICTURES})().length > 0", timeout=60_000)
        time.sleep(args.settle)  # the members' views are built in the background once the sweep ends
        load_before = load_average()
        times = scrub_latencies(page, args.scrubs)
        ms = sorted(1000 * t for t in times)
        rows.append(
            (
                f"scrub latency, release -> views redrawn ({len(ms)} moves)",
                f"median {statistics.median(ms):.0f} ms, worst {ms[-1]:.0f} ms (best {ms[0]:.0f} ms)",
                "< 200 ms",
            )
        )
        rows.append(("load average (1 / 5 / 15 min) before / after the moves", f"{load_before}; {load_average()}", ""))
        page.locator(".st-key-pg_stop button:visible").first.click()
        page.close()
        if args.refresh_window > 0:
            page = open_playground(browser, f"{base}?sweep=1&epochs={args.train_epochs}")
            start_sweep(page)
            page.locator(".st-key-scrub_p").wait_for(timeout=120_000)
            page.get_by_text("p sweep: Training").first.wait_for(timeout=120_000)
            page.evaluate(COUNT_REFRESHES)
            time.sleep(args.refresh_window)
            refreshes = page.evaluate("() => window.__refreshes")
            sweep_state = page.get_by_text("p sweep:").first.inner_text()
            rows.append(
                ("refreshes per second while the sweep trains", f"{refreshes / args.refresh_window:.2f}", ">= 2")
            )
            rows.append(("sweep at the end of the window", sweep_state.replace("\n", " "), ""))
            page.locator(".st-key-pg_stop button:visible").first.click()
    print_rows(rows)


if __name__ == "__main__":
    main()
