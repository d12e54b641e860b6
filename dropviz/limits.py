"""What a run may cost: parameters and memory, checked before any tensor is allocated.

The config bounds each setting alone (at most 6 layers of 8192 units); a run's
cost is their product with the data set's shape, so it is checked here, once
the data set's number of features and classes is known. Whoever runs the
program sets the limits: the web app's (stricter, ``ui.run_limits``) come from
its environment, the CLI's from flags (default: this machine's memory).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .config import ConfigError, RunConfig

FLOAT_BYTES = 4
# What MetricLog keeps for the views: probe activations of every hidden unit per state snapshot.
DEFAULT_STATE_HISTORY = 40
DEFAULT_PROBE_SIZE = 256
EVAL_CHUNK = 4096  # dropviz.train.EVAL_CHUNK (imported lazily there; repeated to keep this module torch-free)
DROPCONNECT_CHUNK_ELEMENTS = 1 << 22  # dropviz.layers.DROPCONNECT_CHUNK_ELEMENTS


@dataclass(frozen=True)
class RunCost:
    layer_sizes: tuple[int, ...]
    n_parameters: int  # of one network
    n_networks: int  # 2 with the twin; a keep-probability sweep's members (its twin among them)
    memory_bytes: int  # estimated peak of the run's tensors, snapshots the views keep included
    sweep_members: int = 0  # a sweep of that many members trained as one stacked net; 0: a lone run

    @property
    def architecture(self) -> str:
        return "-".join(str(size) for size in self.layer_sizes)

    @property
    def checked_parameters(self) -> int:
        """What the parameter limit is held against: one network, or a sweep's stacked members together."""
        return self.n_parameters * self.n_networks if self.sweep_members else self.n_parameters


@dataclass(frozen=True)
class RunLimits:
    max_parameters: int | None = None  # per network; None: no limit
    max_memory_bytes: int | None = None
    source: str = ""  # where the limits come from, named in the message


class RunTooLarge(ConfigError):
    """The run exceeds a limit; the message names the limit, where it is set and the run's size."""

    def __init__(self, cost: RunCost, limits: RunLimits, over: tuple[str, ...]):
        self.cost, self.limits, self.over = cost, limits, over
        problems = []
        if "parameters" in over and cost.sweep_members:
            problems.append(
                f"this p sweep's {cost.n_networks} networks {cost.architecture} have "
                f"{format_count(cost.checked_parameters)} parameters together, "
                f"the limit is {format_count(limits.max_parameters)}"
            )
        elif "parameters" in over:
            problems.append(
                f"this run's network {cost.architecture} has {format_count(cost.n_parameters)} parameters, "
                f"the limit is {format_count(limits.max_parameters)}"
            )
        if "memory" in over:
            problems.append(
                f"this run needs about {format_bytes(cost.memory_bytes)} of memory, the limit is "
                f"{format_bytes(limits.max_memory_bytes)}"
            )
        where = f" ({limits.source})" if limits.source else ""
        super().__init__(["; ".join(problems) + where + ": use fewer or narrower hidden layers"])


def format_count(count: int | None) -> str:
    if count is None:
        return "unlimited"
    for factor, unit in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if count >= factor:
            return f"{count / factor:.3g}{unit}"
    return str(count)


def format_bytes(size: int | None) -> str:
    if size is None:
        return "unlimited"
    for factor, unit in ((1 << 30, "GB"), (1 << 20, "MB"), (1 << 10, "kB")):
        if size >= factor:
            return f"{size / factor:.3g} {unit}"
    return f"{size} B"


def estimate_run(
    config: RunConfig,
    n_features: int,
    n_classes: int,
    *,
    state_history: int = DEFAULT_STATE_HISTORY,
    probe_size: int = DEFAULT_PROBE_SIZE,
    model_copies: int = 1,
    sweep_members: int = 0,
) -> RunCost:
    """Parameters of one net and an estimate (float32 elements x 4) of the run's peak memory.

    Counted per network: weights, gradients, optimizer state and ``model_copies`` copies
    (the views analyse copies); per mini-batch and evaluation chunk, four floats per unit
    (pre-activation, activation, mask, gradient); DropConnect's weight masks; and the probe
    activations of ``state_history`` snapshots. Data sets are bounded by the loaders.
    ``sweep_members`` > 0: a keep-probability sweep of that many networks (dropviz.keep_sweep,
    its twin among them), each counted as above.
    """
    sizes = (int(n_features), *config.hidden, int(n_classes))
    pairs = list(zip(sizes[:-1], sizes[1:]))
    n_parameters = sum(n_in * n_out + n_out for n_in, n_out in pairs)
    n_networks = sweep_members if sweep_members > 0 else (2 if config.twin else 1)
    optimizer_slots = 2 if config.optimizer == "adam" else (1 if config.momentum > 0 else 0)
    elements = n_networks * n_parameters * (2 + optimizer_slots + model_copies)
    elements += n_networks * 4 * config.batch_size * sum(sizes)
    elements += 3 * EVAL_CHUNK * max(sizes)
    if config.method == "dropconnect":
        masked = max(1, sweep_members)  # the method net, or every sweep member
        if config.dropconnect_mask == "per-batch":
            elements += masked * 2 * sum(n_in * n_out for n_in, n_out in pairs)  # the masks and the masked weights
        else:  # chunked: at most a chunk's masks at once, at least one example's
            elements += masked * 2 * max(DROPCONNECT_CHUNK_ELEMENTS, max(n_in * n_out for n_in, n_out in pairs))
    elements += (state_history + 1) * n_networks * probe_size * sum(config.hidden)
    return RunCost(
        layer_sizes=sizes,
        n_parameters=n_parameters,
        n_networks=n_networks,
        memory_bytes=FLOAT_BYTES * elements,
        sweep_members=max(0, sweep_members),
    )


def check_run(config: RunConfig, n_features: int, n_classes: int, limits: RunLimits, **estimate) -> RunCost:
    """The run's cost, or :class:`RunTooLarge` when it exceeds ``limits``."""
    cost = estimate_run(config, n_features, n_classes, **estimate)
    over = []
    if limits.max_parameters is not None and cost.checked_parameters > limits.max_parameters:
        over.append("parameters")
    if limits.max_memory_bytes is not None and cost.memory_bytes > limits.max_memory_bytes:
        over.append("memory")
    if over:
        raise RunTooLarge(cost, limits, tuple(over))
    return cost


def machine_memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def cli_limits(max_parameters: int | None = None, max_memory_mb: int | None = None) -> RunLimits:
    """The command line's limits: the user's own machine, so by default only its memory."""
    memory = max_memory_mb * (1 << 20) if max_memory_mb is not None else machine_memory_bytes()
    flags = [
        flag
        for flag, value in (("--max-parameters", max_parameters), ("--max-memory-mb", max_memory_mb))
        if value is not None
    ]
    source = f"set by {' and '.join(flags)}" if flags else "this machine's memory; --max-memory-mb changes it"
    return RunLimits(max_parameters=max_parameters, max_memory_bytes=memory, source=source)
