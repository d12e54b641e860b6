"""Test-time work on the stack: each due member's metrics and probe activations, as its lone net computes them."""

from __future__ import annotations

import torch
from torch.nn import functional as F

from .trainer import EVAL_CHUNK_ELEMENTS, CohortTrainer


class StackedEvaluation:
    """Evaluation, probe states and display weights of stacked members (mixed into Cohort)."""

    weights: list[torch.Tensor]
    biases: list[torch.Tensor]
    members: list[CohortTrainer]

    @torch.no_grad()
    def _forward_eval(self, slots: list[int], keeps: list[tuple], inputs: list[torch.Tensor], activations: bool):
        """Test-time logits (slots, n, classes) of ``slots`` on their inputs, and hidden activations.

        Slot by slot with the lone net's own kernels (addmm, as nn.Linear): at a thousand points the
        arithmetic dominates, and one GEMM per slot runs faster than a batched matmul over slots.
        """
        config = self.members[0].config
        activation = {"relu": torch.relu_, "logistic": torch.sigmoid_, "tanh": torch.tanh_}[config.activation]
        weight_scaling = config.method == "dropout" and config.scaling == "weight-scaling"
        last = len(self.weights) - 1
        logits = None
        kept = [[] for _ in range(last)] if activations else []
        for position, (slot, keep, hidden) in enumerate(zip(slots, keeps, inputs)):
            for layer in range(last + 1):
                if weight_scaling and keep[layer] < 1.0:
                    hidden = hidden * keep[layer]  # Dropout at test time, weight scaling
                hidden = torch.addmm(self.biases[layer][slot, 0], hidden, self.weights[layer][slot].t())
                if layer < last:
                    hidden = activation(hidden)
                    if activations:
                        kept[layer].append(hidden)
            if logits is None:
                logits = hidden.new_empty(len(slots), *hidden.shape)
            logits[position] = hidden
        return logits, kept

    def _slot_inputs(self, members, numbers, runs_per_member, tensors) -> tuple[list[int], list[tuple], list]:
        slots = [number * runs_per_member + offset for number in numbers for offset in range(runs_per_member)]
        keeps = [keep for number in numbers for keep in members[number].slot_keeps()]
        per_slot = [tensors[number] for number in numbers for _ in range(runs_per_member)]
        return slots, keeps, per_slot

    @torch.no_grad()
    def _evaluate(self, members, numbers, runs_per_member, with_state: set[int]) -> set[int]:
        """Metrics of each due member, batched over members whose evaluation sets have one shape; for those
        in ``with_state`` whose probe is among the evaluation's test rows (the default: the first 256 test
        points), the probe activations too, read off the same forward pass. Returns those numbers."""
        given = set()
        groups: dict[tuple, list[int]] = {}
        sets = {}
        for number in numbers:
            member = members[number]
            full = member.step_count + 1 >= member.total_steps
            sets[number] = _eval_set(member, full)
            groups.setdefault((full, sets[number][0].shape), []).append(number)
        run_names = list(members[0].models)
        names = ("train_loss", "train_error", "test_loss", "test_error")
        for group in groups.values():
            inputs = {number: sets[number][0] for number in group}
            n_points = sets[group[0]][0].shape[0]
            per_chunk = max(1, EVAL_CHUNK_ELEMENTS // (n_points * max(members[0].models["method"].layer_sizes)))
            per_chunk = max(1, per_chunk // runs_per_member)
            for start in range(0, len(group), per_chunk):
                chunk = group[start : start + per_chunk]
                slots, keeps, stacked = self._slot_inputs(members, chunk, runs_per_member, inputs)
                capture = {
                    number: offset
                    for number in chunk
                    if number in with_state and (offset := _probe_offset(members[number], sets[number])) is not None
                }
                logits, hidden = self._forward_eval(slots, keeps, stacked, activations=bool(capture))
                labels = torch.stack([sets[number][1] for number in chunk for _ in range(runs_per_member)])
                k, m, c = logits.shape
                loss = F.cross_entropy(logits.reshape(k * m, c), labels.reshape(-1), reduction="none").view(k, m)
                wrong = (logits.argmax(-1) != labels).to(logits.dtype)
                n_train = sets[chunk[0]][2]
                summary = torch.stack(
                    [
                        loss[:, :n_train].sum(1) / max(1, n_train),
                        wrong[:, :n_train].sum(1) / max(1, n_train),
                        loss[:, n_train:].sum(1) / max(1, m - n_train),
                        wrong[:, n_train:].sum(1) / max(1, m - n_train),
                    ],
                    1,
                ).tolist()
                for position, number in enumerate(chunk):
                    rows = summary[position * runs_per_member : (position + 1) * runs_per_member]
                    members[number]._given_metrics = {run: dict(zip(names, row)) for run, row in zip(run_names, rows)}
                    if number in capture:
                        probe_rows = slice(capture[number], capture[number] + members[number].probe.shape[0])
                        at = position * runs_per_member
                        self._give_state(
                            members[number],
                            number * runs_per_member,
                            [
                                tuple(layer[at + offset][probe_rows].clone().numpy() for layer in hidden)
                                for offset in range(runs_per_member)
                            ],
                        )
                        given.add(number)
        return given

    @torch.no_grad()
    def _states(self, members, numbers, runs_per_member) -> None:
        """Probe activations and display weights of each due member (the lone StateSnapshot's arrays)."""
        probes = {number: members[number].probe for number in numbers}
        shapes: dict[tuple, list[int]] = {}
        for number in numbers:
            shapes.setdefault(tuple(probes[number].shape), []).append(number)
        for group in shapes.values():
            slots, keeps, stacked = self._slot_inputs(members, group, runs_per_member, probes)
            _, hidden = self._forward_eval(slots, keeps, stacked, activations=True)
            for position, number in enumerate(group):
                at = position * runs_per_member
                per_run = [tuple(layer[at + offset].numpy() for layer in hidden) for offset in range(runs_per_member)]
                self._give_state(members[number], number * runs_per_member, per_run)

    def _give_state(self, member: CohortTrainer, first_slot: int, per_run: list[tuple]) -> None:
        """The member's StateSnapshot arrays: its probe activations per run and its display weights."""
        activations, weights = {}, {}
        for offset, run in enumerate(member.models):
            activations[run] = per_run[offset]
            shown = []
            for layer, weight in enumerate(self.weights):
                rows, cols = _display_index(member)[layer + 1], _display_index(member)[layer]
                shown.append(weight.detach()[first_slot + offset][rows][:, cols].numpy())
            weights[run] = tuple(shown)
        member._given_state = (activations, weights)


def _probe_offset(member: CohortTrainer, eval_set: tuple) -> int | None:
    """Where the member's probe sits among its evaluation rows (None: it is not there); cached."""
    inputs, _, n_train = eval_set
    cache = member.__dict__.setdefault("_cohort_probe_offsets", {})
    key = id(inputs)
    if key not in cache:
        size = member.probe.shape[0]
        inside = inputs.shape[0] >= n_train + size and torch.equal(inputs[n_train : n_train + size], member.probe)
        cache[key] = n_train if inside else None
    return cache[key]


def _display_index(member: CohortTrainer) -> list[torch.Tensor]:
    cached = member.__dict__.get("_cohort_display")
    if cached is None:
        cached = member.__dict__["_cohort_display"] = [torch.as_tensor(units) for units in member.display]
    return cached


def _eval_set(member: CohortTrainer, full: bool) -> tuple[torch.Tensor, torch.Tensor, int]:
    """The member's evaluation points (train rows then test rows), labels and train count; cached."""
    cache = member.__dict__.setdefault("_cohort_eval_sets", {})
    if full not in cache:
        if full:
            parts = (member.x_train_eval, member.y_train_eval, member.x_test, member.y_test)
        else:
            parts = (member.x_train_live, member.y_train_live, member.x_test_live, member.y_test_live)
        cache[full] = (torch.cat([parts[0], parts[2]]), torch.cat([parts[1], parts[3]]), int(parts[0].shape[0]))
    return cache[full]
