"""Sweeps: local engine, resume, retries, SIGKILL safety, CLI."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from dropviz.config import RunConfig
from dropviz.experiments import Trial, get_experiment
from dropviz.experiments.engines import EngineUnavailable, make_backend
from dropviz.experiments.store import Store
from dropviz.experiments.sweep import run_sweep
from dropviz.experiments.trial import execute_trial

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args, timeout=240):
    return subprocess.run(
        [sys.executable, "-m", "dropviz", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def _metrics(store):
    return {row["key"]: row["metrics"] for row in store.trials()}


def test_inline_sweep_stores_everything_and_a_rerun_skips_it(tmp_path):
    trials = get_experiment("fig11").trials("digits", "tiny") + get_experiment("gaussian").trials("digits", "tiny")
    seen = []
    with Store(tmp_path / "r.sqlite") as store:
        report = run_sweep(trials, store, workers=0, on_progress=lambda p: seen.append((p.completed, p.status)))
        assert report.progress.completed == len(trials) and report.progress.failed == 0
        assert seen[-1] == (len(trials), "finished") and seen[0][0] == 0
        rows = store.trials()
        assert all(row["status"] == "completed" and row["curves"] and row["attempts"] == 1 for row in rows)
        fig11 = [row for row in rows if row["experiment"] == "fig11"][0]
        assert set(fig11["extra"]["mc"]) == {"1", "2", "5", "10"} and "weight_scaling" in fig11["extra"]
        again = run_sweep(trials, store, workers=0)
        assert again.progress.completed == 0 and again.progress.skipped == len(trials)
        assert [s["status"] for s in store.sweeps()] == ["finished", "finished"]


def test_two_worker_processes_give_the_same_numbers_as_inline(tmp_path):
    trials = get_experiment("gaussian").trials("digits", "tiny")
    with Store(tmp_path / "a.sqlite") as inline, Store(tmp_path / "b.sqlite") as pooled:
        run_sweep(trials, inline, workers=0)
        report = run_sweep(trials, pooled, workers=2)
        assert report.workers == 2 and report.progress.completed == len(trials)
        assert _metrics(inline) == _metrics(pooled)
        assert {row["worker"].split(":")[1] for row in pooled.trials()} != {str(os.getpid())}


def _broken_trial():
    config = RunConfig(dataset="/nonexistent/data.csv", hidden=(4,), epochs=1, twin=False)
    return Trial("gaussian", "tiny", "/nonexistent/data.csv", "broken", None, "", config)


def test_a_failing_trial_is_recorded_failed_and_the_sweep_goes_on(tmp_path):
    good = get_experiment("gaussian").trials("digits", "tiny")[:1]
    with Store(tmp_path / "r.sqlite") as store:
        report = run_sweep([_broken_trial(), *good], store, workers=0, max_attempts=2)
        # a missing file fails the same way every time: recorded after one attempt, not retried
        assert report.progress.failed == 1 and report.progress.completed == 1 and report.progress.retries == 0
        (failed,) = store.trials(status="failed")
        assert failed["attempts"] == 1 and "not retried" in failed["error"] and "data.csv" in failed["error"]
        assert "data.csv" in report.progress.first_errors["DatasetError"]
        # a failed trial is not "done": the next run tries it again
        assert run_sweep([_broken_trial(), *good], store, workers=0, max_attempts=1).progress.failed == 1


def test_execute_trial_never_raises():
    result = execute_trial(_broken_trial().to_dict())
    assert result["status"] == "error" and "traceback" in result


def test_stop_event_cancels_and_marks_the_sweep_stopped(tmp_path):
    trials = get_experiment("fig9a").trials("digits", "tiny")
    stop = threading.Event()
    stop.set()
    with Store(tmp_path / "r.sqlite") as store:
        report = run_sweep(trials, store, workers=0, stop=stop)
        assert report.progress.status == "stopped" and report.progress.completed == 0
        assert store.sweeps()[0]["status"] == "stopped"


def test_unknown_engine():
    with pytest.raises(ValueError, match="unknown engine"):
        make_backend("spark", 1)


def test_ray_engine_without_ray_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(EngineUnavailable, match=r"pip install -r requirements-ray.txt"):
        make_backend("ray", 1)


def test_sigkill_mid_sweep_loses_no_completed_trial_and_rerun_completes_the_rest(tmp_path):
    db = tmp_path / "kill.sqlite"
    args = (
        "experiment",
        "fig9a",
        "--preset",
        "tiny",
        "--dataset",
        "digits",
        "--workers",
        "1",
        "--db",
        str(db),
        "--quiet",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "dropviz", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    total = 20
    completed_before = 0
    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if db.exists():
                try:
                    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
                    completed_before = connection.execute(
                        "SELECT COUNT(*) FROM trials WHERE status='completed'"
                    ).fetchone()[0]
                    connection.close()
                except sqlite3.OperationalError:
                    completed_before = 0
                if completed_before >= 3:
                    break
            time.sleep(0.02)
        assert process.poll() is None, f"the sweep ended before it could be killed: {process.stderr.read()[-500:]}"
        os.killpg(process.pid, signal.SIGKILL)  # the driver and its worker processes
        process.wait(10)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    connection = sqlite3.connect(db)
    assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = connection.execute("SELECT key, status, metrics FROM trials").fetchall()
    connection.close()
    completed = {key: metrics for key, status, metrics in rows if status == "completed"}
    assert 3 <= len(completed) < total
    assert all(json.loads(metrics)["test_error"] is not None for metrics in completed.values())

    result = run_cli(*args[:-1], "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["skipped"] == len(completed) and summary["ran"] == total - len(completed)
    with Store(db, readonly=True) as store:
        after = {row["key"]: row for row in store.trials()}
        assert all(row["status"] == "completed" for row in after.values()) and len(after) == total
        assert all(
            json.dumps(after[key]["metrics"], separators=(",", ":")) == metrics for key, metrics in completed.items()
        )  # untouched by the re-run


def test_cli_json_summary_list_and_errors(tmp_path):
    result = run_cli(
        "experiment",
        "gaussian",
        "--preset",
        "tiny",
        "--dataset",
        "digits",
        "--workers",
        "0",
        "--db",
        str(tmp_path / "c.sqlite"),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["trials"] == 4 and summary["ran"] == 4 and summary["experiments"] == ["gaussian"]
    conditions = {row["condition"]: row for row in summary["conditions"]}
    assert set(conditions) == {"Bernoulli dropout", "Gaussian dropout"}
    assert all(
        row["n"] == 2 and row["test_error_pct_mean"] is not None and row["test_error_pct_std"] is not None
        for row in conditions.values()
    )
    listing = run_cli("experiment", "--list")
    assert listing.returncode == 0 and "fig10" in listing.stdout and "quick" in listing.stdout
    for args, needle in [
        (("experiment",), "give an experiment NAME"),
        (("experiment", "nope"), "unknown experiment 'nope'"),
        (("experiment", "fig10", "--workers", "two"), "--workers"),
        (("experiment", "fig10", "--preset", "huge"), "--preset"),
        (("experiment", "fig10", "--dataset", "nope"), "unknown dataset"),
        (("experiment", "fig10", "--ray-address", "auto"), "--ray-address needs --engine ray"),
        (("experiment", "fig10", "--seeds", "a,b"), "--seeds"),
    ]:
        bad = run_cli(*args)
        lines = [line for line in bad.stderr.splitlines() if line.strip()]
        assert bad.returncode == 2 and len(lines) == 1 and needle in lines[0], (args, bad.stderr)
