"""A live refresh's costly part (views drawn from copies of the models) is redrawn at most every
``predictions_every`` seconds while training, so that many sessions can refresh on one server."""

from dropviz.config import RunConfig
from dropviz.data import load_dataset
from dropviz.runner import BackgroundRunner
from ui.kept import KEPT
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


def test_a_run_beyond_the_servers_capacity_is_queued_with_its_position_and_starts_by_itself(monkeypatch):
    """What a student sees when the class outgrows the workers: no refusal, a queue position, then training."""
    from pathlib import Path

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from dropviz.workers import PoolRunner, TrainerPool
    from ui import session

    monkeypatch.setenv("DROPVIZ_TRAINER_BACKEND", "process")
    pool = TrainerPool(1, resident_capacity=1)
    monkeypatch.setitem(session._POOLS, "process", pool)
    st.cache_resource.clear()
    KEPT.expire_released()  # the released sessions' holders close now, as after the TTL
    try:
        other = PoolRunner(CONFIG, pool=pool)  # another student's run holds the only place
        other.start()
        assert other.wait_for_evaluation(60)
        at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=60)
        at.query_params["epochs"] = "5"
        at.run()
        at.button(key="pg_train").click().run()
        assert not at.exception
        text = "\n".join(str(element.value) for element in at.info)
        assert "position 1 in the queue" in text and "busy" not in text
        holder = next(h for h in session.REGISTRY._holders if isinstance(h, session.TrainerHolder) and h.runner)
        runner = holder.runner
        assert runner.state == "queued" and runner.queue_position == 1
        # A refresh while it waits keeps the page's pictures (they went blank until its first step).
        at.run()
        drawn = {component.key for component in at.get("bidi_component")} | {
            chart.key for chart in at.get("plotly_chart")
        }
        assert {"pg_curves", "pg_network", "pg_boundary", "pg_mask"} <= drawn, drawn
        assert runner.state == "queued"
        other.stop()
        assert runner.wait(60) and runner.state == "completed"  # it started by itself
        at.run()
        assert "position" not in "\n".join(str(element.value) for element in at.info)
    finally:
        for holder in list(session.REGISTRY._holders):
            holder.close()
        st.cache_resource.clear()
        KEPT.expire_released()  # the released sessions' holders close now, as after the TTL
        pool.shutdown()
