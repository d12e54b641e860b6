"""Who can stack (the cohort key) and the member: a Trainer that a Cohort can train stacked with others."""

from __future__ import annotations

import torch

from ..config import RunConfig
from ..train import MaskSnapshot, StateSnapshot, Trainer

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
        self.cohort = None  # the dropviz.cohort.Cohort stacking it, if any
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
