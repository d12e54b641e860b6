"""Real-browser fixtures: a Streamlit server on a free port and Debian's Chromium via playwright.

A missing browser is a test failure, not a skip: CI installs Chromium in .ci/run.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("DROPVIZ_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts" / "screenshots"
CONNECTED = "[data-testid='stApp'][data-test-connection-state='CONNECTED']"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, env: dict | None = None, script: str = "serve.py") -> subprocess.Popen:
    # serve.py (what `make run` starts): app.py plus the live route (ui.live_stream); app.py alone:
    # pages refresh through their fragment only.
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / script),
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    (ROOT / "artifacts").mkdir(exist_ok=True)  # a fresh clone has none (bench_classroom.py starts here too)
    log = open(ROOT / "artifacts" / f"streamlit-{port}.log", "w")
    # Its own session, as `make run` in a terminal is: not one scheduling group with the test driver.
    return subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
        start_new_session=True,
    )


def wait_healthy(port: int, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {process.returncode}; see artifacts/streamlit-{port}.log")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"streamlit did not become healthy on port {port} within {timeout} s")


@contextlib.contextmanager
def served_app(env: dict | None = None, script: str = "serve.py", results_db: bool = True):
    """The app on a free port, healthy, ended on the way out: yields (base URL with a trailing slash, process).

    ``results_db``: a results database of its own, so sweeps saved on this machine don't change what
    the pages show."""
    (ROOT / "artifacts").mkdir(exist_ok=True)
    port = free_port()
    env = dict(env or {})
    if results_db:
        env.setdefault("DROPVIZ_RESULTS_DB", str(ROOT / "artifacts" / f"e2e-results-{port}.sqlite"))
    process = start_server(port, env=env, script=script)
    try:
        wait_healthy(port, process)
        yield f"http://127.0.0.1:{port}/", process
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def app_url():
    with served_app() as (base, _):
        yield base.rstrip("/")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's 'chromium' package (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


def open_app(page, url: str, timeout: float = 60_000):
    """Navigate and wait for the websocket to connect and the script to finish running."""
    page.goto(url)
    page.wait_for_selector(CONNECTED, timeout=timeout)
    wait_idle(page, timeout)
    return page


def wait_idle(page, timeout: float = 60_000) -> None:
    # The status widget shows while a script run is in progress.
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
