"""SQLite results store: WAL, one transaction per trial, resumable keys, export/import of shipped results."""

import json
import sqlite3

import pytest

from dropviz.experiments import get_experiment
from dropviz.experiments.results_files import export_json, load_json, shipped_trials
from dropviz.experiments.store import Store, StoreError


@pytest.fixture
def trials():
    return get_experiment("gaussian").trials("digits", "tiny")


def _result(test_error=0.25):
    return {
        "status": "completed",
        "message": "done",
        "final": {"test_error": test_error, "train_error": 0.1},
        "curves": [{"step": 3, "epoch": 1.0, "test_error": test_error, "train_error": 0.1}],
        "wall_s": 0.5,
        "device": "cpu",
        "worker": "host:1",
    }


def test_wal_mode_schema_and_record_roundtrip(tmp_path, trials):
    path = tmp_path / "r.sqlite"
    with Store(path) as store:
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        sweep = store.start_sweep(
            ["gaussian"], "tiny", "digits", engine="local", workers=1, n_trials=len(trials), n_skipped=0
        )
        assert store.register(trials, sweep) == len(trials)
        assert store.register(trials, sweep) == 0  # already there
        store.record(trials[0], _result(), attempts=1, engine="local", sweep_id=sweep)
        store.record(trials[1], {"status": "failed", "error": "boom"}, attempts=3, engine="local", sweep_id=sweep)
        assert store.done_keys() == {trials[0].key}
        rows = {row["key"]: row for row in store.trials("gaussian", "tiny", "digits")}
        row = rows[trials[0].key]
        assert row["status"] == "completed" and row["metrics"]["test_error"] == 0.25 and row["seed"] == trials[0].seed
        assert row["config"]["hidden"] == [16, 16] and row["curves"][0]["step"] == 3 and row["version"]
        assert rows[trials[1].key]["error"] == "boom" and rows[trials[1].key]["attempts"] == 3
        assert rows[trials[2].key]["status"] == "pending"
        (group,) = store.groups()
        assert (group["n"], group["completed"], group["failed"], group["pending"]) == (
            len(trials),
            1,
            1,
            len(trials) - 2,
        )
        assert store.integrity_check() == "ok"
    # a second connection sees the committed rows (each trial was its own transaction)
    with Store(path, readonly=True) as reader:
        assert reader.done_keys() == {trials[0].key}


def test_nan_metrics_of_a_diverged_trial_are_stored_as_null(tmp_path, trials):
    with Store(tmp_path / "r.sqlite") as store:
        store.record(trials[0], {**_result(float("nan")), "status": "diverged"}, attempts=1, engine="local")
        (row,) = store.trials(status="diverged")
        assert row["metrics"]["test_error"] is None


def test_bad_files_give_store_errors(tmp_path):
    with pytest.raises(StoreError, match="no results database"):
        Store(tmp_path / "missing.sqlite", readonly=True)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a usable results database"):
        Store(junk)
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(StoreError, match="not a dropviz results file"):
        load_json(tmp_path / "x.json")


def test_export_and_shipped_roundtrip(tmp_path, trials):
    with Store(tmp_path / "r.sqlite") as store:
        for trial in trials:
            store.record(trial, _result(), attempts=1, engine="local")
        rows = store.trials()
    path = export_json(rows, tmp_path / "shipped" / "quick-digits.json", meta={"preset": "tiny"})
    payload = load_json(path)
    assert payload["preset"] == "tiny" and len(payload["trials"]) == len(trials)
    assert json.loads(path.read_text())["format"] == "dropviz-results/1"
    shipped = shipped_trials(tmp_path / "shipped")
    assert {t["key"] for t in shipped} == {t.key for t in trials}
    assert all(t["source"] == "shipped: quick-digits.json" for t in shipped)


def test_shipped_results_in_the_repository_are_small_and_complete():
    from dropviz.experiments.results_files import RESULTS_DIR, shipped_files

    files = shipped_files()
    assert {f.name for f in files} >= {"quick-digits.json", "quick-fashion-mnist.json"}, RESULTS_DIR
    for path in files:
        assert path.stat().st_size < 1_000_000, path
        payload = load_json(path)
        experiments = {t["experiment"] for t in payload["trials"]}
        assert experiments == {"table2", "fig4", "fig9a", "fig9b", "fig10", "fig11", "gaussian"}, path
        assert all(t["status"] == "completed" and t["preset"] == "quick" for t in payload["trials"])


def test_integrity_after_many_writers_commits(tmp_path, trials):
    path = tmp_path / "r.sqlite"
    with Store(path) as store:
        for trial in trials:
            store.record(trial, _result(), attempts=1, engine="local")
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    connection.close()
