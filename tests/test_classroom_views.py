"""A live refresh's costly part (views drawn from copies of the models) is redrawn at most every
``predictions_every`` seconds while training, so that many sessions can refresh on one server."""
from dropviz.config import RunConfig
from dropviz.data import load_dataset
from dropviz.runner import BackgroundRunner
from ui.playground_views import fragment_views
from ui.session import predictions_seconds

CONFIG = RunConfig(dataset="moons", hidden=(8,), epochs=100_000)


def test_model_views_are_reused_between_redraws_while_training():
    runner = BackgroundRunner(CONFIG, num_threads=1)
    runner.start()
    try:
        assert runner.wait_for_evaluation(30)
        preview = load_dataset("moons", noise=CONFIG.noise, seed=CONFIG.seed)
        reuse = {}
        _, first, _ = fragment_views(runner, CONFIG, {}, preview, reuse=reuse, predictions_every=3600)
        _, second, _ = fragment_views(runner, CONFIG, {}, preview, reuse=reuse, predictions_every=3600)
        assert first.boundary is not None and second.boundary is first.boundary  # not redrawn
        assert second.curves is not None and second.progress.step >= first.progress.step  # the rest is live
        _, third, _ = fragment_views(runner, CONFIG, {}, preview, reuse=reuse, predictions_every=0)
        assert third.boundary is not None and third.boundary is not first.boundary  # due: redrawn
        runner.pause()
        assert runner.wait(10, until=("paused",))
        _, paused, _ = fragment_views(runner, CONFIG, {}, preview, reuse=reuse, predictions_every=3600)
        assert paused.boundary is not third.boundary  # a paused run's views are its latest, at once
    finally:
        runner.stop()


def test_model_views_are_redrawn_less_often_as_refreshes_slow_down():
    assert predictions_seconds(0.3, sessions=1) == 1.0
    assert predictions_seconds(1.5, sessions=1) == 4.5
    assert predictions_seconds(0.6, sessions=30) == 6.0  # a class: the pictures change every few seconds
