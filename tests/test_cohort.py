"""A cohort trains many runs as one stacked net; each member must give its lone run's numbers."""

import math

import numpy as np
import pytest
import torch

from dropviz.cohort import Cohort, CohortTrainer, cohort_key
from dropviz.config import RunConfig
from dropviz.train import Evaluation, KeepChange, MaskSnapshot, StateSnapshot, Step, Trainer

TOLERANCE = 2e-5  # batched kernels sum in another order than the lone net's


def config(**changes) -> RunConfig:
    base = dict(dataset="moons", hidden=(32, 32), epochs=30, method="dropout", keep_p=0.5)  # 60 steps
    return RunConfig(**{**base, **changes})


def lone_events(run_config: RunConfig, keep_at: dict | None = None) -> list:
    trainer = Trainer(run_config)
    events = []
    while not trainer.done:
        if keep_at and trainer.step_count in keep_at:
            trainer.set_keep_p(keep_at[trainer.step_count])
        events.extend(trainer.step())
    return events


def assert_same_events(expected: list, got: list) -> None:
    """Same events in the same order with the same steps; numbers within TOLERANCE, masks equal."""
    assert [type(event) for event in got] == [type(event) for event in expected]
    for want, have in zip(expected, got):
        assert getattr(have, "step", None) == getattr(want, "step", None)
        if isinstance(want, Step):
            assert have.losses.keys() == want.losses.keys()
            for run in want.losses:
                assert have.losses[run] == pytest.approx(want.losses[run], abs=TOLERANCE)
        elif isinstance(want, Evaluation):
            assert (have.keep_p, have.keep_p_input, have.test_examples) == (
                want.keep_p,
                want.keep_p_input,
                want.test_examples,
            )
            for run, metrics in want.metrics.items():
                for name, value in metrics.items():
                    assert have.metrics[run][name] == pytest.approx(value, abs=TOLERANCE), (run, name)
        elif isinstance(want, MaskSnapshot):
            for mine, theirs in zip(have.masks, want.masks):
                assert (mine is None) == (theirs is None)
                if theirs is not None:
                    assert mine.dtype == theirs.dtype
                    np.testing.assert_allclose(mine, theirs, atol=1e-6)
        elif isinstance(want, StateSnapshot):
            for run in want.activations:
                for mine, theirs in zip(have.activations[run], want.activations[run]):
                    np.testing.assert_allclose(mine, theirs, atol=TOLERANCE)
                for mine, theirs in zip(have.weights[run], want.weights[run]):
                    np.testing.assert_allclose(mine, theirs, atol=TOLERANCE)
        elif isinstance(want, KeepChange):
            assert have == want
        else:
            assert have == want


def train_cohort(members, joins=None, leaves=None, paused=None, keep_at=None):
    """Step ``members`` as one cohort until all are done. ``joins``/``leaves``: member index -> cohort step
    at which it joins / leaves the stack (it then goes on alone); ``paused``: member index -> range of cohort
    steps it sits out; ``keep_at``: member index -> {member step: new keep_p}."""
    joins, leaves, paused, keep_at = joins or {}, leaves or {}, paused or {}, keep_at or {}
    cohort = Cohort(members[0].key)
    events = {index: [] for index in range(len(members))}
    tick = 0
    while any(not member.done for member in members):
        stacked = []
        for index, member in enumerate(members):
            if member.done or tick < joins.get(index, 0) or tick in paused.get(index, ()):
                continue
            if keep_at.get(index, {}).get(member.step_count) is not None:
                member.set_keep_p(keep_at[index][member.step_count])
            if tick >= leaves.get(index, math.inf):
                events[index].extend(member.step())  # alone: a plain Trainer from here on
            else:
                stacked.append(member)
        for member, batch in cohort.step(stacked).items():
            events[members.index(member)].extend(batch)
        tick += 1
        assert tick < 10_000
    return cohort, events


@pytest.mark.parametrize(
    "changes",
    [
        {"method": "dropout"},
        {"method": "none"},
        {"method": "gaussian"},
        {"method": "dropout", "max_norm": 1.5},
        {"method": "dropout", "scaling": "weight-scaling", "keep_p_input": 0.8},
    ],
    ids=["dropout", "none", "gaussian", "max-norm", "weight-scaling+input"],
)
def test_cohort_members_give_their_lone_runs_numbers(changes):
    configs = [config(seed=seed, **changes) for seed in (0, 1, 2)]
    members = [CohortTrainer(run_config) for run_config in configs]
    cohort, events = train_cohort(members)
    assert cohort.rebuilds == 1  # one stack for the whole run
    for index, run_config in enumerate(configs):
        assert_same_events(lone_events(run_config), events[index])
        assert members[index].status == "completed"


def test_a_late_joiner_and_an_early_leaver_do_not_change_anyones_numbers():
    configs = [config(seed=seed) for seed in (4, 5, 6)]
    members = [CohortTrainer(run_config) for run_config in configs]
    # member 1 joins at tick 7; member 2 leaves at tick 20 and finishes alone with its own weights and momentum
    _, events = train_cohort(members, joins={1: 7}, leaves={2: 20})
    for index, run_config in enumerate(configs):
        assert_same_events(lone_events(run_config), events[index])


def test_paused_member_sits_out_and_keep_p_changes_mid_run():
    configs = [config(seed=7), config(seed=8, keep_p=0.8)]
    members = [CohortTrainer(run_config) for run_config in configs]
    _, events = train_cohort(members, paused={0: range(5, 15)}, keep_at={1: {10: 0.3, 30: 1.0}})
    assert_same_events(lone_events(configs[0]), events[0])
    assert_same_events(lone_events(configs[1], keep_at={10: 0.3, 30: 1.0}), events[1])
    changes = [event for event in events[1] if isinstance(event, KeepChange)]
    assert [(c.step, c.new_keep_p) for c in changes] == [(10, 0.3), (30, 1.0)]


def test_members_with_different_data_and_batch_sizes_stack():
    # 40 and 50 training points, batch 32: the second mini-batch of an epoch has 8 or 18 examples
    configs = [config(seed=0, train_size=40), config(seed=1, train_size=50, noise=0.2)]
    members = [CohortTrainer(run_config) for run_config in configs]
    assert members[0].key == members[1].key
    _, events = train_cohort(members)
    for index, run_config in enumerate(configs):
        assert_same_events(lone_events(run_config), events[index])


def test_stacked_weights_and_momentum_are_the_members_own():
    members = [CohortTrainer(config(seed=seed)) for seed in (0, 1)]
    cohort = Cohort(members[0].key)
    for _ in range(9):
        cohort.step(members)
    lone = Trainer(config(seed=1))
    for _ in range(9):
        lone.step()
    exported = members[1].export_weights()  # read from the stack
    for run, model in lone.models.items():
        for name, tensor in model.state_dict().items():
            np.testing.assert_allclose(exported[run][name], tensor.numpy(), atol=TOLERANCE)
    cohort.release_all()
    for run, model in lone.models.items():
        mine = members[1].models[run]
        for param, theirs in zip(mine.parameters(), model.parameters()):
            torch.testing.assert_close(param, theirs, atol=TOLERANCE, rtol=0)
            buffer = members[1].optimizers[run].state[param]["momentum_buffer"]
            torch.testing.assert_close(
                buffer, lone.optimizers[run].state[theirs]["momentum_buffer"], atol=TOLERANCE, rtol=0
            )


def test_cohort_key_names_what_must_match_and_leaves_out_what_cannot_stack():
    base = config()
    assert cohort_key(base, 2, 2) == cohort_key(base.changed(seed=9, keep_p=0.3, train_size=60), 2, 2)
    for change in ({"hidden": (16, 16)}, {"lr": 0.05}, {"momentum": 0.5}, {"method": "gaussian"}, {"twin": False}):
        assert cohort_key(base.changed(**change), 2, 2) != cohort_key(base, 2, 2), change
    assert cohort_key(base.changed(method="dropconnect"), 2, 2) is None
    assert cohort_key(base.changed(optimizer="adam"), 2, 2) is None
    assert cohort_key(base.changed(hidden=(1024, 1024)), 784, 10) is None  # arithmetic dominates: alone
