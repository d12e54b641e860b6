"""Memory over open-train-close cycles: does a closed session give its run back? (issue 17.3)

    .venv/bin/python bench/bench_session_release.py [--cycles 10] [--hidden 1500,1500] [--train-seconds 5]

Starts streamlit on a free port with a short ``server.disconnectedSessionTTL`` (so a closed tab's
session is released within seconds, as it is after 120 s by default), then per cycle: a fresh
browser context opens the Playground on 8x8 digits with a large net, presses Train, trains a few
seconds, takes the metrics CSV (the download whose callable used to keep the run alive), closes the
context and waits for the session to be released. Prints the resident memory of the server and of
its trainer worker processes after each cycle, against the baseline measured after a first
open-close cycle of the same server.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import print_table  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, CONNECTED, free_port, start_server, wait_healthy, wait_idle  # noqa: E402

CURVE_POINTS = (
    "() => { const el = document.querySelector('.st-key-pg_curves .js-plotly-plot');"
    " const d = el && el._fullData; return d ? Math.max(0, ...d.map(t => (t.x || []).length)) : 0; }"
)


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def descendants(pid: int) -> list[int]:
    found, stack = [], [pid]
    while stack:
        parent = stack.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            found += children
            stack += children
    return found


def memory(pid: int) -> tuple[float, float]:
    """(server MB, its child processes' MB: the trainer workers)."""
    return rss_mb(pid), sum(rss_mb(child) for child in descendants(pid))


def cycle(browser, url: str, train_seconds: float, train: bool = True) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(url)
        page.wait_for_selector(CONNECTED, timeout=300_000)
        page.get_by_role("heading", name="Playground").wait_for(timeout=300_000)
        wait_idle(page, 120_000)
        if train:
            page.locator(".st-key-pg_train button:visible").first.click()
            page.wait_for_function(f"() => ({CURVE_POINTS})() > 0", timeout=300_000, polling=50)
            time.sleep(train_seconds)
            page.locator("[data-testid='stExpander'] summary", has_text="Download").first.click()
            with page.expect_download(timeout=60_000) as download:
                page.locator(".st-key-pg_dl_csv button").click()
            assert download.value.path().read_text().startswith("step")
    finally:
        context.close()  # the tab is gone; its session lives on until disconnectedSessionTTL


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--hidden", default="1500,1500", help="hidden layers of each cycle's run (8x8 digits)")
    parser.add_argument("--train-seconds", type=float, default=5.0)
    parser.add_argument("--ttl", type=int, default=4, help="server.disconnectedSessionTTL, seconds")
    parser.add_argument("--settle", type=float, default=6.0, help="seconds after the TTL before measuring")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    port = free_port()
    server = start_server(
        port,
        env={
            "STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL": str(args.ttl),
            "DROPVIZ_RESULTS_DB": str(ROOT / "artifacts" / f"bench-release-{port}.sqlite"),
        },
    )
    url = f"http://127.0.0.1:{port}/playground?dataset=digits&hidden={args.hidden}&epochs=100000"
    rows = []
    try:
        wait_healthy(port, server)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            cycle(browser, url, 0, train=False)  # imports, the engine warm-up, the worker pool's start
            cycle(browser, url, args.train_seconds)
            time.sleep(args.ttl + args.settle)
            base_server, base_workers = memory(server.pid)
            rows.append(
                [
                    "baseline (after 1 cycle)",
                    f"{base_server:.0f}",
                    f"{base_workers:.0f}",
                    f"{base_server + base_workers:.0f}",
                    "+0",
                    "1.00",
                ]
            )
            for index in range(1, args.cycles + 1):
                try:
                    cycle(browser, url, args.train_seconds)
                except Exception as error:  # noqa: BLE001 - a slow machine: report what was measured
                    rows.append([f"cycle {index} failed", type(error).__name__, "", "", "", ""])
                    break
                time.sleep(args.ttl + args.settle)
                mem_server, mem_workers = memory(server.pid)
                total, base = mem_server + mem_workers, base_server + base_workers
                rows.append(
                    [
                        f"after cycle {index}",
                        f"{mem_server:.0f}",
                        f"{mem_workers:.0f}",
                        f"{total:.0f}",
                        f"{total - base:+.0f}",
                        f"{total / base:.2f}",
                    ]
                )
                print(f"cycle {index}: server {mem_server:.0f} MB, workers {mem_workers:.0f} MB", file=sys.stderr)
            browser.close()
    finally:
        server.terminate()
        try:
            server.wait(15)
        except Exception:  # noqa: BLE001
            server.kill()
    print(
        f"open-train-close cycles: Playground on 8x8 digits, hidden {args.hidden}, {args.train_seconds:g} s of "
        f"training each, metrics CSV downloaded, session released after {args.ttl:g} s (os.cpu_count()="
        f"{os.cpu_count()})"
    )
    print_table(["", "server RSS MB", "trainer workers RSS MB", "total MB", "vs baseline MB", "ratio"], rows)


if __name__ == "__main__":
    main()
