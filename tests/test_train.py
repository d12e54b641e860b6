"""The twin trainer: determinism, identical start and batch order, events, divergence."""
import math

import numpy as np
import pytest
import torch

from dropviz.config import RunConfig
from dropviz.train import Evaluation, Finished, MaskSnapshot, StateSnapshot, Step, Trainer, display_units, train

SMALL = dict(dataset="moons", hidden=(16, 16), epochs=3, batch_size=16, train_size=64)


def test_same_seed_same_numbers_and_different_seed_different_numbers():
    config = RunConfig(**SMALL, method="dropout", keep_p=0.5)
    first, second = train(config), train(config)
    assert first.final == second.final
    assert train(config.changed(seed=1)).final != first.final


def test_twin_starts_from_identical_weights_and_sees_identical_batches():
    trainer = Trainer(RunConfig(**SMALL, method="dropout", keep_p=0.5))
    method, twin = trainer.models["method"], trainer.models["baseline"]
    for a, b in zip(method.parameters(), twin.parameters()):
        assert torch.equal(a, b)
    # with method 'none' the two nets must then stay identical step by step
    trainer = Trainer(RunConfig(**SMALL, method="none"))
    for _ in range(5):
        losses = trainer.step()[0].losses
        assert losses["method"] == losses["baseline"]


@pytest.mark.parametrize("method", ["dropout", "gaussian", "dropconnect"])
def test_events_of_a_run(method):
    config = RunConfig(**SMALL, method=method, keep_p=0.5)
    events = []
    result = train(config, on_event=events.append, record_masks=True)
    steps = [e for e in events if isinstance(e, Step)]
    evaluations = [e for e in events if isinstance(e, Evaluation)]
    masks = [e for e in events if isinstance(e, MaskSnapshot)]
    assert result.status == "completed" and result.steps == 12
    assert [s.step for s in steps] == list(range(1, 13))
    assert len(evaluations) == 3 and evaluations[-1].step == 12  # once per epoch
    assert set(evaluations[-1].metrics) == {"method", "baseline"}
    assert len(masks) == 12
    assert isinstance(events[-1], Finished) and events[-1].status == "completed"
    for metrics in evaluations[-1].metrics.values():
        assert 0 <= metrics["test_error"] <= 1 and metrics["test_loss"] > 0


def test_mask_snapshots_show_the_display_subnetwork():
    config = RunConfig(dataset="moons", hidden=(32, 4), epochs=1, train_size=32, batch_size=32, method="dropout",
                       keep_p=0.5, keep_p_input=1.0)
    trainer = Trainer(config, max_display_units=8)
    events = trainer.step()
    (snapshot,) = [e for e in events if isinstance(e, MaskSnapshot)]
    assert snapshot.masks[0] is None  # inputs are kept (keep_p_input 1)
    assert snapshot.masks[1].shape == (8,) and snapshot.masks[1].dtype == np.bool_
    assert snapshot.masks[2].shape == (4,)
    dc = Trainer(config.changed(method="dropconnect"), max_display_units=8)
    (snapshot,) = [e for e in dc.step() if isinstance(e, MaskSnapshot)]
    assert [None if m is None else m.shape for m in snapshot.masks] == [None, (4, 8), (2, 4)]


def test_state_snapshots_hold_probe_activations_and_weights():
    trainer = Trainer(RunConfig(**SMALL, method="dropout"), probe_size=50)
    events = []
    while not trainer.done:
        events += trainer.step()
    states = [e for e in events if isinstance(e, StateSnapshot)]
    assert len(states) == 3
    assert [a.shape for a in states[-1].activations["baseline"]] == [(50, 16), (50, 16)]
    assert [w.shape for w in states[-1].weights["method"]] == [(8, 2), (8, 8), (2, 8)]


def test_display_units_subsample_large_layers():
    assert display_units([3, 1000], 5) == ((0, 1, 2), (0, 250, 500, 749, 999))


def test_diverging_run_stops_with_a_message_and_never_raises():
    result = train(RunConfig(**{**SMALL, "epochs": 50, "hidden": (64, 64)}, method="dropout", lr=10.0))
    assert result.status == "diverged"
    assert "lower the learning rate" in result.message and "10.0" in result.message
    assert result.steps < 50 * 4


def test_max_norm_is_enforced_after_every_update():
    trainer = Trainer(RunConfig(**SMALL, method="dropout", max_norm=0.5, lr=0.5))
    for _ in range(5):
        trainer.step()
        for linear in trainer.models["method"].linears[:-1]:
            assert linear.weight.norm(dim=1).max().item() <= 0.5 + 1e-5
    assert max(l.weight.norm(dim=1).max().item() for l in trainer.models["baseline"].linears[:-1]) > 0.5


def test_no_twin_trains_only_the_method():
    result = train(RunConfig(**SMALL, twin=False))
    assert set(result.final) == {"method"}
    assert set(result.to_dict()) >= {"config", "method", "status", "steps", "wall_seconds"}


def test_dropout_beats_its_overfitting_twin_on_the_default_demo_data():
    """Real behaviour, not a fixed number: a big net on 60 noisy points overfits, dropout less."""
    config = RunConfig(dataset="moons", noise=0.3, train_size=60, hidden=(256, 256), epochs=150, batch_size=30,
                       method="dropout", keep_p=0.5, lr=0.1, seed=0)
    result = train(config)
    assert result.final["baseline"]["train_loss"] < result.final["method"]["train_loss"]
    assert result.final["baseline"]["test_loss"] > result.final["method"]["test_loss"]
    assert math.isfinite(result.final["method"]["test_loss"])
