"""Trainers on Ray actors (DROPVIZ_TRAINER_BACKEND=ray) with a local Ray: the same numbers as local
training, the same controls, and a killed actor fails its run with a message."""

import time
from pathlib import Path

import pytest

# Ray is an optional extra for users, but CI installs it (requirements-ray.txt): a missing Ray fails here.
import ray  # noqa: E402
import torch

from dropviz.config import RunConfig  # noqa: E402
from dropviz.train import Trainer  # noqa: E402
from dropviz.workers import PoolRunner, TrainerPool  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHORT = RunConfig(dataset="moons", hidden=(16, 16), epochs=30, method="dropout", seed=5)


def wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture(scope="module")
def ray_pool():
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
        runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}},
    )
    pool = TrainerPool(2, resident_capacity=4, backend="ray")
    try:
        pool.start_hosts()
        yield pool
    finally:
        pool.shutdown()
        ray.shutdown()


def test_ray_trainers_give_the_same_numbers_as_local_training(ray_pool):
    trainer = Trainer(SHORT)
    evaluations = []
    while not trainer.done:
        evaluations += [event.metrics for event in trainer.step() if type(event).__name__ == "Evaluation"]
    runner = PoolRunner(SHORT, pool=ray_pool)
    runner.start()
    assert runner.wait(120) and runner.state == "completed"
    snap = runner.snapshot()
    assert [e.metrics for e in snap.evaluations] == evaluations
    assert snap.step == trainer.step_count
    models = runner.copy_models()
    for run in ("method", "baseline"):
        for name, tensor in trainer.models[run].state_dict().items():
            assert torch.equal(models[run].state_dict()[name], tensor)


def test_ray_trainers_pause_step_and_stop(ray_pool):
    runner = PoolRunner(SHORT.changed(epochs=100_000), pool=ray_pool)
    runner.step(3)
    assert runner.wait(60, until=("paused",))
    wait_for(lambda: runner.snapshot().step == 3)
    runner.start()
    wait_for(lambda: runner.snapshot().step > 50)
    runner.stop(timeout=10)
    assert runner.state == "stopped" and not runner.alive


def test_a_killed_ray_actor_fails_its_run_with_a_message(ray_pool):
    runner = PoolRunner(SHORT.changed(epochs=100_000), pool=ray_pool)
    runner.start()
    assert runner.wait_for_evaluation(60)
    for host in ray_pool.hosts():
        ray.kill(host.actor)
    assert runner.wait(60) and runner.state == "error"
    assert "Ray actor" in runner.snapshot().message and "stopped unexpectedly" in runner.snapshot().message
    assert ray_pool.stats()["resident"] == 0
