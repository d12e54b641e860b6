"""The stacked sweep: every member of the grid as one (K, out, in) net, trained with batched matmuls.

Every member starts from the initial weights of ``Trainer(config)`` and sees its
mini-batches in the same order; only the hidden keep probability differs (the
input keep probability is the config's). Members are slots of one
:class:`~dropviz.stacked_mlp.StackedMLP` (the core it shares with the classroom
cohort); the sweep's noise policy draws every member's masks at once from one
generator. A no-dropout twin rides along as one more member (it *is* the keep_p = 1.0
member when the config has no input dropout and no max-norm). The test-time
half (evaluation, state snapshots, members as ordinary nets) is in :mod:`.readout`.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch.nn import functional as F

from ..config import RunConfig
from ..data import Dataset
from ..layers import dropconnect_linear
from ..models import ACTIVATION_FUNCTIONS
from ..run_state import RunState
from ..stacked_mlp import LayerNoise, StackedMLP, radius_tensors, slot_losses
from ..train import (
    EVAL_SUBSAMPLE,
    Finished,
    MaskSnapshot,
    Started,
    Step,
    Trainer,
    diverged_losses,
    divergence_advice,
    divergence_message,
)
from .grid import DEFAULT_KEEP_GRID, MemberEvent, _needs_separate_twin, _stand_in, check_keep_grid, member_config
from .readout import StackedReadout

# The sweep evaluates at most this many times per run (the page draws at most ~200 points per curve);
# ten members evaluated on 1,000 test points every 2 steps would cost more than their training.
MAX_SWEEP_EVALUATIONS = 200
# State snapshots (probe activations for the views) at most this many times per run: the log keeps 40.
MAX_SWEEP_STATES = 50


class KeepSweep(StackedReadout):
    """Trains one member per keep probability of ``keep_grid`` (plus the twin), one mini-batch per :meth:`step`.

    Options: ``record_masks`` (a MaskSnapshot per member each step), ``state_every``
    (StateSnapshots; None: at each evaluation), ``eval_every`` (None: the run's cadence, but
    at most :data:`MAX_SWEEP_EVALUATIONS` evaluations), ``eval_subsample``, ``probe_size``,
    ``max_display_units`` (as for :class:`~dropviz.train.Trainer`).
    """

    def __init__(
        self,
        config: RunConfig,
        keep_grid: Sequence[float] = DEFAULT_KEEP_GRID,
        dataset: Dataset | None = None,
        *,
        record_masks: bool = True,
        state_every: int | None = None,
        eval_every: int | None = None,
        eval_subsample: int | None = EVAL_SUBSAMPLE,
        probe_size: int = 256,
        max_display_units: int = 8,
        limits=None,
    ):
        if config.method == "none":
            raise ValueError(
                "the p sweep varies the keep probability of a method: choose dropout, gaussian or "
                "dropconnect (method is 'none')"
            )
        self.keep_grid = check_keep_grid(keep_grid)
        self.config = config
        # The schedule is an ordinary Trainer of the method net: its data, initial weights, batch order and
        # evaluation subsets are exactly those of Trainer(config), so they are shared by construction.
        self._schedule = Trainer(
            config.model_copy(update={"twin": False}),
            dataset,
            record_masks=False,
            probe_size=probe_size,
            max_display_units=max_display_units,
            eval_subsample=eval_subsample,
            **({"limits": limits} if limits is not None else {}),
        )
        schedule = self._schedule
        self.dataset = schedule.dataset
        self.device = schedule.device
        self.steps_per_epoch = schedule.steps_per_epoch
        self.total_steps = schedule.total_steps
        self.display = schedule.display
        self.layer_sizes = schedule.models["method"].layer_sizes
        self.eval_every = eval_every or max(schedule.eval_every, math.ceil(self.total_steps / MAX_SWEEP_EVALUATIONS))
        if state_every is None:
            evaluations = max(1, self.total_steps // self.eval_every)
            state_every = self.eval_every * max(1, math.ceil(evaluations / MAX_SWEEP_STATES))
        self.state_every = state_every
        self.record_masks = record_masks
        self.step_count = 0
        self.status = RunState.RUNNING
        self.message = ""

        grid = self.keep_grid
        self.twin_separate = _needs_separate_twin(config, grid)
        self.n_members = len(grid) + (1 if self.twin_separate else 0)
        self.twin_index = len(grid) if self.twin_separate else grid.index(1.0)
        K = self.n_members
        n_layers = len(self.layer_sizes) - 1
        # keep[l][k]: keep probability of member k on the inputs (or weights) of layer l
        member_keep_input = [config.keep_p_input] * len(grid) + ([1.0] if self.twin_separate else [])
        member_keep_hidden = list(grid) + ([1.0] if self.twin_separate else [])
        self._keeps = [member_keep_input if layer == 0 else member_keep_hidden for layer in range(n_layers)]
        self._keep_tensors = [torch.tensor(keeps, device=self.device).view(K, 1, 1) for keeps in self._keeps]
        self._active = [any(keep < 1.0 for keep in keeps) for keeps in self._keeps]
        self._inverse_keep = [(1.0 / keep) for keep in self._keep_tensors]
        self._sigma = [((1.0 - keep) / keep).sqrt() for keep in self._keep_tensors]
        self.method = config.method
        self.inverted = config.scaling == "inverted"
        self.per_example = config.method == "dropconnect" and config.dropconnect_mask == "per-example"
        self.activation = ACTIVATION_FUNCTIONS[config.activation]
        # In place at test time (no autograd): the eval activations are the biggest tensors of a step.
        self._activation_ = {"relu": torch.relu_, "logistic": torch.sigmoid_, "tanh": torch.tanh_}[config.activation]

        self.net = StackedMLP(
            [schedule.models["method"]] * K,
            config.activation,
            optimizer=config.optimizer,
            lr=config.lr,
            momentum=config.momentum,
        )
        self.weights, self.biases = self.net.weights, self.net.biases
        # Max-norm radius of each member's hidden layers, from the model's own rule; the twin is free.
        self._max_norm_radii = None
        if config.max_norm is not None:
            per_member = [_stand_in(config, keep).max_norm_radii(config.max_norm) for keep in grid]
            if self.twin_separate:
                per_member.append([math.inf] * (n_layers - 1))
            self._max_norm_radii = radius_tensors(per_member, self.device)
        self.mask_generator = torch.Generator(device=self.device).manual_seed(config.seed + 1)
        self.eval_generator = torch.Generator(device=self.device).manual_seed(config.seed + 5)

        self._eval_sets = {
            False: self._eval_set(
                schedule.x_train_live, schedule.y_train_live, schedule.x_test_live, schedule.y_test_live
            ),
            True: self._eval_set(schedule.x_train_eval, schedule.y_train_eval, schedule.x_test, schedule.y_test),
        }
        self.probe = schedule.probe
        self._display_index = [torch.as_tensor(units, device=self.device) for units in self.display]
        self.diverged: set[int] = set()  # grid members whose loss became inf/NaN (their events stop)
        self._frozen: set[int] = set()  # stacked members zeroed after diverging (the twin included)
        self._frozen_mask: torch.Tensor | None = None
        self.last_metrics: dict[float, dict[str, dict[str, float]]] = {}
        # Dropout: per layer (inputs first), every member's kept units for the first example of the last
        # mini-batch, (K, width) bool; what the unit maps mark as dropped on a member's nets.
        self.last_unit_masks: list[torch.Tensor | None] = [None] * n_layers

    @staticmethod
    def _eval_set(x_train, y_train, x_test, y_test) -> tuple[torch.Tensor, torch.Tensor, int]:
        return torch.cat([x_train, x_test]), torch.cat([y_train, y_test]), int(x_train.shape[0])

    # protocol ------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self.status != RunState.RUNNING

    @property
    def epoch(self) -> float:
        return self.step_count / self.steps_per_epoch

    @property
    def runs(self) -> tuple[str, ...]:
        return ("method", "baseline")

    def member_index(self, keep_p: float) -> int:
        key = round(float(keep_p), 6)
        if key not in self.keep_grid:
            raise ValueError(f"keep_p {keep_p} is not in the sweep's grid {', '.join(map(str, self.keep_grid))}")
        return self.keep_grid.index(key)

    def started_event(self, keep_p: float | None = None) -> Started:
        """The whole sweep's Started (config as given), or with ``keep_p`` the member's (its own config)."""
        base = self._schedule.started_event()
        config = self.config if keep_p is None else member_config(self.config, keep_p)
        return Started(
            config=config,
            dataset=base.dataset,
            device=base.device,
            n_parameters=base.n_parameters,
            steps_per_epoch=self.steps_per_epoch,
            total_steps=self.total_steps,
            runs=self.runs,
            layer_sizes=self.layer_sizes,
            display_units=self.display,
            eval_train_examples=base.eval_train_examples,
            eval_test_examples=base.eval_test_examples,
            final_train_examples=base.final_train_examples,
            final_test_examples=base.final_test_examples,
            eval_every=self.eval_every,
        )

    def stop(self) -> Finished:
        self.status = RunState.STOPPED
        self.message = f"sweep stopped by the user at step {self.step_count} (epoch {self.epoch:.1f})"
        return Finished(self.step_count, self.status, self.message)

    # training ------------------------------------------------------------------
    def _unit_noise(self, layer: int, shape: tuple[int, ...]) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-member multiplicative noise on a layer's inputs, and what the views show of it."""
        keep = self._keep_tensors[layer]
        if self.method == "gaussian":
            noise = torch.randn(shape, generator=self.mask_generator, device=self.device)
            noise = torch.addcmul(torch.ones((), device=self.device), noise, self._sigma[layer])
            return noise, noise
        kept = torch.rand(shape, generator=self.mask_generator, device=self.device) < keep
        scale = self._inverse_keep[layer] if self.inverted else torch.ones_like(keep)
        return kept * scale, kept

    def _dropconnect_per_example(self, layer: int, inputs: torch.Tensor) -> tuple[torch.Tensor, list]:
        """Per-example DropConnect: each member through the single-net kernel (masks regenerated in backward)."""
        outputs, recorded = [], []
        for member, keep in enumerate(self._keeps[layer]):
            weight, bias = self.weights[layer][member], self.biases[layer][member, 0]
            if keep == 1.0:
                outputs.append(F.linear(inputs[member], weight, bias))
                recorded.append(None)
                continue
            out, mask = dropconnect_linear(
                inputs[member],
                weight,
                bias,
                keep,
                scaling=self.config.scaling,
                per_example=True,
                generator=self.mask_generator,
                record=self.record_masks,
            )
            outputs.append(out)
            recorded.append(mask)
        return torch.stack(outputs), recorded

    def _noise(self, layer: int, inputs: torch.Tensor) -> LayerNoise | None:
        """The sweep's noise policy: every member's masks for a layer at once, from the one mask generator."""
        if not self._active[layer]:
            return None
        if self.method in ("dropout", "gaussian"):
            noise, record = self._unit_noise(layer, inputs.shape)
            return LayerNoise(inputs=noise, record=record)
        if self.per_example:
            outputs, record = self._dropconnect_per_example(layer, inputs)
            return LayerNoise(outputs=outputs, record=record)
        # DropConnect, one weight mask per member for the whole batch
        keep = self._keep_tensors[layer]
        record = torch.rand(self.weights[layer].shape, generator=self.mask_generator, device=self.device) < keep
        scale = self._inverse_keep[layer] if self.inverted else torch.ones_like(keep)
        return LayerNoise(weights=record * scale, record=record)

    def _forward_train(self, inputs: torch.Tensor) -> tuple[torch.Tensor, list]:
        return self.net.forward_train(inputs.unsqueeze(0).expand(self.n_members, *inputs.shape), self._noise)

    def _freeze(self, members: list[int]) -> None:
        """Zero a diverged member's weights and optimizer state, so inf/NaN never spreads through the
        shared sums and the member's last views stay as they were (a zero net stays finite and still)."""
        self._frozen.update(members)
        self._frozen_mask = torch.zeros(self.n_members, 1, 1, dtype=torch.bool, device=self.device)
        self._frozen_mask[list(self._frozen)] = True
        self.net.zero_slots(members)

    def step(self) -> list:
        """One mini-batch for every member; returns the events it produced."""
        if self.done:
            return []
        self._schedule.step_count = self.step_count
        index = self._schedule._next_batch()
        inputs, labels = self._schedule.x_train[index], self._schedule.y_train[index]
        logits, shown = self._forward_train(inputs)
        if self.method == "dropout":
            self.last_unit_masks = [None if record is None else record[:, 0] for record in shown]
        losses = slot_losses(logits, labels.expand(self.n_members, *labels.shape))
        self.net.backward(losses)
        values = losses.detach().tolist()
        newly_diverged = [member for member in diverged_losses(dict(enumerate(values))) if member not in self._frozen]
        if newly_diverged:
            self._freeze(newly_diverged)
        self.net.update(self._frozen_mask if self._frozen else None)
        if self._max_norm_radii is not None:
            self.net.apply_max_norm(self._max_norm_radii)
        self.step_count += 1
        epoch = self.epoch
        twin_loss = (
            math.nan
            if self.twin_index in self._frozen and self.twin_index not in newly_diverged
            else values[self.twin_index]
        )
        events: list = []
        for member, keep in enumerate(self.keep_grid):
            if member in self.diverged:
                continue
            events.append(
                MemberEvent(keep, Step(self.step_count, epoch, {"method": values[member], "baseline": twin_loss}))
            )
        if self.record_masks:
            events.extend(self._mask_events(shown))
        for member in newly_diverged:
            if member >= len(self.keep_grid):
                continue  # the separate twin: members' baseline values read NaN from now on
            self.diverged.add(member)
            keep = self.keep_grid[member]
            message = divergence_message(
                f"member keep_p {keep} diverged: its loss",
                values[member],
                f"step {self.step_count}",
                member_config(self.config, keep),
                "The other members go on.",
            )
            events.append(MemberEvent(keep, Finished(self.step_count, RunState.DIVERGED, message)))
        if len(self.diverged) == len(self.keep_grid):
            self.status = RunState.DIVERGED
            self.message = (
                f"every member of the sweep diverged by step {self.step_count}; {divergence_advice(self.config)} "
                "Results up to there are kept."
            )
            events.append(Finished(self.step_count, self.status, self.message))
            return events
        finished = self.step_count >= self.total_steps
        if self.step_count % self.eval_every == 0 or finished:
            events.extend(self.evaluation(full=finished))
        if self.step_count % self.state_every == 0 or finished:
            events.extend(self.state_snapshot())
        if finished:
            self.status = RunState.COMPLETED
            self.message = (
                f"sweep completed: {len(self.keep_grid)} members, {self.config.epochs} epochs ({self.step_count} steps)"
            )
            events.append(Finished(self.step_count, self.status, self.message))
        return events

    def _mask_events(self, shown: list) -> list[MemberEvent]:
        per_layer = []  # per layer: None, or a numpy array with the members first
        for layer, record in enumerate(shown):
            cols = self._display_index[layer]
            if record is None:
                per_layer.append(None)
            elif isinstance(record, list):  # per-example DropConnect: first example's mask per member
                rows = self._display_index[layer + 1]
                per_layer.append([None if mask is None else mask[rows][:, cols].cpu().numpy() for mask in record])
            elif self.method == "dropconnect":
                rows = self._display_index[layer + 1]
                per_layer.append(record[:, rows][:, :, cols].cpu().numpy())
            else:
                per_layer.append(record[:, 0, cols].cpu().numpy())
        events = []
        for member, keep in enumerate(self.keep_grid):
            if member in self.diverged:
                continue
            masks = tuple(
                None if layer_masks is None or self._keeps[layer][member] == 1.0 else layer_masks[member]
                for layer, layer_masks in enumerate(per_layer)
            )
            events.append(MemberEvent(keep, MaskSnapshot(self.step_count, masks)))
        return events
