"""Synchronous training of a method net and its no-dropout twin, emitting events.

The twin starts from the same initial weights and sees the same mini-batches
in the same order, so any difference between the two curves is the method's.
:class:`Trainer` advances one mini-batch at a time, which is what lets the
background runner pause, single-step and stop between any two updates.

Over 400 lines on purpose: the events, the step and the evaluation are one state machine that the
cohort (dropviz.cohort) and the sweep reuse piece by piece; split, its private steps would cross files.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Hashable, Iterable, Mapping, TypeVar

import numpy as np
import torch
from torch.nn import functional as F

from .config import RunConfig
from .data import Dataset, load_dataset
from .layers import check_keep_p
from .limits import RunLimits, check_run
from .models import MLP, build_model, resolve_device
from .run_state import RunState

RUNS = ("method", "baseline")
# Training-set error is measured on a fixed subset so evaluation stays cheap on 60k images.
TRAIN_EVAL_LIMIT = 10_000
EVAL_CHUNK = 4096
# Evaluations during training use at most this many train and test examples (a fixed subsample) so that
# they come early and stay cheap on 60k images; the final evaluation uses the full sets.
EVAL_SUBSAMPLE = 2_000
# Default cadence: every epoch, but at least once per this many training examples, so a large data set
# gets its first curve point after seconds rather than at the end of the first epoch.
EVAL_EVERY_EXAMPLES = 4_096
# A shared server's runs (ui.session: a class) evaluate at most about this many times: the curves draw
# 200 points, and on the default demo evaluating 1,040 points every 2 steps of 32 cost more CPU than the
# training (docs/classroom.md, session 16). Never so rarely, though, that an evaluation would cost less
# than the training between two (a training example costs about three evaluated ones).
SHARED_MAX_EVALUATIONS = 200
TRAIN_COST_IN_EVAL_EXAMPLES = 3


@dataclass(frozen=True)
class Started:
    config: RunConfig
    dataset: str
    device: str
    n_parameters: int
    steps_per_epoch: int
    total_steps: int
    runs: tuple[str, ...]
    layer_sizes: tuple[int, ...]
    display_units: tuple[tuple[int, ...], ...]
    # Examples behind the evaluations during training (a fixed subsample when the set is large)
    # and behind the final one, so the page can say what its curves are measured on.
    eval_train_examples: int = 0
    eval_test_examples: int = 0
    final_train_examples: int = 0
    final_test_examples: int = 0
    eval_every: int = 0

    @property
    def measured_less_often(self) -> bool:
        """Whether the run evaluates less often than its default cadence (a shared server's cap)."""
        return self.config.eval_every is None and self.eval_every > default_eval_every(
            self.steps_per_epoch, self.config.batch_size
        )


@dataclass(frozen=True)
class Step:
    step: int
    epoch: float
    losses: dict[str, float]


@dataclass(frozen=True)
class Evaluation:
    step: int
    epoch: float
    metrics: dict[str, dict[str, float]]  # run -> train_loss, train_error, test_loss, test_error
    keep_p: float | None = None  # the method's keep probabilities in force at this evaluation
    keep_p_input: float | None = None
    test_examples: int | None = None  # test examples behind the test metrics


@dataclass(frozen=True)
class KeepChange:
    """The method's keep probabilities were changed mid-run; the new ones apply from step ``step + 1``."""

    step: int
    old_keep_p: float
    new_keep_p: float
    old_keep_p_input: float
    new_keep_p_input: float


@dataclass(frozen=True)
class MaskSnapshot:
    """Masks of one mini-batch on the display sub-network (first example of the batch)."""

    step: int
    masks: tuple[np.ndarray | None, ...]  # per layer: units (n_in,) or weights (n_out, n_in)


@dataclass(frozen=True)
class StateSnapshot:
    """Hidden activations on the probe batch and display weights of each run."""

    step: int
    activations: dict[str, tuple[np.ndarray, ...]]
    weights: dict[str, tuple[np.ndarray, ...]]


@dataclass(frozen=True)
class Finished:
    step: int
    status: str  # completed | diverged | stopped
    message: str


Event = Started | Step | Evaluation | MaskSnapshot | StateSnapshot | KeepChange | Finished


def default_eval_every(
    steps_per_epoch: int,
    batch_size: int,
    total_steps: int | None = None,
    eval_examples: int | None = None,
    max_evaluations: int | None = None,
) -> int:
    """Every epoch, or every :data:`EVAL_EVERY_EXAMPLES` training examples if an epoch is longer.

    With ``max_evaluations``, a run of ``total_steps`` that would evaluate more often than that evaluates
    every k-th time instead, k as small as keeps it within that count or keeps an evaluation of
    ``eval_examples`` points no dearer than the training steps between two of them.
    """
    every = max(1, min(steps_per_epoch, math.ceil(EVAL_EVERY_EXAMPLES / max(1, batch_size))))
    if max_evaluations is None or total_steps is None or total_steps <= every * max_evaluations:
        return every
    within_count = math.ceil(total_steps / (every * max_evaluations))
    if eval_examples is None:
        return every * within_count
    within_cost = math.ceil(eval_examples / (every * TRAIN_COST_IN_EVAL_EXAMPLES * max(1, batch_size)))
    return every * max(1, min(within_count, within_cost))


def smoothed_losses(steps, run: str = "method", smoothing: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
    """Step numbers and the exponentially smoothed mini-batch loss of ``run`` (TensorBoard-style, bias-corrected).

    The curves have a point from the first step on, long before the first evaluation;
    bias correction makes the first value the first loss instead of a pull towards zero.
    """
    if not 0.0 <= smoothing < 1.0:
        raise ValueError(f"smoothing must be in [0, 1), got {smoothing!r}")
    numbers = np.fromiter((step.step for step in steps if run in step.losses), dtype=np.int64)
    values = np.fromiter((step.losses[run] for step in steps if run in step.losses), dtype=np.float64)
    # A non-finite loss is shown as it is and leaves the average alone; the finite ones are one linear
    # recurrence, a(n) = s a(n-1) + (1 - s) v(n), filtered in one call (every live refresh redraws it).
    from scipy.signal import lfilter

    smoothed = values.copy()
    finite = np.isfinite(values)
    if finite.any():
        average = lfilter([1.0 - smoothing], [1.0, -smoothing], values[finite])
        weight = 1.0 - smoothing ** np.arange(1, average.size + 1, dtype=np.float64)
        smoothed[finite] = average / weight
    return numbers, smoothed


def eval_subsets(n_train: int, n_test: int, seed: int, subsample: int | None, device) -> dict[str, torch.Tensor]:
    """Fixed index sets for evaluation: ``train_final`` / ``test_final`` (the final evaluation) and
    ``train_live`` / ``test_live`` (evaluations during training, at most ``subsample`` each)."""
    train_order = torch.randperm(n_train, generator=torch.Generator().manual_seed(seed + 3))
    train_final = train_order[:TRAIN_EVAL_LIMIT]
    test_final = torch.arange(n_test)
    live = subsample if subsample is not None else max(n_train, n_test)
    train_live = train_final[:live]
    test_live = test_final
    if n_test > live:
        test_live = torch.randperm(n_test, generator=torch.Generator().manual_seed(seed + 4))[:live].sort().values
    return {
        name: index.to(device)
        for name, index in (
            ("train_final", train_final),
            ("test_final", test_final),
            ("train_live", train_live),
            ("test_live", test_live),
        )
    }


def display_units(layer_sizes: Iterable[int], max_units: int = 8) -> tuple[tuple[int, ...], ...]:
    """Evenly spaced unit indices per layer, so large layers are drawn as a labelled subsample."""
    chosen = []
    for size in layer_sizes:
        if size <= max_units:
            chosen.append(tuple(range(size)))
        else:
            chosen.append(tuple(int(i) for i in np.linspace(0, size - 1, max_units).round().astype(int)))
    return tuple(chosen)


def divergence_advice(config: RunConfig) -> str:
    """What to change after a diverged run: a tiny keep probability's 1/p scaling when that is the likely
    cause, else the learning rate."""
    keep = min(config.keep_p, config.keep_p_input) if config.method in ("dropout", "gaussian", "dropconnect") else 1.0
    if keep < 0.05:
        effect = (
            f"kept units are scaled by 1/p = {1 / keep:.3g}"
            if config.scaling == "inverted" and config.method != "gaussian"
            else f"the noise's variance is (1-p)/p = {(1 - keep) / keep:.3g}"
            if config.method == "gaussian"
            else "almost every unit is dropped"
        )
        return (
            f"the keep probability is tiny (p = {keep:g}: {effect}); raise it "
            f"(or lower the learning rate, it was {config.lr})."
        )
    return f"lower the learning rate (it was {config.lr}) or use a max-norm constraint."


Key = TypeVar("Key", bound=Hashable)


def diverged_losses(losses: Mapping[Key, float]) -> list[Key]:
    """The divergence check, of a run's nets and of a sweep's members: those whose loss became inf or NaN."""
    return [key for key, value in losses.items() if not math.isfinite(value)]


def divergence_message(what: str, loss: float, at: str, config: RunConfig, then: str) -> str:
    """A diverged run's (or sweep member's) message: what diverged, its loss, when, the advice for its config."""
    return f"{what} became {loss} at {at}; {divergence_advice(config)} {then}"


def make_optimizer(config: RunConfig, model: MLP) -> torch.optim.Optimizer:
    if config.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=config.lr)
    return torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum)


@torch.no_grad()
def evaluate(model: MLP, inputs: torch.Tensor, labels: torch.Tensor) -> tuple[float, float]:
    """Mean cross-entropy and error rate (fraction) of the model at test time."""
    was_training = model.training
    model.eval()
    total_loss, wrong = 0.0, 0
    for start in range(0, inputs.shape[0], EVAL_CHUNK):
        logits = model(inputs[start : start + EVAL_CHUNK])
        target = labels[start : start + EVAL_CHUNK]
        total_loss += F.cross_entropy(logits, target, reduction="sum").item()
        wrong += (logits.argmax(1) != target).sum().item()
    model.train(was_training)
    count = max(1, inputs.shape[0])
    return total_loss / count, wrong / count


class Trainer:
    """Trains ``config``'s method net and (if ``config.twin``) its twin, one mini-batch per :meth:`step`."""

    def __init__(
        self,
        config: RunConfig,
        dataset: Dataset | None = None,
        *,
        record_masks: bool = True,
        state_every: int | None = None,
        probe_size: int = 256,
        max_display_units: int = 8,
        limits: RunLimits | None = None,
        eval_subsample: int | None = EVAL_SUBSAMPLE,
        max_evaluations: int | None = None,
    ):
        self.config = config
        self.dataset = (
            dataset
            if dataset is not None
            else load_dataset(
                config.dataset,
                train_size=config.train_size,
                noise=config.noise,
                seed=config.seed,
                data_dir=config.data_dir,
            )
        )
        if limits is not None:  # before any weight is allocated; counts what the trainer itself holds
            check_run(config, self.dataset.n_features, self.dataset.n_classes, limits, state_history=0, model_copies=0)
        self.device = resolve_device(config.device)
        data = self.dataset
        self.x_train = data.x_train.to(self.device)
        self.y_train = data.y_train.to(self.device)
        self.x_test = data.x_test.to(self.device)
        self.y_test = data.y_test.to(self.device)
        self.n_train = self.x_train.shape[0]
        self.batch_size = min(config.batch_size, self.n_train)
        self.steps_per_epoch = math.ceil(self.n_train / self.batch_size)
        self.total_steps = self.steps_per_epoch * config.epochs

        init_generator = torch.Generator().manual_seed(config.seed)
        self.models: dict[str, MLP] = {"method": build_model(config, data.n_features, data.n_classes)}
        self.models["method"].reset_parameters(init_generator)
        if config.twin:
            twin = build_model(config, data.n_features, data.n_classes, baseline=True)
            twin.load_state_dict(self.models["method"].state_dict())
            self.models["baseline"] = twin
        self.mask_generator = torch.Generator(device=self.device).manual_seed(config.seed + 1)
        for model in self.models.values():
            model.to(self.device)
            model.set_generator(self.mask_generator)
            model.train()
        self.models["method"].set_record_masks(record_masks)
        self.record_masks = record_masks
        self.optimizers = {run: make_optimizer(config, model) for run, model in self.models.items()}
        # The batch order comes from its own generator: identical for method and twin.
        self.order_generator = torch.Generator().manual_seed(config.seed + 2)
        self._order = torch.empty(0, dtype=torch.long)
        self.step_count = 0
        self.status = RunState.RUNNING
        self.message = ""
        self._pending_keep: tuple[float | None, float | None] | None = None

        subsets = eval_subsets(self.n_train, self.x_test.shape[0], config.seed, eval_subsample, self.device)
        self.x_train_eval, self.y_train_eval = (
            self.x_train[subsets["train_final"]],
            self.y_train[subsets["train_final"]],
        )
        self.x_train_live, self.y_train_live = self.x_train[subsets["train_live"]], self.y_train[subsets["train_live"]]
        self.x_test_live, self.y_test_live = self.x_test[subsets["test_live"]], self.y_test[subsets["test_live"]]
        self.probe = self.x_test[:probe_size]
        self.eval_every = config.eval_every or default_eval_every(
            self.steps_per_epoch,
            self.batch_size,
            self.total_steps,
            self.x_train_live.shape[0] + self.x_test_live.shape[0],
            max_evaluations,
        )
        self.display = display_units(self.models["method"].layer_sizes, max_display_units)
        self.state_every = state_every
        self.last_metrics: dict[str, dict[str, float]] = {}

    # ------------------------------------------------------------------------------
    @property
    def runs(self) -> tuple[str, ...]:
        return tuple(self.models)

    @property
    def done(self) -> bool:
        return self.status != RunState.RUNNING

    @property
    def epoch(self) -> float:
        return self.step_count / self.steps_per_epoch

    def started_event(self) -> Started:
        return Started(
            config=self.config,
            dataset=self.dataset.description,
            device=str(self.device),
            n_parameters=self.models["method"].n_parameters,
            steps_per_epoch=self.steps_per_epoch,
            total_steps=self.total_steps,
            runs=self.runs,
            layer_sizes=self.models["method"].layer_sizes,
            display_units=self.display,
            eval_train_examples=self.x_train_live.shape[0],
            eval_test_examples=self.x_test_live.shape[0],
            final_train_examples=self.x_train_eval.shape[0],
            final_test_examples=self.x_test.shape[0],
            eval_every=self.eval_every,
        )

    @property
    def keep_p(self) -> float:
        return self.config.keep_p

    @property
    def keep_p_input(self) -> float:
        return self.config.keep_p_input

    def set_keep_p(self, keep_p: float | None = None, keep_p_input: float | None = None) -> None:
        """Change the method's keep probabilities from the next mini-batch on, without a reset.

        Safe to call from another thread between or during steps: the change is only
        picked up at the start of the next :meth:`step`, which emits a :class:`KeepChange`.
        """
        if keep_p is not None:
            keep_p = check_keep_p(keep_p, "keep_p")
        if keep_p_input is not None:
            keep_p_input = check_keep_p(keep_p_input, "keep_p_input")
        pending = self._pending_keep or (None, None)
        self._pending_keep = (
            keep_p if keep_p is not None else pending[0],
            keep_p_input if keep_p_input is not None else pending[1],
        )

    def _apply_pending_keep(self) -> KeepChange | None:
        pending, self._pending_keep = self._pending_keep, None
        if pending is None:
            return None
        old_keep, old_input = self.config.keep_p, self.config.keep_p_input
        new_keep = old_keep if pending[0] is None else pending[0]
        new_input = old_input if pending[1] is None else pending[1]
        if (new_keep, new_input) == (old_keep, old_input):
            return None
        self.config = self.config.model_copy(update={"keep_p": new_keep, "keep_p_input": new_input})
        self.models["method"].set_keep_p(new_keep, new_input)
        return KeepChange(self.step_count, old_keep, new_keep, old_input, new_input)

    def _next_batch(self) -> torch.Tensor:
        position = self.step_count % self.steps_per_epoch
        if position == 0:
            self._order = torch.randperm(self.n_train, generator=self.order_generator).to(self.device)
        return self._order[position * self.batch_size : (position + 1) * self.batch_size]

    def step(self) -> list[Event]:
        """One mini-batch for every run; returns the events it produced."""
        if self.done:
            return []
        events, index = self._begin_step()
        return self._finish_step(events, self._train_batch(index))

    def _begin_step(self) -> tuple[list[Event], torch.Tensor]:
        """A pending keep-p change (its event) and the next mini-batch's indices; a cohort
        (dropviz.cohort) runs the same begin/finish around its stacked update."""
        events: list[Event] = []
        change = self._apply_pending_keep()
        if change is not None:
            events.append(change)
        return events, self._next_batch()

    def _train_batch(self, index: torch.Tensor) -> dict[str, float]:
        inputs, labels = self.x_train[index], self.y_train[index]
        losses: dict[str, float] = {}
        for run, model in self.models.items():
            optimizer = self.optimizers[run]
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(inputs), labels)
            loss.backward()
            optimizer.step()
            if run == "method":
                model.apply_max_norm(self.config.max_norm)
            losses[run] = loss.item()
        return losses

    def _finish_step(self, events: list[Event], losses: dict[str, float]) -> list[Event]:
        """Count the step and emit what follows it: Step, masks, divergence, evaluation, state, end."""
        self.step_count += 1
        events.append(Step(self.step_count, self.epoch, losses))
        if self.record_masks:
            events.append(self.mask_snapshot())
        bad = diverged_losses(losses)
        if bad:
            self.status = RunState.DIVERGED
            self.message = divergence_message(
                f"training diverged: the {' and '.join(bad)} loss",
                losses[bad[0]],
                f"step {self.step_count} (epoch {self.epoch:.1f})",
                self.config,
                "Results up to this step are kept.",
            )
            events.append(Finished(self.step_count, self.status, self.message))
            return events
        finished = self.step_count >= self.total_steps
        if self.step_count % self.eval_every == 0 or finished:
            events.append(self.evaluation(full=finished))
            if self.state_every is None or self.step_count % self.state_every == 0 or finished:
                events.append(self.state_snapshot())
        elif self.state_every is not None and self.step_count % self.state_every == 0:
            events.append(self.state_snapshot())
        if finished:
            self.status = RunState.COMPLETED
            self.message = f"completed {self.config.epochs} epochs ({self.step_count} steps)"
            events.append(Finished(self.step_count, self.status, self.message))
        return events

    def replace_optimizer(self, run: str, optimizer: torch.optim.Optimizer) -> None:
        """Train ``run`` with ``optimizer`` from the next step (e.g. per-layer learning rates).

        It must hold exactly that run's parameters, so no parameter is left untrained or shared.
        """
        held = {id(p) for group in optimizer.param_groups for p in group["params"]}
        if held != {id(p) for p in self.models[run].parameters()}:
            raise ValueError(f"the optimizer for {run!r} must hold exactly that run's parameters")
        self.optimizers[run] = optimizer

    def stop(self) -> Finished:
        self.status = RunState.STOPPED
        self.message = f"stopped by the user at step {self.step_count} (epoch {self.epoch:.1f})"
        return Finished(self.step_count, self.status, self.message)

    def evaluation(self, full: bool = True) -> Evaluation:
        """Metrics of every run: on the full evaluation sets, or (``full=False``) on the fixed live subsample."""
        if full:
            x_train, y_train, x_test, y_test = self.x_train_eval, self.y_train_eval, self.x_test, self.y_test
        else:
            x_train, y_train, x_test, y_test = self.x_train_live, self.y_train_live, self.x_test_live, self.y_test_live
        metrics = self._run_metrics(x_train, y_train, x_test, y_test)
        self.last_metrics = metrics
        return Evaluation(
            self.step_count,
            self.epoch,
            metrics,
            keep_p=self.config.keep_p,
            keep_p_input=self.config.keep_p_input,
            test_examples=int(x_test.shape[0]),
        )

    def _run_metrics(self, x_train, y_train, x_test, y_test) -> dict[str, dict[str, float]]:
        metrics = {}
        for run, model in self.models.items():
            train_loss, train_error = evaluate(model, x_train, y_train)
            test_loss, test_error = evaluate(model, x_test, y_test)
            metrics[run] = {
                "train_loss": train_loss,
                "train_error": train_error,
                "test_loss": test_loss,
                "test_error": test_error,
            }
        return metrics

    def mask_snapshot(self) -> MaskSnapshot:
        masks = []
        for layer, mask in enumerate(self.models["method"].unit_masks()):
            if mask is None:
                masks.append(None)
                continue
            inputs_shown = torch.as_tensor(self.display[layer], device=mask.device)
            if mask.dim() == 2 and self.models["method"].method == "dropconnect":
                outputs_shown = torch.as_tensor(self.display[layer + 1], device=mask.device)
                masks.append(mask[outputs_shown][:, inputs_shown].cpu().numpy())
            else:
                masks.append(mask[0, inputs_shown].cpu().numpy())
        return MaskSnapshot(self.step_count, tuple(masks))

    def state_snapshot(self) -> StateSnapshot:
        activations, weights = {}, {}
        for run, model in self.models.items():
            activations[run] = tuple(a.cpu().numpy() for a in model.hidden_activations(self.probe))
            shown = []
            for layer, linear in enumerate(model.linears):
                rows = torch.as_tensor(self.display[layer + 1], device=self.device)
                cols = torch.as_tensor(self.display[layer], device=self.device)
                shown.append(linear.weight.detach()[rows][:, cols].cpu().numpy())
            weights[run] = tuple(shown)
        return StateSnapshot(self.step_count, activations, weights)


@dataclass
class TrainResult:
    config: RunConfig
    status: str
    message: str
    steps: int
    wall_seconds: float
    final: dict[str, dict[str, float]]
    history: list[Evaluation] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "config": self.config.model_dump(mode="json"),
            "status": self.status,
            "message": self.message,
            "steps": self.steps,
            "wall_seconds": round(self.wall_seconds, 3),
            **{run: metrics for run, metrics in self.final.items()},
        }


def run_to_end(trainer, on_event: Callable[[Event], None] | None = None):
    """Step ``trainer`` (a :class:`Trainer`, or anything with its ``step()``/``done``) until it is done.

    Every event goes to ``on_event``; the trainer, completed, diverged or stopped, is returned. The one
    headless training loop: the CLI, sweeps, analyses and scripts all drive their trainers through it.
    """
    while not trainer.done:
        for event in trainer.step():
            if on_event is not None:
                on_event(event)
    return trainer


def train(
    config: RunConfig,
    dataset: Dataset | None = None,
    *,
    on_event: Callable[[Event], None] | None = None,
    record_masks: bool = False,
    limits: RunLimits | None = None,
) -> TrainResult:
    """Train to completion (or divergence) headless; never raises for a diverging run
    (:class:`~dropviz.limits.RunTooLarge` before training for a run over ``limits``)."""
    started = time.perf_counter()
    trainer = Trainer(config, dataset, record_masks=record_masks, limits=limits)
    if on_event:
        on_event(trainer.started_event())
    history: list[Evaluation] = []

    def record(event: Event) -> None:
        if isinstance(event, Evaluation):
            history.append(event)
        if on_event:
            on_event(event)

    run_to_end(trainer, record)
    return TrainResult(
        config=config,
        status=trainer.status,
        message=trainer.message,
        steps=trainer.step_count,
        wall_seconds=time.perf_counter() - started,
        final=trainer.last_metrics,
        history=history,
    )
