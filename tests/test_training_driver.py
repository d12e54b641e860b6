"""One training driver (train.run_to_end), the built-in example run, and the MLP's public API for analyses."""

import pytest
import torch

from dropviz.config import RunConfig
from dropviz.example_run import train_example
from dropviz.models import build_model
from dropviz.train import Evaluation, Finished, Step, Trainer, run_to_end, train

SMALL = RunConfig(dataset="moons", hidden=(8, 8), epochs=3, train_size=40, batch_size=10, seed=3)


def test_run_to_end_hands_over_every_event_and_matches_a_hand_written_loop():
    events = []
    trainer = run_to_end(Trainer(SMALL, record_masks=False), events.append)
    assert trainer.done and trainer.status == "completed"
    assert sum(isinstance(event, Step) for event in events) == trainer.step_count == 12  # 40/10 x 3 epochs
    assert isinstance(events[-1], Finished) and events[-1].status == "completed"
    by_hand = Trainer(SMALL, record_masks=False)
    hand_events = []
    while not by_hand.done:
        hand_events.extend(by_hand.step())
    assert [type(event) for event in hand_events] == [type(event) for event in events]
    assert by_hand.last_metrics == trainer.last_metrics
    result = train(SMALL)
    assert result.final == trainer.last_metrics
    assert [e.step for e in result.history] == [e.step for e in events if isinstance(e, Evaluation)]


def test_the_built_in_example_is_trained_headless_and_handed_over_in_eval_mode():
    example = train_example(SMALL, snapshots=4)
    assert example.status == "completed" and example.step == 12
    assert set(example.models) == {"method", "baseline"}
    assert all(not model.training and not model.record_masks for model in example.models.values())
    steps = [snapshot.step for snapshot in example.state_history]
    assert steps[0] == 0 and steps == sorted(set(steps)) and len(steps) <= 4 + 1


def test_activations_at_and_logits_from_recompose_the_forward_pass():
    model = build_model(RunConfig(hidden=(6, 5), method="dropout", keep_p=0.5), 2, 3).eval()
    x = torch.randn(7, 2)
    with torch.no_grad():
        logits, activations = model.forward_with_activations(x)
        for layer in range(2):
            hidden = model.activations_at(x, layer)
            assert torch.equal(hidden, activations[layer])
            assert torch.allclose(model.logits_from(hidden, layer), logits)
    with pytest.raises(ValueError, match="hidden layer index 0..1, got 2"):
        model.activations_at(x, 2)


def test_inference_copy_is_independent_and_in_eval_mode():
    trainer = Trainer(SMALL)
    trainer.step()
    model = trainer.models["method"]
    copy = model.inference_copy()
    assert model.training and model.record_masks and model.generator is not None
    assert not copy.training and not copy.record_masks and copy.generator is None
    with torch.no_grad():
        copy.linears[0].weight.add_(1.0)
    assert not torch.equal(copy.linears[0].weight, model.linears[0].weight)
    assert model.inference_copy(keep_generator=True).generator is not None


def test_replace_optimizer_takes_only_an_optimizer_of_that_runs_parameters():
    trainer = Trainer(SMALL)
    model = trainer.models["method"]
    groups = [{"params": [linear.weight], "lr": 0.01} for linear in model.linears]
    groups += [{"params": [linear.bias], "lr": 0.1} for linear in model.linears]
    optimizer = torch.optim.SGD(groups, lr=0.1)
    trainer.replace_optimizer("method", optimizer)
    assert trainer.optimizers["method"] is optimizer
    with pytest.raises(ValueError, match="exactly that run's parameters"):
        trainer.replace_optimizer("method", torch.optim.SGD(trainer.models["baseline"].parameters(), lr=0.1))
    with pytest.raises(ValueError, match="exactly that run's parameters"):
        trainer.replace_optimizer("method", torch.optim.SGD([model.linears[0].weight], lr=0.1))
