"""The stacked net: members' weights and momentum as slots of one :class:`~dropviz.stacked_mlp.StackedMLP`
(the core it shares with the p sweep), one batched step for all; its noise policy draws each slot's masks
from its own run's generator."""

from __future__ import annotations

import math
from typing import Iterable

import torch

from ..stacked_mlp import LayerNoise, StackedMLP, linear_params, radius_tensors, slot_losses
from .evaluation import StackedEvaluation, _display_index
from .trainer import CohortTrainer


class Cohort(StackedEvaluation):
    """Members (CohortTrainers with one :func:`cohort_key`) trained as one stacked net.

    :meth:`step` advances the members given, one mini-batch each, and returns each one's events;
    the stack is rebuilt (weights and momentum carried over) whenever that set changes, so members
    join, leave or sit out (paused) without changing anyone's numbers.
    """

    def __init__(self, key: tuple):
        self.key = key
        self.members: list[CohortTrainer] = []  # in the stack, in slot order
        self.net: StackedMLP | None = None  # the members' runs as slots (None while empty)
        self._slots: dict[int, int] = {}  # id(member) -> its first slot
        self.rebuilds = 0

    # membership -------------------------------------------------------------------------
    def release(self, member: CohortTrainer) -> None:
        """Write ``member``'s weights and momentum back into its own nets and take it out of the stack."""
        if member.cohort is not self:
            return
        self._write_back()
        self._stack([m for m in self.members if m is not member])
        member.cohort = None

    @property
    def weights(self) -> list[torch.Tensor]:
        return self.net.weights if self.net is not None else []

    @property
    def biases(self) -> list[torch.Tensor]:
        return self.net.biases if self.net is not None else []

    def release_all(self) -> None:
        self._write_back()
        for member in self.members:
            member.cohort = None
        self._stack([])

    @torch.no_grad()
    def _write_back(self) -> None:
        if not self.members:
            return
        for member in self.members:
            slot = self._slots[id(member)]
            for offset, (run, model) in enumerate(member.models.items()):
                self.net.write_slot(slot + offset, model)
                buffers = self.net.slot_momentum(slot + offset, model)
                if buffers is not None:
                    state = member.optimizers[run].state
                    for param, buffer in zip(linear_params(model), buffers):
                        state[param]["momentum_buffer"] = buffer

    @torch.no_grad()
    def _stack(self, members: list[CohortTrainer]) -> None:
        """Build the stacked net from the members' own nets and optimizer states."""
        self.members = list(members)
        self._slots = {}
        self.rebuilds += 1
        if not members:
            self.net = None
            return
        models, buffers = [], []
        for member in members:
            self._slots[id(member)] = len(models)
            member.cohort = self
            for run, model in member.models.items():
                models.append(model)
                state = member.optimizers[run].state
                buffers.append([state.get(param, {}).get("momentum_buffer") for param in linear_params(model)])
        config = members[0].config
        self.net = StackedMLP(
            models, config.activation, lr=config.lr, momentum=config.momentum, momentum_buffers=buffers
        )

    def member_weights(self, member: CohortTrainer) -> dict:
        slot = self._slots[id(member)]
        return {run: self.net.slot_state(slot + offset) for offset, run in enumerate(member.models)}

    # training -----------------------------------------------------------------------------
    def step(self, members: Iterable[CohortTrainer]) -> dict[CohortTrainer, list]:
        """One mini-batch for each of ``members`` (all running, all with this cohort's key)."""
        members = [member for member in members if not member.done]
        if not members:
            return {}
        if {id(m) for m in members} == {id(m) for m in self.members}:
            members = self.members  # same runs in another order (a host's rotation): no restack
        else:
            self._write_back()
            for member in self.members:
                member.cohort = None
            self._stack(members)
        begun = [member._begin_step() for member in members]
        keeps = [keep for member in members for keep in member.slot_keeps()]
        runs_per_member = len(members[0].models)
        batches = [index for _, index in begun]
        sizes = [int(index.shape[0]) for index in batches]
        widest = max(sizes)
        first = members[0]
        n_slots = len(keeps)
        inputs = torch.zeros(n_slots, widest, first.x_train.shape[1], dtype=first.x_train.dtype)
        labels = torch.zeros(n_slots, widest, dtype=first.y_train.dtype)
        for number, (member, index) in enumerate(zip(members, batches)):
            slot, size = number * runs_per_member, sizes[number]
            inputs[slot, :size] = member.x_train[index]
            labels[slot, :size] = member.y_train[index]
            for offset in range(1, runs_per_member):
                inputs[slot + offset] = inputs[slot]
                labels[slot + offset] = labels[slot]

        # forward: each slot's noise from its member's generator, drawn as the lone Dropout draws it
        config = first.config
        inverted = config.scaling == "inverted"
        gaussian = config.method == "gaussian"

        def noise_policy(layer: int, hidden: torch.Tensor) -> LayerNoise | None:
            noisy = [slot for slot in range(n_slots) if keeps[slot][layer] < 1.0]
            if not noisy:
                return None
            noise = torch.ones(n_slots, widest, hidden.shape[-1])
            for slot in noisy:
                keep = keeps[slot][layer]
                generator = members[slot // runs_per_member].mask_generator
                rows = noise[slot, : sizes[slot // runs_per_member]]
                if gaussian:
                    rows.normal_(1.0, math.sqrt((1.0 - keep) / keep), generator=generator)
                else:
                    rows.bernoulli_(keep, generator=generator)
                    if inverted:
                        rows.div_(keep)
            return LayerNoise(inputs=noise, record=noise)

        logits, shown = self.net.forward_train(inputs, noise_policy)
        losses = slot_losses(logits, labels, [size for size in sizes for _ in range(runs_per_member)])
        self.net.backward(losses)
        self.net.update()
        if config.max_norm is not None:
            self._max_norm(members, config.max_norm)
        values = losses.detach().tolist()

        # what each member emits: its masks, and the evaluations and probe states due after this step
        run_names = list(first.models)
        due_eval, due_state = [], []
        for number, member in enumerate(members):
            slot = number * runs_per_member
            member_losses = dict(zip(run_names, values[slot : slot + runs_per_member]))
            begun[number] = (begun[number][0], member_losses)
            if not all(math.isfinite(value) for value in member_losses.values()):
                continue
            step = member.step_count + 1
            if member._evaluates_after(step):
                due_eval.append(number)
            if member._snapshots_after(step):
                due_state.append(number)
        for number, member in enumerate(members):
            if member.record_masks:
                member._given_masks = self._masks(member, number * runs_per_member, shown, keeps, gaussian)
        given = self._evaluate(members, due_eval, runs_per_member, set(due_state)) if due_eval else set()
        due_state = [number for number in due_state if number not in given]
        if due_state:
            self._states(members, due_state, runs_per_member)
        return {member: member._finish_step(events, losses) for member, (events, losses) in zip(members, begun)}

    def _max_norm(self, members: list[CohortTrainer], max_norm: float) -> None:
        """MLP.apply_max_norm (torch.renorm's rule) on each method slot's hidden layers; twins are free."""
        radii = []
        for member in members:
            for run, model in member.models.items():
                radii.append(
                    model.max_norm_radii(max_norm) if run == "method" else [math.inf] * (len(self.weights) - 1)
                )
        self.net.apply_max_norm(radius_tensors(radii))

    def _masks(self, member, slot, shown, keeps, gaussian) -> tuple:
        masks = []
        for layer, noise in enumerate(shown):
            if noise is None or keeps[slot][layer] >= 1.0:
                masks.append(None)
                continue
            row = noise[slot, 0, _display_index(member)[layer]]
            masks.append(row.numpy().copy() if gaussian else (row > 0).numpy())
        return tuple(masks)
