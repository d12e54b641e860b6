"""Trainers in worker processes: same numbers as in-process, queueing, slots freed on close and on a
crashed worker, controls, and no worker outliving the server."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import psutil
import pytest
import torch

from dropviz.config import RunConfig
from dropviz.runner import BackgroundRunner
from dropviz.train import Trainer
from dropviz.workers import JobSpec, PoolRunner, RunHost, TrainerPool

ROOT = Path(__file__).resolve().parents[1]
SHORT = RunConfig(dataset="moons", hidden=(16, 16), epochs=30, method="dropout", seed=3)  # 60 steps
ENDLESS = RunConfig(dataset="moons", hidden=(8,), epochs=100_000, train_size=20)


def wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture(scope="module")
def pool():
    pool = TrainerPool(2, resident_capacity=8)
    pool.start_hosts()
    yield pool
    pool.shutdown()


def in_process(config):
    trainer = Trainer(config)
    events = [trainer.started_event()]
    while not trainer.done:
        events.extend(trainer.step())
    return trainer, events


def test_worker_process_gives_the_same_numbers_as_in_process(pool):
    trainer, events = in_process(SHORT)
    runner = PoolRunner(SHORT, pool=pool)
    runner.start()
    assert runner.wait(60) and runner.state == "completed"
    snap = runner.snapshot()
    evaluations = [event for event in events if type(event).__name__ == "Evaluation"]
    steps = [event for event in events if type(event).__name__ == "Step"]
    assert [e.metrics for e in snap.evaluations] == [e.metrics for e in evaluations]
    assert [s.losses for s in snap.steps] == [s.losses for s in steps]
    assert snap.step == trainer.step_count == 60
    # The bounded parts arrive as the log keeps them: the newest masks and the thinned states.
    masks = [event for event in events if type(event).__name__ == "MaskSnapshot"][-len(snap.masks) :]
    assert [m.step for m in snap.masks] == [m.step for m in masks]
    for got, want in zip(snap.masks[-1].masks, masks[-1].masks):
        assert (got is None and want is None) or np.array_equal(got, want)
    thread = BackgroundRunner(SHORT)
    thread.start()
    assert thread.wait(60)
    assert [s.step for s in snap.state_history] == [s.step for s in thread.snapshot().state_history]
    # The stream carried the snapshots slim; the history sent at the end filled in every kept one's probe
    # activations, equal to the in-process run's.
    for got, want in zip(snap.state_history, thread.snapshot().state_history):
        assert set(got.activations) == set(want.activations) == {"method", "baseline"}
        for run in want.activations:
            for got_layer, want_layer in zip(got.activations[run], want.activations[run], strict=True):
                np.testing.assert_allclose(got_layer, want_layer, atol=1e-6)
    np.testing.assert_array_equal(snap.latest_state.weights["method"][0], trainer.state_snapshot().weights["method"][0])
    # copy_models: the final weights, rebuilt here, as eval-mode nets.
    models = runner.copy_models()
    assert set(models) == {"method", "baseline"} and not models["method"].training
    for run in models:
        for name, tensor in trainer.models[run].state_dict().items():
            assert torch.equal(models[run].state_dict()[name], tensor)
    assert runner.trained_dataset is not None and runner.trained_dataset.x_test.shape == trainer.x_test.shape


def test_single_steps_pause_resume_speed_and_stop(pool):
    runner = PoolRunner(ENDLESS, pool=pool)
    runner.step(3)
    assert runner.wait(30, until=("paused",))
    wait_for(lambda: runner.snapshot().step == 3)
    assert runner.copy_models()  # a finished single step sends its weights
    assert runner.snapshot().latest_state.step == 3  # and its newest state, whatever the thinning held back
    runner.step(2)
    wait_for(lambda: runner.snapshot().step == 5)
    runner.set_speed(20)
    runner.start()  # resumes, rate-limited
    assert runner.state == "running"
    wait_for(lambda: runner.snapshot().step >= 10)
    runner.set_speed(None)
    wait_for(lambda: runner.snapshot().step > 200)
    assert runner.snapshot().steps[0].step == 1  # the same run, never restarted
    runner.pause()
    paused_at = runner.snapshot().step
    assert runner.state == "paused"
    started = time.monotonic()
    runner.stop()
    assert time.monotonic() - started < 2.0
    assert runner.state == "stopped" and "stopped by the user" in runner.snapshot().message
    assert runner.snapshot().step <= paused_at + 200  # a slice in flight may land, then nothing
    assert not runner.alive


def test_a_queued_run_starts_by_itself_when_a_slot_frees():
    pool = TrainerPool(1, resident_capacity=1)
    try:
        first = PoolRunner(ENDLESS, pool=pool)
        first.start()
        assert first.wait_for_evaluation(60)
        second = PoolRunner(SHORT, pool=pool)
        second.start()
        assert second.state == "queued" and second.queue_position == 1
        third = PoolRunner(SHORT, pool=pool)
        third.start()
        assert third.queue_position == 2
        assert pool.stats() == {"hosts": 1, "resident": 1, "queued": 2, "resident_capacity": 1}
        first.stop()
        assert second.wait(60) and second.state == "completed"
        assert third.wait(60) and third.state == "completed"
        assert second.queue_position is None and pool.stats()["queued"] == 0
    finally:
        pool.shutdown()


def test_closing_a_run_frees_its_slot_and_ends_it_on_the_worker(pool):
    runner = PoolRunner(ENDLESS, pool=pool)
    runner.start()
    assert runner.wait_for_evaluation(60)
    assert pool.stats()["resident"] == 1
    log = runner.log
    runner.close()
    wait_for(lambda: pool.stats()["resident"] == 0, 10)
    assert log.state == "stopped"
    version = log.version
    # The worker's last message for a run is that it has gone: after another run's round trip through
    # the same workers and reader, nothing more has arrived for the closed one.
    other = PoolRunner(SHORT, pool=pool)
    other.start()
    assert other.wait(60) and other.state == "completed"
    assert log.version == version


def test_dropping_a_runner_frees_its_slot(pool):
    import gc

    runner = PoolRunner(ENDLESS, pool=pool)
    runner.start()
    assert runner.wait_for_evaluation(60)
    del runner
    gc.collect()
    wait_for(lambda: pool.stats()["resident"] == 0, 10)


def test_a_killed_worker_fails_its_runs_with_a_message_and_frees_their_slots():
    pool = TrainerPool(1, resident_capacity=2)
    try:
        runners = [PoolRunner(ENDLESS, pool=pool) for _ in range(2)]
        for runner in runners:
            runner.start()
        for runner in runners:
            assert runner.wait_for_evaluation(60)
        queued = PoolRunner(SHORT, pool=pool)
        queued.start()
        assert queued.state == "queued"
        (pid,) = pool.host_pids()
        os.kill(pid, signal.SIGKILL)
        for runner in runners:
            assert runner.wait(30) and runner.state == "error"
            assert "stopped unexpectedly" in runner.snapshot().message and "signal 9" in runner.snapshot().message
            assert not runner.alive
        # The freed slot goes to the queued run, on a new worker.
        assert queued.wait(60) and queued.state == "completed"
        assert pool.host_pids() and pool.host_pids() != [pid]
    finally:
        pool.shutdown()


def test_a_bad_dataset_is_an_error_state_with_a_message(pool):
    runner = PoolRunner(SHORT.changed(dataset="nope.csv"), pool=pool)
    runner.start()
    assert runner.wait(30) and runner.state == "error" and "nope.csv" in runner.snapshot().message
    wait_for(lambda: pool.stats()["resident"] == 0, 10)


SERVER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from dropviz.config import RunConfig
    from dropviz.workers import PoolRunner, TrainerPool
    if __name__ == "__main__":
        pool = TrainerPool(2)
        runner = PoolRunner(RunConfig(hidden=(8,), epochs=100_000, train_size=20), pool=pool)
        runner.start()
        runner.wait_for_evaluation(60)
        print("ready", flush=True)
        time.sleep(600)
""")


def test_no_worker_survives_a_killed_server(tmp_path):
    script = tmp_path / "server.py"
    script.write_text(SERVER.format(root=str(ROOT)))
    server = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().strip() == "ready"
        descendants = psutil.Process(server.pid).children(recursive=True)
        assert len(descendants) >= 2  # the workers (and the fork server that made them)
        server.send_signal(signal.SIGKILL)
        server.wait(10)
        gone, alive = psutil.wait_procs(descendants, timeout=15)
        assert alive == []
    finally:
        if server.poll() is None:
            server.kill()


def test_a_keep_sweep_trains_on_the_pool_with_the_same_numbers_as_in_a_thread(pool):
    from dropviz.keep_sweep import SweepRunner
    from dropviz.viz.unit_maps import dropped_units_of
    from dropviz.workers import PoolSweepRunner

    config = SHORT.changed(epochs=10)
    grid = (0.5, 1.0)
    on_pool = PoolSweepRunner(config, grid, pool=pool)
    on_pool.start()
    assert on_pool.wait(60) and on_pool.state == "completed"
    in_thread = SweepRunner(config, grid)
    in_thread.start()
    assert in_thread.wait(60) and in_thread.state == "completed"
    for keep in grid:
        got, want = on_pool.member(keep).snapshot(), in_thread.member(keep).snapshot()
        assert got.evaluations and [e.metrics for e in got.evaluations] == [e.metrics for e in want.evaluations]
        assert [s.losses for s in got.steps] == [s.losses for s in want.steps]
        assert [s.step for s in got.state_history] == [s.step for s in want.state_history]
        models, expected = on_pool.member_models(keep), in_thread.member_models(keep)
        for run in ("method", "baseline"):
            for name, tensor in expected[run].state_dict().items():
                assert torch.equal(models[run].state_dict()[name], tensor)
            # the unit maps' dropped marks: the member's last mini-batch's, as in the thread
            got_marks, want_marks = dropped_units_of(models[run]), dropped_units_of(expected[run])
            assert [None if m is None else m.tolist() for m in got_marks] == [
                None if m is None else m.tolist() for m in want_marks
            ]
        if keep < 1.0:
            assert any(marks is not None and marks.any() for marks in dropped_units_of(models["method"]))
    assert on_pool.response().equals(in_thread.response())
    assert on_pool.member(0.5).trained_dataset is not None
    # the page's cadence reads the step without a snapshot: the same step for both kinds of sweep
    assert on_pool.log.step == on_pool.snapshot().step
    assert in_thread.log.step == in_thread.snapshot().step


# --- compatible runs stacked into one cohort (dropviz.cohort) ----------------------------------------------


def numbers(events):
    """(step, losses) of every Step and (step, metrics) of every Evaluation."""
    steps = [(e.step, e.losses) for e in events if type(e).__name__ == "Step"]
    evaluations = [(e.step, e.metrics) for e in events if type(e).__name__ == "Evaluation"]
    return steps, evaluations


def assert_close_numbers(got, want, tolerance=2e-5):
    """Same steps and evaluations; values within ``tolerance`` (stacked kernels sum in another order)."""
    (got_steps, got_evals), (want_steps, want_evals) = numbers(got), numbers(want)
    assert [s for s, _ in got_steps] == [s for s, _ in want_steps]
    assert [s for s, _ in got_evals] == [s for s, _ in want_evals]
    for (_, mine), (_, theirs) in zip(got_steps, want_steps):
        assert mine == pytest.approx(theirs, abs=tolerance)
    for (_, mine), (_, theirs) in zip(got_evals, want_evals):
        for run in theirs:
            assert mine[run] == pytest.approx(theirs[run], abs=tolerance)


def test_a_host_stacks_compatible_runs_and_a_paused_one_sits_out_without_holding_the_others():
    host = RunHost()
    configs = {run_id: SHORT.changed(seed=seed) for run_id, seed in ((1, 0), (2, 1), (3, 2))}
    configs[4] = SHORT.changed(hidden=(8,))  # another shape: trains alone
    for run_id, config in configs.items():
        host.handle(("add", run_id, JobSpec(Trainer, config), False, 0, None, None))
    got = {run_id: [] for run_id in configs}
    largest = 0

    def pump():
        nonlocal largest
        host.work()
        largest = max([largest] + [len(cohort.members) for cohort in host.cohorts.values()])
        for message in host.take_outbox():
            if message[0] == "events":
                got[message[1]].extend(message[2])

    pump()
    pump()
    host.handle(("pause", 2))
    steps_at_pause, others_at_pause = len(numbers(got[2])[0]), len(numbers(got[1])[0])
    for _ in range(3):
        pump()
    assert len(numbers(got[2])[0]) == steps_at_pause  # paused: frozen
    assert len(numbers(got[1])[0]) > others_at_pause  # the others went on
    host.handle(("resume", 2))
    while host.runs:
        pump()
    assert largest == 3
    for run_id, config in configs.items():
        assert_close_numbers(got[run_id], in_process(config)[1])


def test_a_run_joining_a_cohort_sends_its_first_evaluation_at_once_not_after_the_slice():
    """A class presses Train within a second: each new run's first point must not wait out its cohort's
    0.2 s slice (nor the worker's send period), so the slice ends at a member's first evaluation."""
    long_run = RunConfig(dataset="moons", hidden=(8,), epochs=100_000, train_size=64, eval_every=5, seed=1)
    host = RunHost()
    for run_id in (1, 2):
        host.handle(("add", run_id, JobSpec(Trainer, long_run.changed(seed=run_id)), False, 0, None, None))
    while not all(run.evaluated for run in host.runs.values()):
        host.work()
        host.take_outbox()
    host.added_at = float("-inf")  # the class has arrived: cohort slices are long again
    host.handle(("add", 3, JobSpec(Trainer, long_run.changed(seed=3)), False, 0, None, None))
    host.work()
    assert len(host.cohorts[host.runs[1].job.key].members) == 3
    assert host.urgent  # the worker sends it now, not with the next batch
    got = {}
    for message in host.take_outbox():
        if message[0] == "events":
            got.setdefault(message[1], []).extend(message[2])
    steps, evaluations = numbers(got[3])
    assert [step for step, _ in steps] == [1, 2, 3, 4, 5]
    assert [step for step, _ in evaluations] == [5]
    assert len(numbers(got[1])[0]) == 5  # the slice ended there for every member
    assert not host.urgent
    host.work()  # nobody new: a whole slice again
    steps_after = sum(len(numbers(message[2])[0]) for message in host.take_outbox() if message[0] == "events")
    assert steps_after > 3 * 5


def test_compatible_runs_on_the_pool_give_their_in_process_numbers_and_share_a_worker():
    pool = TrainerPool(2, resident_capacity=8)
    try:
        stacked = [SHORT.changed(seed=seed) for seed in range(3)]
        other = [SHORT.changed(hidden=(8,), seed=seed) for seed in range(3)]
        runners = []
        for pair in zip(stacked, other):  # pressed alternately, placed by kind
            for config in pair:
                runner = PoolRunner(config, pool=pool)
                runner.start()
                runners.append((config, runner))
        hosts = {config.hidden: set() for config, _ in runners}
        for config, runner in runners:
            hosts[config.hidden].add(runner.worker_index)
        assert [len(indices) for indices in hosts.values()] == [1, 1]
        assert hosts[(16, 16)] != hosts[(8,)]
        for config, runner in runners:
            assert runner.wait(60) and runner.state == "completed"
            snap = runner.snapshot()
            assert_close_numbers([*snap.steps, *snap.evaluations], in_process(config)[1])
            trainer = in_process(config)[0]
            models = runner.copy_models()
            for run in models:
                for name, tensor in trainer.models[run].state_dict().items():
                    torch.testing.assert_close(models[run].state_dict()[name], tensor, atol=2e-5, rtol=0)
    finally:
        pool.shutdown()


def test_a_host_streams_state_snapshots_slim_and_sends_the_kept_history_at_pause_and_end():
    """The probe activations (~0.5 MB a snapshot for the default demo) stay on the host while the run
    trains; a pause and the end send the snapshots the log keeps, whole, and the log fills them in."""
    from dropviz.runner import MetricLog, StateHistory
    from dropviz.train import StateSnapshot
    from dropviz.workers.host import RunHost
    from dropviz.workers.messages import JobSpec

    host, log = RunHost(), MetricLog()
    host.handle(("add", 1, JobSpec(Trainer, SHORT), False, 0, None, None))
    sent: list = []

    def drain():
        for message in host.take_outbox():
            if message[0] == "events":
                sent.extend(message[2])
                log.publish_many(message[2])

    while not any(isinstance(event, StateSnapshot) for event in sent):
        host.work()
        drain()
    assert all(not event.activations for event in sent if isinstance(event, StateSnapshot))
    assert not any(isinstance(event, StateHistory) for event in sent)
    host.handle(("pause", 1))
    drain()
    histories = [event for event in sent if isinstance(event, StateHistory)]
    assert len(histories) == 1 and all(state.activations for state in histories[0].snapshots)
    assert all(state.activations for state in log.snapshot().state_history)
    host.handle(("resume", 1))
    while 1 in host.runs:
        host.work()
        drain()
    final = log.snapshot().state_history
    assert len(final) > 2 and all(set(state.activations) == {"method", "baseline"} for state in final)
    assert final[-1].step == log.step == log.snapshot().steps[-1].step  # the last step's snapshot, whole
    # The end sent only what the pause had not: no snapshot travels whole twice.
    at_pause, at_end = [event for event in sent if isinstance(event, StateHistory)]
    assert not {state.step for state in at_pause.snapshots} & {state.step for state in at_end.snapshots}


def test_the_workers_are_one_scheduling_group_apart_from_the_server_s_and_give_way_to_it():
    # With autogroup scheduling a session is a scheduling group: the server's answers must not wait
    # behind the trainers of its own group, and the trainers' group, not each worker, takes the nice value.
    pool = TrainerPool(2, resident_capacity=2, nice=7)
    try:
        pool.start_hosts()
        wait_for(lambda: len(pool.host_pids()) == 2)
        pids = pool.host_pids()
        wait_for(
            lambda: all(
                os.getpriority(os.PRIO_PROCESS, pid) == min(19, os.getpriority(os.PRIO_PROCESS, 0) + 7) for pid in pids
            )
        )
        sessions = {os.getsid(pid) for pid in pids}
        assert len(sessions) == 1 and sessions != {os.getsid(0)}
        group = Path(f"/proc/{pids[0]}/autogroup")
        if Path("/proc/self/autogroup").exists():  # Linux with autogroup scheduling built in
            assert group.read_text().split()[-2:] == ["nice", "7"]
            # A process whose session never called setsid (PID 1's, in many containers) reads an empty file: it
            # is in the root group, which is still not the trainers'.
            assert group.read_text().split()[:1] != Path("/proc/self/autogroup").read_text().split()[:1]
    finally:
        pool.shutdown()


def test_while_runs_are_placed_the_trainers_group_yields_once_every_first_point_is_out_and_not_before():
    # A class's presses: each run's first point is computed at the trainers' own priority, then their group
    # yields to the pages being drawn until the window after the latest press ends.
    pool = TrainerPool(1, resident_capacity=4, nice=3, serve_first_seconds=3.0)
    try:
        pool.start_hosts()
        wait_for(lambda: len(pool.host_pids()) == 1)
        group = Path(f"/proc/{pool.host_pids()[0]}/autogroup")
        autogroups = Path("/proc/self/autogroup").exists()  # Linux with autogroup scheduling built in

        def group_nice():
            return group.read_text().split()[-1] if autogroups else None

        first = PoolRunner(ENDLESS, pool=pool)
        first.start()
        assert first.wait_for_evaluation(30)
        wait_for(lambda: pool.group_nice == 19, timeout=5)
        assert group_nice() in (None, "19")
        # A second run placed inside the window (paused, so its first point is not out): the group is back
        # at the trainers' nice, and stays there while that run has no first point.
        second = PoolRunner(ENDLESS, pool=pool)
        placed = time.monotonic()
        second.step(0)
        assert pool.group_nice == 3
        time.sleep(0.5)
        assert pool.group_nice == 3 and not second.log.has_evaluation
        assert group_nice() in (None, "3")
        second.resume()
        assert second.wait_for_evaluation(30)
        wait_for(lambda: pool.group_nice == 19, timeout=2)
        wait_for(lambda: pool.group_nice == 3, timeout=10)
        assert 3.0 <= time.monotonic() - placed < 4.0  # the window ends 3 s after the latest placement
        assert group_nice() in (None, "3")
        first.close()
        second.close()
    finally:
        pool.shutdown()
