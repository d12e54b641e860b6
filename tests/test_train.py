"""The twin trainer: determinism, identical start and batch order, events, divergence."""

import math
import time

import numpy as np
import pytest
import torch

from dropviz.config import RunConfig
from dropviz.data import Dataset
from dropviz.runner import BackgroundRunner
from dropviz.train import (
    EVAL_EVERY_EXAMPLES,
    EVAL_SUBSAMPLE,
    Evaluation,
    Finished,
    KeepChange,
    MaskSnapshot,
    StateSnapshot,
    Step,
    Trainer,
    default_eval_every,
    display_units,
    smoothed_losses,
    train,
)
from dropviz.viz.playground import metrics_frame

SMALL = dict(dataset="moons", hidden=(16, 16), epochs=3, batch_size=16, train_size=64)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


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
    config = RunConfig(
        dataset="moons",
        hidden=(32, 4),
        epochs=1,
        train_size=32,
        batch_size=32,
        method="dropout",
        keep_p=0.5,
        keep_p_input=1.0,
    )
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
    config = RunConfig(
        dataset="moons",
        noise=0.3,
        train_size=60,
        hidden=(256, 256),
        epochs=150,
        batch_size=30,
        method="dropout",
        keep_p=0.5,
        lr=0.1,
        seed=0,
    )
    result = train(config)
    assert result.final["baseline"]["train_loss"] < result.final["method"]["train_loss"]
    assert result.final["baseline"]["test_loss"] > result.final["method"]["test_loss"]
    assert math.isfinite(result.final["method"]["test_loss"])


# --- keep_p changed mid-run -------------------------------------------------------------------

WIDE = dict(dataset="moons", hidden=(256, 256), train_size=1024, batch_size=1024, epochs=10, method="dropout")


def kept_fraction_is_near(mask: torch.Tensor, keep: float) -> bool:
    n = mask.numel()
    return abs(mask.float().mean().item() - keep) <= 5 * math.sqrt(keep * (1 - keep) / n)


def test_keep_p_change_applies_at_the_next_mini_batch_and_is_recorded():
    trainer = Trainer(RunConfig(**WIDE, keep_p=0.5, eval_every=1))
    trainer.step()
    hidden_drop = trainer.models["method"].drops[1]
    assert kept_fraction_is_near(hidden_drop.last_mask, 0.5)
    trainer.set_keep_p(0.2)
    assert trainer.models["method"].drops[1] is hidden_drop  # nothing changes until the next step
    events = trainer.step()
    assert events[0] == KeepChange(step=1, old_keep_p=0.5, new_keep_p=0.2, old_keep_p_input=1.0, new_keep_p_input=1.0)
    mask = trainer.models["method"].drops[1].last_mask  # 1024 examples x 256 units of step 2
    assert mask.shape == (1024, 256) and kept_fraction_is_near(mask, 0.2)
    assert kept_fraction_is_near(trainer.models["method"].drops[2].last_mask, 0.2)
    (evaluation,) = [e for e in events if isinstance(e, Evaluation)]
    assert (evaluation.keep_p, evaluation.keep_p_input) == (0.2, 1.0)
    # the input keep probability changes on its own; units of layer 0 are masked from then on
    trainer.set_keep_p(keep_p_input=0.8)
    events = trainer.step()
    assert isinstance(events[0], KeepChange) and (events[0].new_keep_p, events[0].new_keep_p_input) == (0.2, 0.8)
    assert kept_fraction_is_near(trainer.models["method"].drops[0].last_mask, 0.8)
    assert trainer.models["baseline"].keep_ps == (1.0, 1.0, 1.0)  # the twin never drops


def test_keep_p_change_is_validated_and_a_no_op_change_emits_nothing():
    trainer = Trainer(RunConfig(**SMALL, keep_p=0.5))
    with pytest.raises(ValueError, match=r"keep_p must be .*\(0, 1\].*got 1.5"):
        trainer.set_keep_p(1.5)
    with pytest.raises(ValueError, match="keep_p_input"):
        trainer.set_keep_p(keep_p_input=0.0)
    trainer.set_keep_p(0.5)
    assert not any(isinstance(e, KeepChange) for e in trainer.step())


def test_weight_scaling_uses_the_current_keep_p_at_test_time():
    trainer = Trainer(RunConfig(**SMALL, keep_p=0.5, scaling="weight-scaling"))
    trainer.step()
    trainer.set_keep_p(0.25)
    trainer.step()
    model = trainer.models["method"]
    model.eval()
    inputs = trainer.x_test[:10]
    hidden = torch.relu(model.linears[0](inputs))
    hidden = torch.relu(model.linears[1](hidden * 0.25))
    expected = model.linears[2](hidden * 0.25)
    torch.testing.assert_close(model(inputs), expected)
    model.train()


def poll(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_background_runner_keep_change_reaches_the_log_and_the_csv():
    config = RunConfig(**{**WIDE, "epochs": 100_000}, keep_p=0.5, eval_every=1)
    runner = BackgroundRunner(config, num_threads=1)
    runner.step(2)
    assert poll(lambda: len(runner.snapshot().evaluations) >= 2)
    runner.set_keep_p(0.2)
    runner.step(2)
    assert poll(lambda: len(runner.snapshot().evaluations) >= 4)
    runner.stop()
    snapshot = runner.snapshot()
    assert snapshot.keep_changes == (KeepChange(2, 0.5, 0.2, 1.0, 1.0),)
    frame = metrics_frame(snapshot.evaluations)
    assert list(frame["keep_p"]) == [0.5, 0.5, 0.2, 0.2] and list(frame["keep_p_input"]) == [1.0] * 4
    csv_lines = frame.to_csv(index=False).splitlines()
    header = csv_lines[0].split(",")
    assert "keep_p" in header and csv_lines[3].split(",")[header.index("keep_p")] == "0.2"


# --- alive from the first step -------------------------------------------------------------------


def test_smoothed_losses_are_a_bias_corrected_moving_average_from_the_first_step():
    steps = [Step(1, 0.5, {"method": 2.0}), Step(2, 1.0, {"method": 1.0}), Step(3, 1.5, {"method": 4.0})]
    numbers, smoothed = smoothed_losses(steps, "method", smoothing=0.5)
    assert list(numbers) == [1, 2, 3]
    # hand-computed: a1 = 1.0 / 0.5; a2 = (0.5 + 0.5) / 0.75; a3 = (0.5 + 2.0) / 0.875
    np.testing.assert_allclose(smoothed, [2.0, 1.0 / 0.75, 2.5 / 0.875])
    assert smoothed_losses([], "method")[1].size == 0
    with pytest.raises(ValueError, match="smoothing"):
        smoothed_losses(steps, smoothing=1.0)


def test_smoothed_losses_skip_non_finite_losses_and_follow_the_recurrence_over_a_long_run():
    losses = np.random.default_rng(0).random(3000) * 3
    losses[[5, 6, 1000]] = [np.nan, np.inf, np.nan]
    steps = [Step(i + 1, i / 10, {"method": float(v)}) for i, v in enumerate(losses)]
    _, smoothed = smoothed_losses(steps, "method", smoothing=0.9)
    expected, average, weight = [], 0.0, 0.0  # the definition, step by step
    for value in losses:
        if not np.isfinite(value):
            expected.append(value)
            continue
        average = 0.9 * average + 0.1 * value
        weight = 0.9 * weight + 0.1
        expected.append(average / weight)
    np.testing.assert_allclose(smoothed, expected, rtol=1e-12)
    assert np.isnan(smoothed[5]) and np.isinf(smoothed[6]) and smoothed[7] == pytest.approx(expected[7])


def large_dataset(n_train=20_000, n_test=5_000, n_features=20) -> Dataset:
    generator = torch.Generator().manual_seed(0)
    return Dataset(
        name="large",
        x_train=torch.randn(n_train, n_features, generator=generator),
        y_train=torch.randint(0, 3, (n_train,), generator=generator),
        x_test=torch.randn(n_test, n_features, generator=generator),
        y_test=torch.randint(0, 3, (n_test,), generator=generator),
        n_classes=3,
        class_names=("a", "b", "c"),
        image_shape=None,
        description="large",
    )


def test_large_data_is_evaluated_early_on_a_fixed_subsample_and_finally_on_everything():
    data = large_dataset()
    config = RunConfig(dataset="large", hidden=(8,), batch_size=32, epochs=1)
    trainer = Trainer(config, data)
    assert trainer.steps_per_epoch == 625 and trainer.eval_every == EVAL_EVERY_EXAMPLES // 32 == 128
    started = trainer.started_event()
    assert (started.eval_train_examples, started.eval_test_examples) == (EVAL_SUBSAMPLE, EVAL_SUBSAMPLE)
    assert (started.final_train_examples, started.final_test_examples) == (10_000, 5_000)
    assert started.eval_every == 128
    evaluations = [e for e in run_all(trainer) if isinstance(e, Evaluation)]
    assert [e.step for e in evaluations] == [128, 256, 384, 512, 625]
    assert [e.test_examples for e in evaluations] == [EVAL_SUBSAMPLE] * 4 + [5_000]
    # the live subsample is fixed: the same examples at every evaluation
    assert torch.equal(trainer.x_test_live, Trainer(config, data).x_test_live)
    small = Trainer(RunConfig(**SMALL))  # small data: every epoch, whole sets, as before
    assert small.eval_every == small.steps_per_epoch and small.x_test_live.shape == small.x_test.shape
    full = Trainer(config, data, eval_subsample=None)
    assert full.x_test_live.shape[0] == 5_000


def test_a_shared_servers_long_run_on_little_data_evaluates_about_as_often_as_its_curves_draw_points():
    # Alone, the default demo (40 train + 1,000 test points, 2 steps of 32 an epoch, 1,000 epochs)
    # evaluates every epoch: 1,000 times.
    assert default_eval_every(2, 32, 2_000, 1_040) == 2
    assert Trainer(RunConfig(dataset="moons", epochs=1_000, hidden=(8,))).eval_every == 2
    # Capped at 200: every 10 steps (5 epochs); evaluating 1,040 points costs no more than training
    # 3 x 32 x 2 k >= 1,040 needs k = 6 epochs: the smaller cadence, 10 steps, wins.
    assert default_eval_every(2, 32, 2_000, 1_040, max_evaluations=200) == 10
    capped = Trainer(RunConfig(dataset="moons", epochs=1_000, hidden=(8,)), max_evaluations=200)
    assert (capped.eval_every, capped.x_train_live.shape[0] + capped.x_test_live.shape[0]) == (10, 1_040)
    assert capped.started_event().eval_every == 10
    assert capped.started_event().measured_less_often
    assert not Trainer(RunConfig(dataset="moons", epochs=1_000, hidden=(8,))).started_event().measured_less_often
    # A cadence the user chose is never "less often", however rare.
    assert (
        not Trainer(RunConfig(dataset="moons", epochs=1_000, hidden=(8,), eval_every=50))
        .started_event()
        .measured_less_often
    )
    # An endless run (1 step of 20 an epoch): 200 evaluations would be every 500 steps; the cost
    # bound, 1,020 / (3 x 20) = 17 steps, keeps the curves moving.
    assert default_eval_every(1, 20, 100_000, 1_020, max_evaluations=200) == 17
    # A short run keeps every epoch; so does a run whose evaluation is cheaper than an epoch's training.
    assert default_eval_every(2, 32, 60, 1_040, max_evaluations=200) == 2
    assert default_eval_every(43, 32, 43_000, 1_797, max_evaluations=200) == 43
    # 10,000 steps of 2 per epoch: the cost bound, 6 epochs, is below 200 evaluations' 25.
    assert default_eval_every(2, 32, 10_000, 1_040, max_evaluations=200) == 12
    config = RunConfig(dataset="moons", epochs=100, hidden=(8,))
    events = run_all(Trainer(config, max_evaluations=20))
    assert [event.step for event in events if isinstance(event, Evaluation)] == list(range(10, 201, 10))
    # The values at the steps both evaluate are the lone run's own: only fewer points.
    every_epoch = {e.step: e.metrics for e in run_all(Trainer(config)) if isinstance(e, Evaluation)}
    assert all(every_epoch[e.step] == e.metrics for e in events if isinstance(e, Evaluation))


def run_all(trainer):
    events = []
    while not trainer.done:
        events += trainer.step()
    return events
