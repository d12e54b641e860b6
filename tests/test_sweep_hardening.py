"""Issue 17, points 7-10: sweeps checked against their data, no pointless retries, --data-dir,
workers that die with their driver, interrupted sweeps marked, foreign databases refused."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dropviz import cli
from dropviz.experiments import engines, get_experiment, sweep
from dropviz.experiments.store import Store, StoreError
from tests.test_data import write_idx_set

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "dropviz", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


# --- 7 + 8: a sweep fits itself to the data set, with --data-dir as for `train` ----------------------------


def test_sweep_on_a_small_idx_copy_caps_sizes_with_notices_and_runs(tmp_path):
    write_idx_set(tmp_path / "data" / "mnist", n_train=120, n_test=60)
    result = run_cli(
        "experiment",
        "fig10",
        "--preset",
        "tiny",
        "--dataset",
        "mnist",
        "--data-dir",
        str(tmp_path / "data"),
        "--workers",
        "0",
        "--db",
        str(tmp_path / "r.sqlite"),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["failed"] == 0 and summary["ran"] == summary["trials"] == 8  # sizes 50, 100 x 2 arms x 2 seeds
    notices = " | ".join(summary["notices"])
    assert "has 120: all 120 are used" in notices and "has 60: all 60 are used" in notices
    assert "sizes 300 are larger than the 120 training examples" in notices
    assert "note: fig10: training-set sizes 300" in result.stderr
    assert {row["x"] for row in summary["conditions"]} == {50.0, 100.0}


def test_missing_data_dir_is_one_line(tmp_path):
    result = run_cli(
        "experiment",
        "fig10",
        "--preset",
        "tiny",
        "--dataset",
        "mnist",
        "--data-dir",
        str(tmp_path / "nope"),
        "--db",
        str(tmp_path / "r.sqlite"),
    )
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and len(lines) == 1 and "--data-dir" in lines[0] and "not a folder" in lines[0]


def test_configuration_errors_are_not_retried_but_lost_workers_are(tmp_path, monkeypatch, capsys):
    trials = get_experiment("gaussian").trials("digits", "tiny", seeds=[0])
    calls = []
    real = engines.execute_trial  # what the in-process engine runs

    def flaky(payload, threads=1):
        calls.append(payload["series"])
        if payload["series"] == "Gaussian dropout":
            return {
                "status": "error",
                "error": "ValueError: test_size must be between 10 and 200, got 5000",
                "error_kind": "config",
            }
        if calls.count(payload["series"]) == 1:
            return {"status": "error", "error": "RuntimeError: worker lost", "error_kind": "runtime"}
        return real(payload, threads)

    monkeypatch.setattr(engines, "execute_trial", flaky)
    with Store(tmp_path / "r.sqlite") as store:
        report = sweep.run_sweep(trials, store, workers=0, max_attempts=3)
    assert calls.count("Gaussian dropout") == 1 and calls.count("Bernoulli dropout") == 2
    assert report.progress.failed == 1 and report.progress.completed == 1 and report.progress.retries == 1
    assert "test_size must be between" in report.progress.first_errors["ValueError"]

    # the CLI prints the reason (also with --json, on stderr) and exits non-zero
    code = cli.main(
        [
            "experiment",
            "gaussian",
            "--preset",
            "tiny",
            "--dataset",
            "digits",
            "--workers",
            "0",
            "--seeds",
            "1",
            "--db",
            str(tmp_path / "c.sqlite"),
            "--json",
        ]
    )
    out, err = capsys.readouterr()
    payload = json.loads(out)
    assert code == 1 and payload["failed"] == 1
    assert "test_size must be between" in payload["errors"]["ValueError"]
    assert "1 trial(s) failed; first ValueError" in err and "test_size must be between" in err


# --- 9: workers die with their driver; a later run marks the sweep interrupted ------------------------------


def _session_members(session: int) -> set[int]:
    members = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[3]) == session and fields[0] != "Z":  # field 6 of stat: session id
            members.add(int(entry))
    return members


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_worker_processes_exit_when_the_driver_is_killed_and_the_sweep_is_marked_interrupted(tmp_path):
    db = tmp_path / "kill.sqlite"
    # quick trials run for many seconds: the worker is busy mid-trial when its driver dies
    args = (
        "experiment",
        "fig9a",
        "--preset",
        "quick",
        "--dataset",
        "digits",
        "--workers",
        "1",
        "--db",
        str(db),
        "--quiet",
    )
    driver = subprocess.Popen(
        [sys.executable, "-m", "dropviz", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(_session_members(driver.pid) - {driver.pid}) < 2:
            time.sleep(0.05)  # forkserver + a worker (+ resource tracker)
        helpers = _session_members(driver.pid) - {driver.pid}
        assert len(helpers) >= 2 and driver.poll() is None
        time.sleep(1.0)  # let the worker pick up its trial
        assert len(_session_members(driver.pid) - {driver.pid}) >= 2 and driver.poll() is None
        killed = time.monotonic()
        os.kill(driver.pid, signal.SIGKILL)  # the driver only, not its process group
        driver.wait(10)
        deadline = killed + 5  # the watchdog checks every second; a quick trial takes far longer
        while time.monotonic() < deadline and _session_members(driver.pid):
            time.sleep(0.1)
        assert not _session_members(driver.pid), "worker processes outlived their driver"
    finally:
        for pid in _session_members(driver.pid):
            os.kill(pid, signal.SIGKILL)
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT status FROM sweeps").fetchall() == [("running",)]
    rerun = run_cli(
        "experiment", "gaussian", "--preset", "tiny", "--dataset", "digits", "--workers", "0", "--db", str(db), "--json"
    )
    assert rerun.returncode == 0, rerun.stderr
    with sqlite3.connect(db) as connection:
        statuses = [row[0] for row in connection.execute("SELECT status FROM sweeps ORDER BY id")]
    assert statuses == ["interrupted", "finished"]


# --- 10: another application's SQLite file is refused, untouched ------------------------------------------


def test_another_applications_database_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "app.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        connection.execute("INSERT INTO users (name) VALUES ('ada')")
    before = path.read_bytes()
    for readonly in (False, True):
        with pytest.raises(StoreError, match="another application's SQLite database .tables: users"):
            Store(path, readonly=readonly)
    assert path.read_bytes() == before and not (tmp_path / "app.sqlite-wal").exists()
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    result = run_cli("experiment", "gaussian", "--preset", "tiny", "--dataset", "digits", "--db", str(path))
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and len(lines) == 1 and "another application's" in lines[0]
    # a table called trials that is not ours is refused too; an empty file or our own database is fine
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE trials (id INTEGER)")
    with pytest.raises(StoreError, match="another application's"):
        Store(other)
    Store(tmp_path / "fresh.sqlite").close()
    Store(tmp_path / "fresh.sqlite").close()
