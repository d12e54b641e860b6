"""Many small runs trained as one stacked net, each member giving the numbers of its own lone run.

A classroom's runs are K copies of one small MLP shape. Nets this small cost per-step overhead
(Python, dispatch), not arithmetic, so a :class:`Cohort` stacks the members' method nets and twins
into (slots, out, in) weights and does one batched forward, backward and SGD update for all of them.
Each member is a :class:`CohortTrainer`, an ordinary :class:`~dropviz.train.Trainer` that keeps its
own seed, data, batch order, mask generator, keep probabilities, step counter and evaluation
schedule, and emits exactly the events a lone Trainer emits. Only the arithmetic moves: while a
member is stacked, its weights and momentum live in the cohort; when it leaves (done, paused,
stopped, detached) they are written back into its own nets and optimizers, so it goes on alone as
a plain Trainer from where it was.

Exactness: masks are drawn member by member from each member's own generator with the lone run's
calls and shapes, and per-member SGD with momentum is elementwise, so a member differs from its
lone run only by the order in which batched kernels sum (about 1e-6 after thousands of steps).
"""

from __future__ import annotations

import math
from typing import Iterable

import torch
from torch.nn import functional as F

from .config import RunConfig
from .models import ACTIVATION_FUNCTIONS
from .train import MaskSnapshot, StateSnapshot, Trainer

COHORT_METHODS = ("none", "dropout", "gaussian")
# Nets larger than this gain little from stacking (arithmetic dominates) and would copy much on
# every join or leave: they train alone.
MAX_COHORT_PARAMETERS = 200_000
# Float elements of the logits and activations one evaluation chunk holds (slots x points x widest layer).
EVAL_CHUNK_ELEMENTS = 1 << 22


def cohort_key(config: RunConfig, n_features: int | None = None, n_classes: int | None = None) -> tuple | None:
    """Runs with equal keys can train stacked; None when this run must train alone.

    What the stacked arithmetic shares: the net's shape and activation, the method and its scaling
    (noise kind, test-time rule), the optimizer and its hyper-parameters, max-norm's c, the twin.
    Seeds, data, keep probabilities and step counts are per member.
    """
    if config.method not in COHORT_METHODS or config.optimizer != "sgd" or config.device == "cuda":
        return None
    if config.device == "auto" and torch.cuda.is_available():
        return None
    sizes = (n_features or 0, *config.hidden, n_classes or 0)
    if sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:])) > MAX_COHORT_PARAMETERS:
        return None
    return (
        config.dataset if n_features is None else (n_features, n_classes),
        tuple(config.hidden),
        config.activation,
        config.method,
        config.scaling,
        float(config.lr),
        float(config.momentum),
        config.max_norm,
        config.twin,
    )


class CohortTrainer(Trainer):
    """A :class:`~dropviz.train.Trainer` that a :class:`Cohort` can train stacked with others.

    Alone (never added, or after leaving) it is exactly a Trainer. While stacked, the cohort calls
    ``_begin_step``/``_finish_step`` around the batched update and hands it the arithmetic results
    (masks, metrics, probe activations) that its event methods would otherwise compute on its nets.
    """

    def __init__(self, config: RunConfig, dataset=None, **options):
        super().__init__(config, dataset, **options)
        self.cohort: Cohort | None = None
        self._given_masks: tuple | None = None
        self._given_metrics: dict | None = None
        self._given_state: tuple | None = None
        # what it stacks with (a mid-run keep_p change keeps it: keep probabilities are per member)
        self.key = cohort_key(config, self.dataset.n_features, self.dataset.n_classes)

    def step(self):
        if self.cohort is not None:  # stepped alone (a single step while paused): take its weights back first
            self.cohort.release(self)
        return super().step()

    def export_weights(self) -> dict:
        """Current weights as numpy state dicts per run (from the stack while stacked)."""
        if self.cohort is not None:
            return self.cohort.member_weights(self)
        return {
            run: {name: tensor.detach().cpu().numpy().copy() for name, tensor in model.state_dict().items()}
            for run, model in self.models.items()
        }

    def slot_keeps(self) -> list[tuple[float, ...]]:
        """Per run, the keep probability of each layer's noise (1.0: no noise)."""
        return [
            model.keep_ps if model.method in ("dropout", "gaussian") else (1.0,) * len(model.keep_ps)
            for model in self.models.values()
        ]

    def _run_metrics(self, x_train, y_train, x_test, y_test):
        if self._given_metrics is not None:
            metrics, self._given_metrics = self._given_metrics, None
            return metrics
        return super()._run_metrics(x_train, y_train, x_test, y_test)

    def mask_snapshot(self) -> MaskSnapshot:
        if self._given_masks is not None:
            masks, self._given_masks = self._given_masks, None
            return MaskSnapshot(self.step_count, masks)
        return super().mask_snapshot()

    def state_snapshot(self) -> StateSnapshot:
        if self._given_state is not None:
            (activations, weights), self._given_state = self._given_state, None
            return StateSnapshot(self.step_count, activations, weights)
        return super().state_snapshot()

    # what the member will emit after its next step (mirrors Trainer._finish_step's cadence)
    def _evaluates_after(self, step: int) -> bool:
        return step % self.eval_every == 0 or step >= self.total_steps

    def _snapshots_after(self, step: int) -> bool:
        finished = step >= self.total_steps
        if self._evaluates_after(step):
            return self.state_every is None or step % self.state_every == 0 or finished
        return self.state_every is not None and step % self.state_every == 0


class Cohort:
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

    # evaluation ---------------------------------------------------------------------------
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


def _unstacked(value: torch.Tensor, param: torch.Tensor) -> torch.Tensor:
    """A slot of a stacked tensor in its net's own layout (biases are stacked as (1, out))."""
    return value.view_as(param)


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
