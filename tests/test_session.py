"""Session trainer holder: one run per session, a cap that counts only training runs."""
import time

import pytest

from dropviz.config import RunConfig
from ui import session
from ui.session import REGISTRY, TrainerHolder

SMALL = RunConfig(hidden=(8,), epochs=100_000, train_size=20)


@pytest.fixture
def holders(monkeypatch):
    monkeypatch.setenv("DROPVIZ_MAX_TRAINERS", "1")
    created = []
    yield lambda: created.append(TrainerHolder()) or created[-1]
    for holder in created:
        holder.close()


def wait_state(runner, states, timeout=30):
    deadline = time.monotonic() + timeout
    while runner.state not in states and time.monotonic() < deadline:
        time.sleep(0.02)
    return runner.state


def test_same_config_keeps_the_runner_and_a_change_replaces_it(holders):
    holder = holders()
    runner = holder.ensure(SMALL)
    assert holder.ensure(SMALL) is runner
    other = holder.ensure(SMALL.changed(keep_p=0.8))
    assert other is not runner and holder.config.keep_p == 0.8


def test_cap_counts_only_training_runs(holders):
    first, second = holders(), holders()
    runner = first.ensure(SMALL)
    runner.start()
    assert wait_state(runner, ("running",)) == "running"
    assert REGISTRY.active() >= 1
    assert second.ensure(SMALL) is None  # busy: the cap is 1
    runner.pause()
    assert wait_state(runner, ("paused",)) == "paused"
    assert second.ensure(SMALL) is not None  # a paused run does not hold a slot
    first.close()
    assert not first.active


def test_max_trainers_env_is_validated(monkeypatch):
    monkeypatch.setenv("DROPVIZ_MAX_TRAINERS", "lots")
    assert session.max_concurrent_trainers() == 4


def test_trainer_nice_env_is_validated_and_a_bad_value_is_logged(monkeypatch, caplog):
    assert session.trainer_nice() == 10
    monkeypatch.setenv("DROPVIZ_TRAINER_NICE", "0")
    assert session.trainer_nice() == 0
    monkeypatch.setenv("DROPVIZ_TRAINER_NICE", "25")
    with caplog.at_level("WARNING"):
        assert session.trainer_nice() == 10
    assert "DROPVIZ_TRAINER_NICE='25' is not an integer from 0 to 19; using 10" in caplog.text


def test_session_runners_train_below_the_server_and_yield_the_gil(holders):
    runner = holders().ensure(SMALL)
    assert runner.nice == session.trainer_nice() and runner.yield_seconds == session.TRAINER_YIELD_SECONDS > 0


def test_warm_up_freezes_the_startup_heap_so_streamlits_gc_after_each_run_is_cheap():
    import gc

    gc.unfreeze()
    session._warm_up_engine()
    try:
        assert gc.get_freeze_count() > 10_000  # torch, plotly, pandas... moved out of the collector's way
    finally:
        gc.unfreeze()
