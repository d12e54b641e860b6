"""Session trainer holder: one run per session on the server's backend, nobody refused, load-adaptive refresh."""

import time

import pytest

from dropviz.config import RunConfig
from dropviz.runner import BackgroundRunner
from dropviz.workers import PoolRunner
from ui import session
from ui.playground_views import build_views
from ui.session import REGISTRY, TrainerHolder

SMALL = RunConfig(hidden=(8,), epochs=100_000, train_size=20)


@pytest.fixture
def holders(monkeypatch):
    monkeypatch.setenv("DROPVIZ_TRAINER_BACKEND", "thread")
    created = []
    yield lambda: created.append(TrainerHolder()) or created[-1]
    for holder in created:
        holder.close()


def wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_same_config_keeps_the_runner_and_a_change_replaces_it(holders):
    holder = holders()
    runner = holder.ensure(SMALL)
    assert holder.ensure(SMALL) is runner
    other = holder.ensure(SMALL.changed(keep_p=0.8))
    assert other is not runner and holder.config.keep_p == 0.8


def test_nobody_is_refused_and_only_training_sessions_count_as_active(holders):
    first, second = holders(), holders()
    before = REGISTRY.active()
    runner = first.ensure(SMALL)
    runner.start()
    assert runner.wait(30, until=("running",))
    assert REGISTRY.active() == before + 1
    assert second.ensure(SMALL) is not None  # never "busy"
    runner.pause()
    assert REGISTRY.active() == before  # a paused run does not make pages refresh
    first.close()
    assert not first.active


def test_a_class_s_runs_evaluate_as_often_as_the_curves_draw_and_a_lone_page_s_every_epoch(holders, monkeypatch):
    monkeypatch.setenv("DROPVIZ_MAX_TRAINERS", "2")
    assert [session.shared_max_evaluations(pages) for pages in (1, 2, 3, 30)] == [None, None, 200, 200]
    default = RunConfig(hidden=(8,))  # the default demo's data: 2 steps an epoch, 1,000 epochs
    open_pages = 2  # no more pages than runs trained at once: a lone page
    monkeypatch.setattr(REGISTRY, "open_pages", lambda: open_pages)
    alone = holders().ensure(default)
    assert alone.trainer_options.get("max_evaluations") is None
    open_pages = 3  # a class
    shared = holders().ensure(default)
    assert shared.trainer_options["max_evaluations"] == 200
    shared.start()
    assert shared.wait(60, until=("running", "completed"))
    wait_for(lambda: shared.snapshot().started is not None)
    assert shared.snapshot().started.eval_every == 10


def test_backend_is_chosen_by_the_server_environment(monkeypatch, caplog):
    monkeypatch.delenv("DROPVIZ_TRAINER_BACKEND", raising=False)
    assert session.trainer_backend() == "process"
    monkeypatch.setenv("DROPVIZ_TRAINER_BACKEND", "thread")
    assert isinstance(session.make_runner(SMALL), BackgroundRunner)
    monkeypatch.setenv("DROPVIZ_TRAINER_BACKEND", "gpu-farm")
    with caplog.at_level("WARNING"):
        assert session.trainer_backend() == "process"
    assert "DROPVIZ_TRAINER_BACKEND='gpu-farm' is not one of process, thread, ray; using process" in caplog.text


def test_closing_a_session_frees_its_slot_and_ends_its_worker_run(monkeypatch):
    """What Streamlit's on_release does when a tab has been closed for the session TTL."""
    monkeypatch.setenv("DROPVIZ_TRAINER_BACKEND", "process")
    pool = session.trainer_pool("process")
    holder = TrainerHolder()
    runner = holder.ensure(SMALL)
    assert isinstance(runner, PoolRunner)
    runner.start()
    assert runner.wait_for_evaluation(60)
    resident = pool.stats()["resident"]
    assert resident >= 1 and holder.active
    log = runner.log
    holder.close()
    wait_for(lambda: pool.stats()["resident"] == resident - 1, 10)
    assert log.state == "stopped"


def test_max_trainers_and_runs_env_are_validated(monkeypatch):
    from dropviz.workers import cpu_count

    monkeypatch.setenv("DROPVIZ_MAX_TRAINERS", "lots")
    assert session.max_concurrent_trainers() == cpu_count()
    monkeypatch.setenv("DROPVIZ_MAX_TRAINERS", "3")
    assert session.max_resident_runs() == 3 * 16
    monkeypatch.setenv("DROPVIZ_MAX_RUNS", "40")
    assert session.max_resident_runs() == 40


def test_refresh_interval_grows_with_the_sessions_that_refresh():
    load = session.RefreshLoad(initial_seconds=0.02)
    assert load.interval(0.3, 1) == 0.3  # a quiet server: the page's own rate
    assert load.interval(0.3, 30) == pytest.approx(30 * 0.02 / session.REFRESH_SHARE)
    assert load.interval(0.3, 10_000) == session.MAX_REFRESH_SECONDS
    for _ in range(100):
        load.record(0.01)
    assert load.cost_seconds == pytest.approx(0.01, rel=0.01)


def test_trainer_nice_env_is_validated_and_a_bad_value_is_logged(monkeypatch, caplog):
    assert session.trainer_nice() == 10
    monkeypatch.setenv("DROPVIZ_TRAINER_NICE", "0")
    assert session.trainer_nice() == 0
    monkeypatch.setenv("DROPVIZ_TRAINER_NICE", "25")
    with caplog.at_level("WARNING"):
        assert session.trainer_nice() == 10
    assert "DROPVIZ_TRAINER_NICE='25' is not an integer from 0 to 19; using 10" in caplog.text


def test_session_thread_runners_train_below_the_server_and_yield_the_gil(holders):
    runner = holders().ensure(SMALL)
    assert runner.nice == session.trainer_nice() and runner.yield_seconds == session.TRAINER_YIELD_SECONDS > 0


def test_worker_processes_train_below_the_server(monkeypatch):
    import os

    pool = session.trainer_pool("process")
    pool.start_hosts()
    wanted = min(19, os.getpriority(os.PRIO_PROCESS, 0) + session.worker_nice())
    for pid in pool.host_pids():  # set by the worker itself as it starts
        wait_for(lambda: os.getpriority(os.PRIO_PROCESS, pid) == wanted)


def test_warm_up_freezes_the_startup_heap_so_streamlits_gc_after_each_run_is_cheap():
    import gc

    gc.unfreeze()
    thresholds = gc.get_threshold()
    session._warm_up_engine()
    try:
        assert gc.get_freeze_count() > 10_000  # torch, plotly, pandas... moved out of the collector's way
        # A whole refresh's figures fit in the young generation: the objects a refresh of a trained run's
        # views leaves alive (Plotly's figures hold cycles) are fewer than a young collection waits for,
        # so they are garbage before any collection could move them on to the oldest generation.
        runner = BackgroundRunner(RunConfig(dataset="moons", hidden=(8, 8), epochs=2, batch_size=40))
        runner.start()
        assert runner.wait(timeout=60)
        gc.collect()
        gc.disable()
        try:
            before = gc.get_count()[0]
            views = build_views(runner.snapshot(), runner.config, runner.copy_models(), runner.trained_dataset)
            allocated = gc.get_count()[0] - before
        finally:
            gc.enable()
        assert views.boundary is not None and views.units
        assert 1_000 < allocated < gc.get_threshold()[0]  # Python's default waits for 700
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def test_refresh_interval_moves_in_steps_with_hysteresis(monkeypatch):
    monkeypatch.setattr(session, "REFRESH_LOAD", session.RefreshLoad(initial_seconds=0.02))
    monkeypatch.setattr(session.REGISTRY, "load", lambda: 30)
    needed = 30 * 0.02 / session.REFRESH_SHARE  # 0.6 s
    assert session.refresh_seconds(0.3) == 0.6 >= needed
    assert not session.refresh_interval_stale(0.6, 0.3)
    assert session.refresh_interval_stale(0.3, 0.3)  # too fast for 30 sessions: change now
    monkeypatch.setattr(session.REGISTRY, "load", lambda: 20)  # 0.4 s needed
    assert not session.refresh_interval_stale(0.6, 0.3)  # not worth a full rerun
    monkeypatch.setattr(session.REGISTRY, "load", lambda: 2)
    assert session.refresh_interval_stale(0.6, 0.3) and session.refresh_seconds(0.3) == 0.3


def test_the_refresh_load_counts_open_pages_before_they_train(holders):
    before = session.REGISTRY.open_pages()
    opened = [holders() for _ in range(3)]
    assert session.REGISTRY.open_pages() == before + 3
    assert session.REGISTRY.load() >= before + 3
    assert all(not holder.active for holder in opened)  # none trains yet, all count


def test_the_sweep_holder_shares_the_holder_rules_keyed_by_everything_but_keep_p(monkeypatch):
    from ui.playground_sweep import COARSE_GRID, SweepHolder, sweep_key

    monkeypatch.setenv("DROPVIZ_TRAINER_BACKEND", "thread")
    holder = SweepHolder()
    try:
        assert holder in REGISTRY.holders() and not holder.active
        runner = holder.ensure(SMALL)
        assert holder.ensure(SMALL.changed(keep_p=0.8)) is runner  # the sweep spans keep_p
        assert holder.config == sweep_key(SMALL) and holder.matches(SMALL.changed(keep_p=0.3))
        holder.choices[sweep_key(SMALL)] = "coarse"
        coarse = holder.ensure(SMALL)  # same settings, another grid: a fresh sweep
        assert coarse is not runner and coarse.keep_grid == COARSE_GRID
        assert holder.ensure(SMALL.changed(lr=0.05)) is not coarse
    finally:
        holder.close()
    assert holder not in REGISTRY.holders() and holder.runner is None and holder.config is None


def test_every_integer_server_setting_is_read_one_way(monkeypatch, caplog):
    from ui.experiments_run import max_concurrent_sweeps
    from ui.run_limits import web_run_limits
    from ui.server_settings import env_int

    monkeypatch.setenv("DROPVIZ_MAX_SWEEPS", "0")
    with caplog.at_level("WARNING"):
        assert max_concurrent_sweeps() == 1
    assert "DROPVIZ_MAX_SWEEPS='0' is not an integer from 1 to 1024; using 1" in caplog.text
    monkeypatch.setenv("DROPVIZ_MAX_SWEEPS", "3")
    assert max_concurrent_sweeps() == 3
    monkeypatch.setenv("DROPVIZ_MAX_RUN_MB", "-5")
    with caplog.at_level("WARNING"):
        web_run_limits()
    assert "DROPVIZ_MAX_RUN_MB='-5' is not a whole number >= 1" in caplog.text
    monkeypatch.setenv("DROPVIZ_TRAINER_NICE", "20")
    assert session.worker_nice() == 1  # out of 0..19: the default
    monkeypatch.delenv("DROPVIZ_X_UNSET", raising=False)
    assert env_int("DROPVIZ_X_UNSET", 7) == 7
