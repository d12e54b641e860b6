"""The keep-probability sweep: one network per keep_p of a grid, trained together as one stacked net.

Every member starts from the initial weights of ``Trainer(config)`` and sees its
mini-batches in the same order; only the hidden keep probability differs (the
input keep probability is the config's). Members are stacked into (K, out, in)
weights and trained with batched matmuls, each with its own masks: nets this
small cost per-step overhead, not arithmetic, so K of them cost little more than
one. A no-dropout twin rides along as one more member (it *is* the keep_p = 1.0
member when the config has no input dropout and no max-norm). Per-member SGD
(momentum) and Adam are elementwise, so torch's optimizers on the stacked
tensors do for each member exactly what they do on its own net.

:class:`KeepSweep` follows the trainer protocol of :class:`dropviz.train.Trainer`
(``step()``, ``done``, ``status``, ...); :class:`SweepRunner` runs it in a
background thread and gives each member a :class:`MemberView` with the read API
the Playground views use on a runner.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass
from typing import Iterable, Sequence

import pandas as pd
import torch
from torch.nn import functional as F

from .config import RunConfig
from .data import Dataset
from .layers import check_keep_p, dropconnect_gaussian_inference, dropconnect_linear
from .models import ACTIVATION_FUNCTIONS, MLP, build_model
from .run_state import ENDED_STATES, RunState
from .runner import LogSnapshot, MetricLog, ThreadRunner, wait_for_first_evaluation
from .train import (
    EVAL_SUBSAMPLE,
    Evaluation,
    Finished,
    MaskSnapshot,
    Started,
    StateSnapshot,
    Step,
    Trainer,
)

DEFAULT_KEEP_GRID = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
MAX_GRID_SIZE = 20
# The sweep evaluates at most this many times per run (the page draws at most ~200 points per curve);
# ten members evaluated on 1,000 test points every 2 steps would cost more than their training.
MAX_SWEEP_EVALUATIONS = 200
# State snapshots (probe activations for the views) at most this many times per run: the log keeps 40.
MAX_SWEEP_STATES = 50
# Float elements of one batched evaluation chunk (members x points x widest layer).
EVAL_CHUNK_ELEMENTS = 1 << 23


@dataclass(frozen=True)
class MemberEvent:
    """An event of one sweep member (Step, Evaluation, MaskSnapshot, StateSnapshot, or its own Finished
    when that member alone diverged); metrics name the member "method" and the twin "baseline"."""

    keep_p: float
    event: Step | Evaluation | MaskSnapshot | StateSnapshot | Finished


def check_keep_grid(keep_grid: Iterable[float]) -> tuple[float, ...]:
    """Sorted, distinct keep probabilities in (0, 1]; a clear message otherwise."""
    try:
        values = [check_keep_p(value) for value in keep_grid]
    except (TypeError, ValueError):
        raise ValueError(f"keep_grid must be keep probabilities in (0, 1] (the paper's p), got {keep_grid!r}") from None
    grid = tuple(sorted({round(value, 6) for value in values}))
    if not 1 <= len(grid) <= MAX_GRID_SIZE:
        raise ValueError(f"keep_grid needs 1 to {MAX_GRID_SIZE} distinct keep probabilities, got {len(grid)}")
    return grid


def member_config(config: RunConfig, keep_p: float) -> RunConfig:
    """The run config of the member at ``keep_p`` (hidden keep probability replaced)."""
    return config.model_copy(update={"keep_p": float(keep_p)})


def _needs_separate_twin(config: RunConfig, grid: tuple[float, ...]) -> bool:
    """The keep_p = 1.0 member is the twin only if nothing else (input dropout, max-norm) sets it apart."""
    return not (1.0 in grid and config.keep_p_input == 1.0 and config.max_norm is None)


def _stand_in(config: RunConfig, keep_p: float, baseline: bool = False) -> MLP:
    """A one-unit-per-layer MLP with a member's keep probabilities, to ask the model's own rules
    (max-norm radii) without allocating a full network."""
    source = config.baseline() if baseline else member_config(config, keep_p)
    return MLP(
        1,
        (1,) * len(config.hidden),
        1,
        activation=config.activation,
        method=source.method,
        keep_p=source.keep_p,
        keep_p_input=source.keep_p_input,
        scaling=config.scaling,
    )


class KeepSweep:
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

        initial = schedule.models["method"]
        self.weights = [
            torch.nn.Parameter(linear.weight.detach().unsqueeze(0).repeat(K, 1, 1).contiguous())
            for linear in initial.linears
        ]
        self.biases = [
            torch.nn.Parameter(linear.bias.detach().view(1, 1, -1).repeat(K, 1, 1).contiguous())
            for linear in initial.linears
        ]
        parameters = [p for pair in zip(self.weights, self.biases) for p in pair]
        if config.optimizer == "adam":
            self.optimizer = torch.optim.Adam(parameters, lr=config.lr)
        else:
            self.optimizer = torch.optim.SGD(parameters, lr=config.lr, momentum=config.momentum)
        # Max-norm radius of each member's hidden layers, from the model's own rule; the twin is free.
        self._max_norm_radii = None
        if config.max_norm is not None:
            per_member = [_stand_in(config, keep).max_norm_radii(config.max_norm) for keep in grid]
            if self.twin_separate:
                per_member.append([math.inf] * (n_layers - 1))
            self._max_norm_radii = [
                torch.tensor([radii[layer] for radii in per_member], device=self.device).view(K, 1, 1)
                for layer in range(n_layers - 1)
            ]
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

    def _forward_train(self, inputs: torch.Tensor) -> tuple[torch.Tensor, list]:
        K = self.n_members
        hidden = inputs.unsqueeze(0).expand(K, *inputs.shape)
        shown: list = []
        last = len(self.weights) - 1
        for layer, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            record = None
            if self._active[layer] and self.method in ("dropout", "gaussian"):
                noise, record = self._unit_noise(layer, hidden.shape)
                hidden = hidden * noise
                out = torch.baddbmm(bias, hidden, weight.transpose(1, 2))
            elif self._active[layer] and self.per_example:
                out, record = self._dropconnect_per_example(layer, hidden)
            elif self._active[layer]:  # DropConnect, one weight mask per member for the whole batch
                record = (
                    torch.rand(weight.shape, generator=self.mask_generator, device=self.device)
                    < self._keep_tensors[layer]
                )
                scale = self._inverse_keep[layer] if self.inverted else torch.ones_like(self._keep_tensors[layer])
                out = torch.baddbmm(bias, hidden, (weight * (record * scale)).transpose(1, 2))
            else:
                out = torch.baddbmm(bias, hidden, weight.transpose(1, 2))
            shown.append(record)
            hidden = self.activation(out) if layer < last else out
        return hidden, shown

    @torch.no_grad()
    def _freeze(self, members: list[int]) -> None:
        """Zero a diverged member's weights, gradients and optimizer state, so inf/NaN never spreads through
        the shared sums and the member's last views stay as they were (a zero net stays finite and still)."""
        self._frozen.update(members)
        self._frozen_mask = torch.zeros(self.n_members, 1, 1, dtype=torch.bool, device=self.device)
        self._frozen_mask[list(self._frozen)] = True
        for parameter in (*self.weights, *self.biases):
            parameter[members] = 0.0
            for value in self.optimizer.state.get(parameter, {}).values():
                if torch.is_tensor(value) and value.dim() == parameter.dim():
                    value[members] = 0.0

    @torch.no_grad()
    def _apply_max_norm(self) -> None:
        # torch.renorm's rule (what MLP.apply_max_norm uses), with a radius per member.
        for weight, radius in zip(self.weights[:-1], self._max_norm_radii):
            norms = torch.linalg.vector_norm(weight, dim=2, keepdim=True)
            weight.mul_(torch.where(norms > radius, radius / (norms + 1e-7), torch.ones((), device=self.device)))

    def _member_losses(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        K, n, n_classes = logits.shape
        losses = F.cross_entropy(logits.reshape(K * n, n_classes), labels.repeat(K), reduction="none")
        return losses.view(K, n).mean(1)

    def step(self) -> list:
        """One mini-batch for every member; returns the events it produced."""
        if self.done:
            return []
        self._schedule.step_count = self.step_count
        index = self._schedule._next_batch()
        inputs, labels = self._schedule.x_train[index], self._schedule.y_train[index]
        self.optimizer.zero_grad(set_to_none=True)
        logits, shown = self._forward_train(inputs)
        losses = self._member_losses(logits, labels)
        losses.sum().backward()
        values = losses.detach().tolist()
        newly_diverged = [
            member for member, value in enumerate(values) if not math.isfinite(value) and member not in self._frozen
        ]
        if newly_diverged:
            self._freeze(newly_diverged)
        if self._frozen:
            for parameter in (*self.weights, *self.biases):
                parameter.grad.masked_fill_(self._frozen_mask, 0.0)
        self.optimizer.step()
        if self._max_norm_radii is not None:
            self._apply_max_norm()
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
            message = (
                f"member keep_p {keep} diverged: its loss became {values[member]} at step {self.step_count}; "
                f"lower the learning rate (it was {self.config.lr}) or use max-norm. The other members go on."
            )
            events.append(MemberEvent(keep, Finished(self.step_count, RunState.DIVERGED, message)))
        if len(self.diverged) == len(self.keep_grid):
            self.status = RunState.DIVERGED
            self.message = (
                f"every member of the sweep diverged by step {self.step_count}; lower the learning rate "
                f"(it was {self.config.lr}) or use max-norm. Results up to there are kept."
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

    # evaluation ------------------------------------------------------------------
    @torch.no_grad()
    def _forward_eval(self, inputs: torch.Tensor, activations: bool = False):
        """Test-time logits of every member on ``inputs`` (K, n, classes), and optionally hidden activations."""
        K = self.n_members
        hidden = inputs.unsqueeze(0).expand(K, *inputs.shape)
        kept = []
        last = len(self.weights) - 1
        for layer, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            keep = self._keep_tensors[layer]
            activated = False
            if not self._active[layer] or self.method == "gaussian" or (self.method == "dropout" and self.inverted):
                out = torch.baddbmm(bias, hidden, weight.transpose(1, 2))
            elif self.method == "dropout":  # weight scaling: outputs times keep_p at test time
                out = torch.baddbmm(bias, hidden * keep, weight.transpose(1, 2))
            elif self.config.dropconnect_inference == "gaussian":
                out = self._dropconnect_gaussian_eval(layer, hidden)
                activated = layer < last
            else:  # DropConnect mean network
                effective = weight if self.inverted else weight * keep
                out = torch.baddbmm(bias, hidden, effective.transpose(1, 2))
            hidden = out if activated or layer == last else self._activation_(out)
            if layer < last and activations:
                kept.append(hidden)
        return hidden, kept

    def _dropconnect_gaussian_eval(self, layer: int, inputs: torch.Tensor) -> torch.Tensor:
        """Wan et al.'s sampled inference per member (as MLP does it), log-probabilities for the output layer."""
        is_output = layer == len(self.weights) - 1
        activation = (lambda logits: torch.softmax(logits, -1)) if is_output else self.activation
        outputs = []
        for member, keep in enumerate(self._keeps[layer]):
            weight, bias = self.weights[layer][member], self.biases[layer][member, 0]
            if keep == 1.0:
                out = F.linear(inputs[member], weight, bias)
                outputs.append(out if is_output else activation(out))
                continue
            averaged = dropconnect_gaussian_inference(
                inputs[member],
                weight,
                bias,
                keep,
                activation,
                self.config.dropconnect_samples,
                self.eval_generator,
                self.config.scaling,
            )
            outputs.append(averaged.clamp_min(1e-12).log() if is_output else averaged)
        return torch.stack(outputs)

    @torch.no_grad()
    def evaluate_members(self, full: bool = True) -> list[dict[str, float]]:
        """train/test loss and error of every member (the twin last if separate), batched over members."""
        inputs, labels, n_train = self._eval_sets[full]
        K, n = self.n_members, inputs.shape[0]
        widest = max(self.layer_sizes)
        chunk = max(1, EVAL_CHUNK_ELEMENTS // (K * widest))
        losses, wrong = [], []
        for start in range(0, n, chunk):
            logits, _ = self._forward_eval(inputs[start : start + chunk])
            target = labels[start : start + chunk]
            k, m, c = logits.shape
            losses.append(F.cross_entropy(logits.reshape(k * m, c), target.repeat(K), reduction="none").view(K, m))
            wrong.append((logits.argmax(-1) != target).to(logits.dtype))
        loss, error = torch.cat(losses, 1), torch.cat(wrong, 1)
        summary = torch.stack(
            [
                loss[:, :n_train].mean(1),
                error[:, :n_train].mean(1),
                loss[:, n_train:].mean(1),
                error[:, n_train:].mean(1),
            ],
            1,
        ).tolist()
        names = ("train_loss", "train_error", "test_loss", "test_error")
        return [dict(zip(names, row)) for row in summary]

    def evaluation(self, full: bool = True) -> list[MemberEvent]:
        metrics = self.evaluate_members(full)
        twin = metrics[self.twin_index]
        if self.twin_index in self._frozen:
            twin = {name: math.nan for name in twin}
        n_test = int(self._eval_sets[full][0].shape[0] - self._eval_sets[full][2])
        events = []
        for member, keep in enumerate(self.keep_grid):
            self.last_metrics[keep] = {"method": metrics[member], "baseline": twin}
            if member in self.diverged:
                continue
            events.append(
                MemberEvent(
                    keep,
                    Evaluation(
                        self.step_count,
                        self.epoch,
                        {"method": metrics[member], "baseline": twin},
                        keep_p=keep,
                        keep_p_input=self.config.keep_p_input,
                        test_examples=n_test,
                    ),
                )
            )
        return events

    @torch.no_grad()
    def state_snapshot(self) -> list[MemberEvent]:
        _, hidden = self._forward_eval(self.probe, activations=True)
        activations = [layer.cpu().numpy() for layer in hidden]
        weights = []
        for layer, weight in enumerate(self.weights):
            rows, cols = self._display_index[layer + 1], self._display_index[layer]
            weights.append(weight.detach()[:, rows][:, :, cols].cpu().numpy())
        twin_activations = tuple(layer[self.twin_index] for layer in activations)
        twin_weights = tuple(layer[self.twin_index] for layer in weights)
        events = []
        for member, keep in enumerate(self.keep_grid):
            if member in self.diverged:
                continue
            events.append(
                MemberEvent(
                    keep,
                    StateSnapshot(
                        self.step_count,
                        {"method": tuple(layer[member] for layer in activations), "baseline": twin_activations},
                        {"method": tuple(layer[member] for layer in weights), "baseline": twin_weights},
                    ),
                )
            )
        return events

    # members as ordinary nets --------------------------------------------------------
    def _load_member(self, model: MLP, member: int) -> MLP:
        with torch.no_grad():
            for linear, weight, bias in zip(model.linears, self.weights, self.biases):
                linear.weight.copy_(weight[member])
                linear.bias.copy_(bias[member, 0])
        model.set_record_masks(False)
        model.set_generator(None)
        return model.eval()

    def member_models(self, keep_p: float) -> dict[str, MLP]:
        """{"method": the member at ``keep_p`` as an ordinary eval-mode MLP, "baseline": the twin}."""
        member = self.member_index(keep_p)
        n_in, n_out = self.layer_sizes[0], self.layer_sizes[-1]
        method = build_model(member_config(self.config, self.keep_grid[member]), n_in, n_out).to(self.device)
        twin = build_model(self.config, n_in, n_out, baseline=True).to(self.device)
        return {"method": self._load_member(method, member), "baseline": self._load_member(twin, self.twin_index)}


# --- cost estimate ------------------------------------------------------------------


def sweep_networks(config: RunConfig, keep_grid: Sequence[float] = DEFAULT_KEEP_GRID) -> int:
    """How many networks a sweep of ``config`` over ``keep_grid`` trains (its members, and a twin of its
    own where the keep_p = 1.0 member cannot be the twin): what the server's run limits count."""
    grid = check_keep_grid(keep_grid)
    return len(grid) + (1 if _needs_separate_twin(config, grid) else 0)


_ESTIMATES: dict[tuple, float] = {}


def estimate_sweep_seconds(
    config: RunConfig,
    keep_grid: Sequence[float] = DEFAULT_KEEP_GRID,
    dataset: Dataset | None = None,
    *,
    probe_steps: int = 3,
    cached: bool = True,
) -> float:
    """Seconds the whole sweep (evaluations included) would take on this machine.

    Measured, not modelled: a few real sweep steps and one evaluation on a synthetic data set of the
    run's shape, scaled to the run's step and evaluation counts (so per-example DropConnect's cost,
    memory traffic and per-step overhead are all in it). Timed in the calling thread's CPU time, not
    wall time: other work on the machine (other sessions' runs) would otherwise make the same sweep
    look several times slower. Cached per configuration and grid (``cached=False`` measures again).
    """
    grid = check_keep_grid(keep_grid)
    if dataset is None:
        from .data import load_dataset

        dataset = load_dataset(
            config.dataset, train_size=config.train_size, noise=config.noise, seed=config.seed, data_dir=config.data_dir
        )
    n_train, n_features = dataset.x_train.shape
    n_test = dataset.x_test.shape[0]
    key = (config.model_dump_json(), grid, n_train, n_features, n_test, dataset.n_classes)
    if cached and key in _ESTIMATES:
        return _ESTIMATES[key]
    generator = torch.Generator().manual_seed(0)
    batch = min(config.batch_size, n_train)
    probe_train = min(n_train, max(batch, 64))
    synthetic = Dataset(
        name="estimate",
        x_train=torch.randn(probe_train, n_features, generator=generator),
        y_train=torch.randint(0, dataset.n_classes, (probe_train,), generator=generator),
        x_test=torch.randn(min(n_test, 256), n_features, generator=generator),
        y_test=torch.randint(0, dataset.n_classes, (min(n_test, 256),), generator=generator),
        n_classes=dataset.n_classes,
        class_names=tuple(str(c) for c in range(dataset.n_classes)),
        image_shape=None,
        description="synthetic",
    )
    probe_config = config.model_copy(update={"epochs": 1000, "train_size": None})
    sweep = KeepSweep(probe_config, grid, synthetic, record_masks=True, eval_every=10**9, eval_subsample=None)
    sweep.step()  # warm-up (allocations, first-call dispatch)
    started = time.thread_time()
    for _ in range(probe_steps):
        sweep.step()
    per_step = (time.thread_time() - started) / probe_steps
    started = time.thread_time()
    sweep.evaluate_members(full=True)
    sweep.state_snapshot()
    per_eval_point = (time.thread_time() - started) / (sweep._eval_sets[True][0].shape[0] + sweep.probe.shape[0])

    # The real run's counts.
    steps_per_epoch = math.ceil(n_train / batch)
    total_steps = steps_per_epoch * config.epochs
    from .train import TRAIN_EVAL_LIMIT, default_eval_every

    run_eval_every = config.eval_every or default_eval_every(steps_per_epoch, batch)
    eval_every = max(run_eval_every, math.ceil(total_steps / MAX_SWEEP_EVALUATIONS))
    n_evaluations = total_steps // eval_every + 1
    live_points = min(n_train, TRAIN_EVAL_LIMIT, EVAL_SUBSAMPLE) + min(n_test, EVAL_SUBSAMPLE) + min(n_test, 256)
    seconds = total_steps * per_step + n_evaluations * live_points * per_eval_point
    _ESTIMATES[key] = seconds
    return seconds


# --- background runner --------------------------------------------------------------


class _Logs:
    """The sweep's own log plus one per member; routes each event to where it belongs."""

    def __init__(self, config: RunConfig, grid: tuple[float, ...]):
        self.sweep = MetricLog()
        self.members = {keep: MetricLog() for keep in grid}

    def set_state(self, state: str, message: str = "") -> None:
        self.sweep.set_state(state, message)
        for log in self.members.values():
            if log.state not in ENDED_STATES:
                log.set_state(state, message)

    def announce(self, sweep: "KeepSweep") -> None:
        self.sweep.publish(sweep.started_event())
        for keep, log in self.members.items():
            log.publish(sweep.started_event(keep))

    def publish(self, event) -> None:
        if isinstance(event, MemberEvent):
            self.members[event.keep_p].publish(event.event)
            return
        self.sweep.publish(event)
        if isinstance(event, Finished):
            for log in self.members.values():
                if log.state not in ENDED_STATES:
                    log.publish(event)


class SweepRunner(ThreadRunner):
    """Runs a :class:`KeepSweep` in a daemon thread (controls: :class:`~dropviz.runner.ThreadRunner`);
    :meth:`member` gives each member's read view."""

    thread_name = "dropviz-keep-sweep"
    what = "the sweep"

    def __init__(
        self,
        config: RunConfig,
        keep_grid: Sequence[float] = DEFAULT_KEEP_GRID,
        dataset: Dataset | None = None,
        *,
        num_threads: int | None = None,
        nice: int = 0,
        yield_seconds: float = 0.0,
        **options,
    ):
        super().__init__(num_threads=num_threads, nice=nice, yield_seconds=yield_seconds)
        self.config = config
        self.keep_grid = check_keep_grid(keep_grid)
        self.dataset = dataset
        self.options = options
        self.logs = _Logs(config, self.keep_grid)
        self.log = self.logs.sweep
        self._sink = self.logs

    def _job_factory(self):
        return functools.partial(KeepSweep, self.config, self.keep_grid, self.dataset, **self.options)

    @property
    def sweep(self) -> KeepSweep | None:
        return self._control.job

    def snapshot(self) -> LogSnapshot:
        """The whole sweep's log (Started, state, Finished); members' logs are in :meth:`member`."""
        return self.log.snapshot()

    def member(self, keep_p: float) -> "MemberView":
        key = round(float(keep_p), 6)
        if key not in self.logs.members:
            raise ValueError(f"keep_p {keep_p} is not in the sweep's grid {', '.join(map(str, self.keep_grid))}")
        return MemberView(self, key)

    def member_models(self, keep_p: float) -> dict[str, MLP]:
        sweep = self._control.job
        if sweep is None:
            return {}
        with self._control.step_lock:
            return sweep.member_models(keep_p)

    @property
    def trained_dataset(self) -> Dataset | None:
        sweep = self._control.job
        return sweep.dataset if sweep is not None else None

    def response(self) -> pd.DataFrame:
        """One row per member: keep_p, step and its latest train/test loss and error (NaN before the first);
        a member that diverged has NaN metrics and the step it diverged at in ``diverged_at`` (else NaN)."""
        metric_names = ("train_loss", "train_error", "test_loss", "test_error")
        rows = []
        for keep, log in self.logs.members.items():
            evaluation = log.snapshot().latest_evaluation if log.has_evaluation else None
            metrics = evaluation.metrics["method"] if evaluation is not None else {}
            diverged = log.state == RunState.DIVERGED
            rows.append(
                {
                    "keep_p": keep,
                    "step": evaluation.step if evaluation is not None else 0,
                    # A diverging member's last evaluation is garbage (1e24 or nan): not a point of the curve.
                    **{name: math.nan if diverged else float(metrics.get(name, math.nan)) for name in metric_names},
                    "diverged_at": float(log.step) if diverged else math.nan,
                }
            )
        return pd.DataFrame(rows, columns=["keep_p", "step", *metric_names, "diverged_at"])


class MemberView:
    """One sweep member with the read API the Playground views use on a BackgroundRunner."""

    def __init__(self, runner: SweepRunner, keep_p: float):
        self._runner = runner
        self.keep_p = keep_p
        self.log = runner.logs.members[keep_p]
        self.config = member_config(runner.config, keep_p)

    @property
    def state(self) -> str:
        return self.log.state

    def snapshot(self) -> LogSnapshot:
        return self.log.snapshot()

    def copy_models(self) -> dict[str, MLP]:
        return self._runner.member_models(self.keep_p)

    @property
    def trained_dataset(self) -> Dataset | None:
        return self._runner.trained_dataset

    def wait_for_evaluation(self, timeout: float) -> bool:
        return wait_for_first_evaluation(self.log, timeout)
