"""The sweep's grid and its members: which keep probabilities, each member's config, and the events a
member publishes (whether the keep_p = 1.0 member doubles as the no-dropout twin is decided here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ..config import RunConfig
from ..layers import check_keep_p
from ..models import MLP
from ..train import Evaluation, Finished, MaskSnapshot, StateSnapshot, Step

DEFAULT_KEEP_GRID = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
MAX_GRID_SIZE = 20


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
