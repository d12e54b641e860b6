"""Ray engine: same conditions and numbers as the local engine; a killed Ray worker is retried."""

import os
import signal
import threading
import time
from pathlib import Path

# Ray is an optional extra for users, but CI installs it (requirements-ray.txt): a missing Ray fails here.
import psutil  # noqa: E402
import pytest
import ray  # noqa: E402

from dropviz.config import RunConfig  # noqa: E402
from dropviz.experiments import Trial, get_experiment  # noqa: E402
from dropviz.experiments.store import Store  # noqa: E402
from dropviz.experiments.sweep import run_sweep  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def local_ray():
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
        runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}},
    )
    try:
        yield
    finally:
        ray.shutdown()


def _rows(store):
    return {row["key"]: (row["condition"], row["seed"], row["metrics"], row["status"]) for row in store.trials()}


def test_ray_sweep_matches_local_engine(local_ray, tmp_path):
    trials = get_experiment("fig10").trials("digits", "tiny", seeds=[0])
    with Store(tmp_path / "ray.sqlite") as on_ray, Store(tmp_path / "local.sqlite") as local:
        report = run_sweep(trials, on_ray, engine="ray")
        run_sweep(trials, local, engine="local", workers=0)
        assert report.engine == "ray" and report.progress.completed == len(trials)
        assert {row["engine"] for row in on_ray.trials()} == {"ray"}
        assert _rows(on_ray) == _rows(local)  # same conditions, same seeds, same numbers
        # resuming on the other engine finds everything done
        assert run_sweep(trials, local, engine="ray").progress.skipped == len(trials)


def _slow_trials(count=3, epochs=60):
    trials = []
    for seed in range(count):
        config = RunConfig(
            dataset="digits",
            hidden=(128, 128),
            method="dropout",
            keep_p=0.5,
            epochs=epochs,
            batch_size=32,
            seed=seed,
            twin=False,
            eval_every=1000,
            device="cpu",
        )
        trials.append(Trial("gaussian", "test-kill", "digits", "dropout", None, "", config))
    return trials


def _ray_trial_workers():
    found = []
    for process in psutil.process_iter(["pid", "cmdline", "name"]):
        text = " ".join(process.info.get("cmdline") or []) + " " + (process.info.get("name") or "")
        if "_ray_execute_trial" in text:
            found.append(process.info["pid"])
    return found


def test_a_killed_ray_worker_is_retried_and_the_sweep_completes(local_ray, tmp_path):
    trials = _slow_trials()
    outcome = {}
    with Store(tmp_path / "kill.sqlite") as store:
        thread = threading.Thread(
            target=lambda: outcome.setdefault(
                "report", run_sweep(trials, store, engine="ray", workers=2, max_attempts=3)
            )
        )
        thread.start()
        killed = None
        deadline = time.monotonic() + 120
        while killed is None and time.monotonic() < deadline and thread.is_alive():
            pids = _ray_trial_workers()
            if pids:
                killed = pids[0]
                os.kill(killed, signal.SIGKILL)
            time.sleep(0.05)
        thread.join(300)
        assert killed is not None, "no Ray worker was seen running a trial"
        report = outcome["report"]
        assert report.progress.retries >= 1 and report.progress.failed == 0
        rows = store.trials()
        assert all(row["status"] == "completed" for row in rows) and len(rows) == len(trials)
        assert max(row["attempts"] for row in rows) >= 2
        assert store.integrity_check() == "ok"
