"""Background runner: controls, bounded thread-safe log, prompt stop, no orphan threads."""

import gc
import os
import sys
import threading
import time

import numpy as np
import pytest

from dropviz.config import RunConfig
from dropviz.runner import BackgroundRunner, MetricLog, wait_for_step
from dropviz.train import Step

CONFIG = RunConfig(dataset="moons", hidden=(16, 16), epochs=2000, batch_size=16, train_size=64, method="dropout")


def trainer_threads():
    return [t for t in threading.enumerate() if t.name == "dropviz-trainer"]


def wait_for(predicate, timeout=20.0):
    # For what no log publishes (a thread ending); the run's progress is waited for on its log.
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_runs_to_completion_and_publishes_metrics():
    runner = BackgroundRunner(RunConfig(**{**CONFIG.model_dump(), "epochs": 5}))
    runner.start()
    assert runner.wait(30)
    snap = runner.snapshot()
    assert snap.state == "completed"
    assert snap.step == 20 and len(snap.steps) == 20
    assert len(snap.evaluations) == 5 and snap.latest_state is not None
    assert snap.started.total_steps == 20


def steps_beyond(runner, step: int, timeout: float) -> bool:
    """Whether the run gets past ``step`` within ``timeout`` s (woken by each publish, not polled)."""
    return runner.log.wait_until(lambda log: log.snapshot().step > step, timeout)


def test_single_steps_while_paused_and_pause_resume():
    runner = BackgroundRunner(CONFIG)
    runner.step(3)
    assert runner.log.wait_until(lambda log: log.snapshot().step == 3, 30)
    assert not steps_beyond(runner, 3, 0.3) and runner.state == "paused"
    runner.start()  # resumes
    assert steps_beyond(runner, 10, 30)
    runner.pause()
    paused_at = runner.snapshot().step
    # At most the mini-batch that was under way when Pause came lands after it.
    assert not steps_beyond(runner, paused_at + 1, 0.4) and runner.state == "paused"
    runner.stop()


def test_second_start_is_harmless_and_stop_is_prompt():
    runner = BackgroundRunner(CONFIG)
    runner.start()
    runner.start()
    assert steps_beyond(runner, 0, 30)
    assert len(trainer_threads()) == 1
    started = time.monotonic()
    runner.stop()
    assert time.monotonic() - started < 1.0
    wait_for(lambda: not runner.alive, 2)
    assert runner.state == "stopped"
    assert "stopped by the user" in runner.snapshot().message


def test_dropping_the_runner_stops_its_thread():
    runner = BackgroundRunner(CONFIG)
    runner.start()
    assert steps_beyond(runner, 0, 30)
    del runner
    gc.collect()
    wait_for(lambda: not trainer_threads(), 3)


def test_speed_limit_does_not_reset_the_run():
    runner = BackgroundRunner(CONFIG)
    runner.set_speed(20)
    runner.start()
    assert steps_beyond(runner, 0, 30)
    started, first = time.monotonic(), runner.snapshot().step
    assert steps_beyond(runner, first + 9, 30)
    slow = runner.snapshot().step
    assert time.monotonic() - started >= 0.9 * (slow - first) / 20  # no faster than 20 steps a second
    runner.set_speed(None)
    assert steps_beyond(runner, slow + 50, 30)
    assert runner.snapshot().steps[0].step == 1  # same run, not restarted
    runner.stop()


def test_wait_for_step_returns_once_a_requested_step_is_published():
    runner = BackgroundRunner(CONFIG)
    assert not wait_for_step(runner.log, 1, 0.05)  # nothing asked yet
    runner.step(2)
    assert wait_for_step(runner.log, 2, 30) and runner.log.step == runner.snapshot().step == 2
    runner.stop()


def test_two_quick_keep_changes_before_a_step_both_apply():
    runner = BackgroundRunner(CONFIG)  # keep_p 0.5, input 1.0
    runner.step(1)
    assert runner.log.wait_until(lambda log: log.snapshot().step == 1, 30)
    runner.set_keep_p(keep_p=0.3)
    runner.set_keep_p(keep_p_input=0.8)  # before the next mini-batch: adds to the first, does not replace it
    runner.step(1)
    assert runner.log.wait_until(lambda log: log.snapshot().step == 2, 30)
    changes = runner.snapshot().keep_changes
    assert [(c.old_keep_p, c.new_keep_p, c.old_keep_p_input, c.new_keep_p_input) for c in changes] == [
        (0.5, 0.3, 1.0, 0.8)
    ]
    assert (runner.trainer.config.keep_p, runner.trainer.config.keep_p_input) == (0.3, 0.8)
    runner.stop()


def test_wait_until_may_read_the_log_in_its_predicate():
    # The predicate runs without the log's lock: one that takes a snapshot used to deadlock the log.
    log = MetricLog()
    answers = []
    waiter = threading.Thread(
        target=lambda: answers.append(log.wait_until(lambda log: log.snapshot().step >= 3, timeout=20)), daemon=True
    )
    waiter.start()
    publisher = threading.Thread(
        target=lambda: [log.publish(Step(step, step / 10, {"method": 1.0})) for step in (1, 2, 3)], daemon=True
    )
    publisher.start()
    waiter.join(20)
    assert answers == [True] and log.snapshot().step == 3
    assert not log.wait_until(lambda log: log.snapshot().step >= 4, timeout=0.05)  # times out: its last value


def test_bad_dataset_sets_error_state_with_message():
    runner = BackgroundRunner(CONFIG.changed(dataset="nope.csv"))
    runner.start()
    assert runner.wait(10)
    snap = runner.snapshot()
    assert snap.state == "error" and "nope.csv" in snap.message


def test_log_is_bounded_and_snapshots_are_independent_copies():
    log = MetricLog(max_steps=10)
    for index in range(1, 101):
        log.publish(Step(index, index / 10, {"method": 1.0}))
    snap = log.snapshot()
    assert [s.step for s in snap.steps] == list(range(91, 101))
    log.publish(Step(101, 10.1, {"method": 1.0}))
    assert snap.steps[-1].step == 100 and log.snapshot().steps[-1].step == 101
    assert log.snapshot().version > snap.version


def test_many_concurrent_readers_while_training():
    runner = BackgroundRunner(CONFIG)
    runner.start()
    errors = []

    def read():
        try:
            last = 0
            for _ in range(200):
                snap = runner.snapshot()
                assert snap.version >= last
                last = snap.version
                steps = [s.step for s in snap.steps]
                assert steps == sorted(steps)
        except Exception as error:  # collected for the main thread
            errors.append(error)

    readers = [threading.Thread(target=read) for _ in range(4)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    runner.stop()
    assert errors == []


def test_copy_models_are_independent_eval_copies():
    runner = BackgroundRunner(CONFIG)
    assert runner.copy_models() == {}
    runner.step(2)
    assert runner.log.wait_until(lambda log: log.snapshot().step == 2, 30)
    models = runner.copy_models()
    assert set(models) == {"method", "baseline"}
    assert not models["method"].training
    runner.stop()


def test_state_history_stays_bounded_and_keeps_covering_the_whole_run():
    from dropviz.train import StateSnapshot

    log = MetricLog(state_history=10)
    for step in range(1, 1001):
        log.publish(StateSnapshot(step, {}, {}))
    steps = [state.step for state in log.snapshot().state_history]
    assert len(steps) <= 10
    assert steps[0] <= 10 and steps[-1] == 1000  # from the start to now
    assert steps == sorted(steps)
    gaps = np.diff(steps[:-1])  # the newest may sit closer to the last evenly kept one
    assert gaps.min() == gaps.max()


def test_evaluations_stay_bounded_and_keep_covering_the_whole_run():
    from dropviz.train import Evaluation

    log = MetricLog(max_evaluations=50)
    for step in range(1, 2001):
        log.publish(Evaluation(step, step / 10, {"method": {"test_loss": 1.0 / step}}))
    steps = [evaluation.step for evaluation in log.snapshot().evaluations]
    assert 25 <= len(steps) <= 50
    assert steps[0] == 1 and steps[-1] == 2000  # the curve still starts at the first evaluation
    assert steps == sorted(steps)
    gaps = np.diff(steps[:-1])  # the newest is always kept, closer to the last evenly kept one
    assert gaps.min() == gaps.max()  # evenly thinned, not a hole in the middle


def test_wait_for_evaluation_returns_once_the_first_point_exists():
    runner = BackgroundRunner(RunConfig(**{**CONFIG.model_dump(), "epochs": 3}))
    assert not runner.wait_for_evaluation(timeout=0.05)  # not started: nothing to wait for
    runner.start()
    assert runner.wait_for_evaluation(timeout=30)
    assert runner.snapshot().evaluations
    runner.stop()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are a Linux feature")
def test_training_thread_runs_at_a_lower_priority_than_the_server():
    runner = BackgroundRunner(RunConfig(hidden=(8,), epochs=100_000, train_size=20), num_threads=1, nice=5)
    runner.start()
    assert runner.wait_for_evaluation(timeout=30)
    trainer_nice = os.getpriority(os.PRIO_PROCESS, runner._thread.native_id)
    runner.stop()
    assert trainer_nice == min(19, os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) + 5)


def test_full_speed_training_sleeps_between_steps_to_hand_over_the_gil(monkeypatch):
    import dropviz.runner as runner_module

    sleeps = []
    real_sleep = time.sleep
    monkeypatch.setattr(runner_module.time, "sleep", lambda seconds: sleeps.append(seconds) or real_sleep(seconds))
    config = RunConfig(hidden=(8,), epochs=5, train_size=20, batch_size=10)  # 10 steps
    runner = BackgroundRunner(config, num_threads=1, yield_seconds=0.001)
    runner.start()
    assert runner.wait(30) and runner.snapshot().step == 10
    assert sleeps.count(0.001) >= 9  # one per step (the first may come before the trainer exists)
    # Rate-limited runs sleep by their own clock instead; the default runner never sleeps at full speed.
    sleeps.clear()
    plain = BackgroundRunner(config, num_threads=1)
    plain.start()
    assert plain.wait(30) and sleeps.count(0.001) == 0
