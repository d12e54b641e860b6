"""MetricLog.on_first_evaluation: how a page's live stream learns of a run's first point without asking."""

import threading

from dropviz.metric_log import MetricLog
from dropviz.train import Evaluation, Step

METRICS = {"method": {"train_loss": 0.5, "train_error": 0.25, "test_loss": 0.6, "test_error": 0.3}}


def step(number: int) -> Step:
    return Step(step=number, epoch=number / 10, losses={"method": 0.5})


def test_the_callback_runs_once_when_the_first_evaluation_is_published():
    log = MetricLog()
    calls: list[str] = []
    log.on_first_evaluation(lambda: calls.append(threading.current_thread().name))
    log.publish(step(1))
    assert calls == []  # steps are not points
    publisher = threading.Thread(target=log.publish_many, args=((step(2), Evaluation(2, 0.2, METRICS)),), name="pub")
    publisher.start()
    publisher.join()
    assert calls == ["pub"]  # from the publishing thread, outside the log's lock (it could read the log)
    log.publish(Evaluation(3, 0.3, METRICS))
    assert calls == ["pub"]  # once


def test_a_callback_registered_after_the_first_evaluation_runs_at_once():
    log = MetricLog()
    log.publish(Evaluation(1, 0.1, METRICS))
    calls: list[int] = []
    log.on_first_evaluation(lambda: calls.append(len(log.snapshot().evaluations)))
    assert calls == [1]
