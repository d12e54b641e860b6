"""SQLite results store (WAL mode) for experiment sweeps.

One row per trial, keyed by the trial's identity hash. Only the driver
process writes: workers (local processes or Ray tasks) return their results
and the driver commits each finished trial in its own transaction, so a sweep
killed at any moment (SIGKILL included) keeps every trial it had finished and
leaves a database that passes ``PRAGMA integrity_check``. Re-running a sweep
skips the trials that are already done (status completed or diverged).

Shipped results are the same rows exported to a small JSON file
(:func:`export_json` / :func:`load_json`)."""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import pathlib
import socket
import sqlite3
from typing import Iterable, Sequence

from .. import __version__

DONE_STATUSES = ("completed", "diverged")
STATUSES = ("pending", "completed", "diverged", "failed")
ENV_DB = "DROPVIZ_RESULTS_DB"

SCHEMA = """
CREATE TABLE IF NOT EXISTS trials (
    key TEXT PRIMARY KEY,
    experiment TEXT NOT NULL,
    preset TEXT NOT NULL,
    dataset TEXT NOT NULL,
    series TEXT NOT NULL,
    x REAL,
    x_name TEXT NOT NULL DEFAULT '',
    condition TEXT NOT NULL,
    seed INTEGER NOT NULL,
    config TEXT NOT NULL,
    test_size INTEGER,
    mc_ks TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL CHECK (status IN ('pending', 'completed', 'diverged', 'failed')),
    metrics TEXT,
    curves TEXT,
    extra TEXT,
    message TEXT,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    wall_s REAL,
    device TEXT,
    engine TEXT,
    worker TEXT,
    sweep_id INTEGER,
    created_at TEXT NOT NULL,
    finished_at TEXT,
    version TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS trials_group ON trials (experiment, preset, dataset);
CREATE TABLE IF NOT EXISTS sweeps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    experiments TEXT NOT NULL,
    preset TEXT NOT NULL,
    dataset TEXT NOT NULL,
    engine TEXT NOT NULL,
    workers INTEGER,
    n_trials INTEGER NOT NULL,
    n_skipped INTEGER NOT NULL DEFAULT 0,
    n_completed INTEGER NOT NULL DEFAULT 0,
    n_failed INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    wall_s REAL,
    version TEXT NOT NULL,
    pid INTEGER,
    host TEXT
);
"""
OUR_TABLES = {"trials", "sweeps", "sqlite_sequence"}
TRIAL_COLUMNS = {"key", "experiment", "preset", "dataset", "condition", "config", "status"}

JSON_COLUMNS = ("config", "mc_ks", "metrics", "curves", "extra")


def default_db_path() -> pathlib.Path:
    """``$DROPVIZ_RESULTS_DB``, else ``~/.cache/dropviz/experiments.sqlite``."""
    if os.environ.get(ENV_DB):
        return pathlib.Path(os.environ[ENV_DB]).expanduser()
    return pathlib.Path(os.path.expanduser("~/.cache/dropviz/experiments.sqlite"))


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _dumps(value) -> str | None:
    if value is None:
        return None
    return json.dumps(value, separators=(",", ":"), allow_nan=True)


def _clean(value):
    """JSON-safe floats: NaN/inf (a diverged run) become None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


class StoreError(RuntimeError):
    """The results database cannot be opened or is not a dropviz results database."""


class Store:
    """A results database. Open one per thread; only the sweep driver writes."""

    def __init__(self, path: str | os.PathLike | None = None, *, readonly: bool = False):
        self.path = pathlib.Path(path) if path is not None else default_db_path()
        try:
            if readonly:
                if not self.path.exists():
                    raise StoreError(f"no results database at {self.path}")
                self.conn = sqlite3.connect(
                    f"file:{self.path}?mode=ro", uri=True, timeout=30, isolation_level=None, check_same_thread=False
                )
                self._refuse_foreign()
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
                self._refuse_foreign()  # before anything is written (WAL switch, tables)
                mode = self.conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                if mode.lower() != "wal":
                    raise StoreError(f"{self.path}: could not switch to WAL mode (got {mode})")
                # FULL: a commit is on disk before the next trial starts (trials take seconds).
                self.conn.execute("PRAGMA synchronous=FULL")
                self.conn.executescript(SCHEMA)
                columns = {row[1] for row in self.conn.execute("PRAGMA table_info(sweeps)")}
                for column, kind in (("pid", "INTEGER"), ("host", "TEXT")):  # databases of earlier versions
                    if column not in columns:
                        self.conn.execute(f"ALTER TABLE sweeps ADD COLUMN {column} {kind}")
        except sqlite3.DatabaseError as error:
            if hasattr(self, "conn"):
                self.conn.close()
            raise StoreError(f"{self.path} is not a usable results database: {error}") from None
        except StoreError:
            if hasattr(self, "conn"):
                self.conn.close()
            raise
        self.conn.row_factory = sqlite3.Row

    def _refuse_foreign(self) -> None:
        """Another application's SQLite file is never written to (nor switched to WAL)."""
        tables = {row[0] for row in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        foreign = sorted(tables - OUR_TABLES)
        trial_columns = (
            {row[1] for row in self.conn.execute("PRAGMA table_info(trials)")} if "trials" in tables else TRIAL_COLUMNS
        )
        if foreign or not TRIAL_COLUMNS <= trial_columns:
            shown = ", ".join(foreign[:5]) + (" ..." if len(foreign) > 5 else "") if foreign else "trials"
            raise StoreError(
                f"{self.path} is another application's SQLite database (tables: {shown}), not a dropviz "
                "results database; give a new file or an existing dropviz results database"
            )

    # context manager ----------------------------------------------------------------------------
    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # writes (driver only) -------------------------------------------------------------------------
    def _transaction(self):
        store = self

        class _Tx:
            def __enter__(self):
                store.conn.execute("BEGIN IMMEDIATE")
                return store.conn

            def __exit__(self, kind, value, tb):
                store.conn.execute("ROLLBACK" if kind else "COMMIT")

        return _Tx()

    @staticmethod
    def _insert_pending(conn, trials: Sequence, sweep_id: int | None, created: str) -> None:
        """Insert each trial as pending unless its key is already stored."""
        conn.executemany(
            "INSERT OR IGNORE INTO trials (key, experiment, preset, dataset, series, x, x_name, condition, seed, "
            "config, test_size, mc_ks, status, sweep_id, created_at, version) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)",
            [
                (
                    t.key,
                    t.experiment,
                    t.preset,
                    t.dataset,
                    t.series,
                    t.x,
                    t.x_name,
                    t.condition,
                    t.seed,
                    _dumps(t.config.model_dump(mode="json")),
                    t.test_size,
                    _dumps(list(t.mc_ks)),
                    sweep_id,
                    created,
                    __version__,
                )
                for t in trials
            ],
        )

    def register(self, trials: Sequence, sweep_id: int | None = None) -> int:
        """Add the sweep's trials as pending (those already stored are left as they are)."""
        with self._transaction() as conn:
            before = conn.total_changes
            self._insert_pending(conn, trials, sweep_id, now())
            return conn.total_changes - before

    def record(self, trial, result: dict, *, attempts: int, engine: str, sweep_id: int | None = None) -> None:
        """Store one finished (or finally failed) trial in its own transaction."""
        status = result.get("status", "failed")
        if status not in STATUSES or status == "pending":
            status = "failed"
        with self._transaction() as conn:
            self._insert_pending(conn, [trial], sweep_id, now())
            conn.execute(
                "UPDATE trials SET status=?, metrics=?, curves=?, extra=?, message=?, error=?, attempts=?, wall_s=?, "
                "device=?, engine=?, worker=?, sweep_id=COALESCE(?, sweep_id), finished_at=?, version=? WHERE key=?",
                (
                    status,
                    _dumps(_clean(result.get("final"))),
                    _dumps(_clean(result.get("curves"))),
                    _dumps(_clean(result.get("extra"))),
                    result.get("message"),
                    result.get("error"),
                    attempts,
                    result.get("wall_s"),
                    result.get("device"),
                    engine,
                    result.get("worker"),
                    sweep_id,
                    now(),
                    __version__,
                    trial.key,
                ),
            )

    def start_sweep(
        self,
        experiments: Iterable[str],
        preset: str,
        dataset: str,
        *,
        engine: str,
        workers: int | None,
        n_trials: int,
        n_skipped: int,
    ) -> int:
        self.mark_interrupted()
        with self._transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO sweeps (experiments, preset, dataset, engine, workers, n_trials, n_skipped, status, "
                "started_at, version, pid, host) VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?)",
                (
                    ",".join(experiments),
                    preset,
                    dataset,
                    engine,
                    workers,
                    n_trials,
                    n_skipped,
                    now(),
                    __version__,
                    os.getpid(),
                    socket.gethostname(),
                ),
            )
            return int(cursor.lastrowid)

    def mark_interrupted(self) -> int:
        """Sweeps still 'running' whose driver process on this host is gone (killed) become 'interrupted'."""
        host = socket.gethostname()
        rows = self.conn.execute(
            "SELECT id, pid FROM sweeps WHERE status = 'running' AND host = ? AND pid IS NOT NULL", (host,)
        ).fetchall()
        dead = [row[0] for row in rows if not _process_alive(int(row[1]))]
        if dead:
            with self._transaction() as conn:
                conn.executemany(
                    "UPDATE sweeps SET status = 'interrupted', finished_at = ? WHERE id = ? AND status = 'running'",
                    [(now(), sweep_id) for sweep_id in dead],
                )
        return len(dead)

    def finish_sweep(self, sweep_id: int, *, status: str, n_completed: int, n_failed: int, wall_s: float) -> None:
        with self._transaction() as conn:
            conn.execute(
                "UPDATE sweeps SET status=?, n_completed=?, n_failed=?, wall_s=?, finished_at=? WHERE id=?",
                (status, n_completed, n_failed, round(wall_s, 3), now(), sweep_id),
            )

    # reads -------------------------------------------------------------------------------------------
    def done_keys(self, keys: Iterable[str] | None = None) -> set[str]:
        placeholders = ",".join("?" * len(DONE_STATUSES))
        rows = self.conn.execute(f"SELECT key FROM trials WHERE status IN ({placeholders})", DONE_STATUSES)
        done = {row[0] for row in rows}
        return done if keys is None else done & set(keys)

    def trials(
        self,
        experiment: str | None = None,
        preset: str | None = None,
        dataset: str | None = None,
        *,
        keys: Iterable[str] | None = None,
        status: str | None = None,
    ) -> list[dict]:
        clauses, params = [], []
        for column, value in (("experiment", experiment), ("preset", preset), ("dataset", dataset), ("status", status)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = [_row_dict(row) for row in self.conn.execute(f"SELECT * FROM trials {where} ORDER BY rowid", params)]
        if keys is not None:
            wanted = set(keys)
            rows = [row for row in rows if row["key"] in wanted]
        return rows

    def groups(self) -> list[dict]:
        """One entry per (experiment, preset, data set) stored: counts and the last finish time."""
        rows = self.conn.execute(
            "SELECT experiment, preset, dataset, COUNT(*) AS n, "
            "SUM(status = 'completed') AS completed, SUM(status = 'failed') AS failed, "
            "SUM(status = 'pending') AS pending, MAX(finished_at) AS last FROM trials "
            "GROUP BY experiment, preset, dataset ORDER BY last DESC"
        )
        return [dict(row) for row in rows]

    def sweeps(self, limit: int = 50) -> list[dict]:
        return [dict(row) for row in self.conn.execute("SELECT * FROM sweeps ORDER BY id DESC LIMIT ?", (limit,))]

    def integrity_check(self) -> str:
        return self.conn.execute("PRAGMA integrity_check").fetchone()[0]


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process has the id: not our driver, but alive
        return True
    return True


def _row_dict(row: sqlite3.Row) -> dict:
    data = dict(row)
    for column in JSON_COLUMNS:
        if data.get(column) is not None:
            data[column] = json.loads(data[column])
    return data
