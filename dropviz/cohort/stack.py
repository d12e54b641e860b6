"""The stacked net: members' weights and momentum as (slots, out, in) tensors, one batched step for all."""

from __future__ import annotations

import math
from typing import Iterable

import torch
from torch.nn import functional as F

from ..config import RunConfig
from ..models import ACTIVATION_FUNCTIONS
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
        self.weights: list[torch.Tensor] = []
        self.biases: list[torch.Tensor] = []
        self.buffers: list[torch.Tensor] | None = None  # momentum per parameter tensor (weights then biases)
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

    def release_all(self) -> None:
        self._write_back()
        for member in self.members:
            member.cohort = None
        self._stack([])

    def _params(self, member: CohortTrainer) -> list[list[torch.Tensor]]:
        """Per run: [w0, b0, w1, b1, ...] of its nets."""
        return [
            [tensor for linear in model.linears for tensor in (linear.weight, linear.bias)]
            for model in member.models.values()
        ]

    @torch.no_grad()
    def _write_back(self) -> None:
        if not self.members:
            return
        stacked = [tensor for pair in zip(self.weights, self.biases) for tensor in pair]
        buffers = None
        if self.buffers is not None:
            buffers = [
                tensor
                for pair in zip(self.buffers[: len(self.weights)], self.buffers[len(self.weights) :])
                for tensor in pair
            ]
        for member in self.members:
            slot = self._slots[id(member)]
            for offset, (run, params) in enumerate(zip(member.models, self._params(member))):
                state = member.optimizers[run].state
                for index, param in enumerate(params):
                    param.copy_(_unstacked(stacked[index][slot + offset], param))
                    if buffers is not None:
                        state[param]["momentum_buffer"] = _unstacked(buffers[index][slot + offset], param).clone()

    @torch.no_grad()
    def _stack(self, members: list[CohortTrainer]) -> None:
        """Build the stacked tensors from the members' own nets and optimizer states."""
        self.members = list(members)
        self._slots = {}
        self.rebuilds += 1
        if not members:
            self.weights, self.biases, self.buffers = [], [], None
            return
        per_slot: list[list[torch.Tensor]] = []
        per_slot_buffers: list[list[torch.Tensor]] = []
        any_buffer = False
        for member in members:
            self._slots[id(member)] = len(per_slot)
            member.cohort = self
            for run, params in zip(member.models, self._params(member)):
                per_slot.append(params)
                state = member.optimizers[run].state
                slot_buffers = []
                for param in params:
                    buffer = state.get(param, {}).get("momentum_buffer")
                    any_buffer = any_buffer or buffer is not None
                    slot_buffers.append(buffer if buffer is not None else torch.zeros_like(param))
                per_slot_buffers.append(slot_buffers)
        n_layers = len(per_slot[0]) // 2
        self.weights = [torch.stack([slot[2 * l] for slot in per_slot]).requires_grad_() for l in range(n_layers)]
        self.biases = [
            torch.stack([slot[2 * l + 1].view(1, -1) for slot in per_slot]).requires_grad_() for l in range(n_layers)
        ]
        # Members that never stepped start with zero momentum: 0 * m + g = g, torch's first step exactly.
        self.buffers = None
        if any_buffer:
            self.buffers = [torch.stack([slot[2 * l] for slot in per_slot_buffers]) for l in range(n_layers)] + [
                torch.stack([slot[2 * l + 1].view(1, -1) for slot in per_slot_buffers]) for l in range(n_layers)
            ]

    def member_weights(self, member: CohortTrainer) -> dict:
        slot = self._slots[id(member)]
        out = {}
        for offset, run in enumerate(member.models):
            state = {}
            for layer, (weight, bias) in enumerate(zip(self.weights, self.biases)):
                state[f"linears.{layer}.weight"] = weight[slot + offset].detach().cpu().numpy().copy()
                state[f"linears.{layer}.bias"] = bias[slot + offset, 0].detach().cpu().numpy().copy()
            out[run] = state
        return out

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
        n_layers = len(self.weights)
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
        activation = ACTIVATION_FUNCTIONS[config.activation]
        inverted = config.scaling == "inverted"
        gaussian = config.method == "gaussian"
        hidden = inputs
        shown: list[torch.Tensor | None] = []
        for layer in range(n_layers):
            noisy = [slot for slot in range(n_slots) if keeps[slot][layer] < 1.0]
            noise = None
            if noisy:
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
                hidden = hidden * noise
            shown.append(noise)
            out = torch.baddbmm(self.biases[layer], hidden, self.weights[layer].transpose(1, 2))
            hidden = activation(out) if layer < n_layers - 1 else out
        n_classes = hidden.shape[-1]
        per_example = F.cross_entropy(
            hidden.reshape(n_slots * widest, n_classes), labels.reshape(-1), reduction="none"
        ).view(n_slots, widest)
        if all(size == widest for size in sizes):
            losses = per_example.mean(1)
        else:
            slot_sizes = torch.tensor([size for size in sizes for _ in range(runs_per_member)])
            valid = torch.arange(widest).view(1, -1) < slot_sizes.view(-1, 1)
            losses = (per_example * valid).sum(1) / slot_sizes
        for tensor in (*self.weights, *self.biases):
            tensor.grad = None
        losses.sum().backward()
        self._sgd(config)
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

    @torch.no_grad()
    def _sgd(self, config: RunConfig) -> None:
        """torch.optim.SGD's single-tensor update (no weight decay, no dampening), on the stack."""
        params = [*self.weights, *self.biases]
        if config.momentum == 0:
            for param in params:
                param.add_(param.grad, alpha=-config.lr)
            return
        if self.buffers is None:
            self.buffers = [param.grad.clone() for param in params]
        else:
            for buffer, param in zip(self.buffers, params):
                buffer.mul_(config.momentum).add_(param.grad)
        for buffer, param in zip(self.buffers, params):
            param.add_(buffer, alpha=-config.lr)

    @torch.no_grad()
    def _max_norm(self, members: list[CohortTrainer], max_norm: float) -> None:
        """MLP.apply_max_norm (torch.renorm's rule) on each method slot's hidden layers; twins are free."""
        radii = []
        for member in members:
            for run, model in member.models.items():
                radii.append(
                    model.max_norm_radii(max_norm) if run == "method" else [math.inf] * (len(self.weights) - 1)
                )
        for layer, weight in enumerate(self.weights[:-1]):
            radius = torch.tensor([slot[layer] for slot in radii], dtype=weight.dtype).view(-1, 1, 1)
            norms = torch.linalg.vector_norm(weight, dim=2, keepdim=True)
            weight.mul_(torch.where(norms > radius, radius / (norms + 1e-7), torch.ones((), dtype=weight.dtype)))

    def _masks(self, member, slot, shown, keeps, gaussian) -> tuple:
        masks = []
        for layer, noise in enumerate(shown):
            if noise is None or keeps[slot][layer] >= 1.0:
                masks.append(None)
                continue
            row = noise[slot, 0, _display_index(member)[layer]]
            masks.append(row.numpy().copy() if gaussian else (row > 0).numpy())
        return tuple(masks)


def _unstacked(value: torch.Tensor, param: torch.Tensor) -> torch.Tensor:
    """A slot of a stacked tensor in its net's own layout (biases are stacked as (1, out))."""
    return value.view_as(param)
