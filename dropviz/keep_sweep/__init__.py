"""The keep-probability sweep: one network per keep_p of a grid, trained together as one stacked net.

Every member starts from the initial weights of ``Trainer(config)`` and sees its mini-batches in the
same order; only the hidden keep probability differs. :class:`KeepSweep` follows the trainer protocol of
:class:`dropviz.train.Trainer` (``step()``, ``done``, ``status``, ...); :class:`SweepRunner` runs it in a
background thread and gives each member a :class:`MemberView` with the read API the Playground views
use on a runner.

Modules: ``grid`` (the grid, member configs, MemberEvent), ``stacked`` (KeepSweep's training),
``readout`` (its evaluation, state snapshots and member nets), ``cost`` (network count, time estimate),
``runner`` (SweepRunner, MemberView), ``response`` (the p-response table).
"""

from .cost import estimate_sweep_seconds, sweep_networks
from .grid import DEFAULT_KEEP_GRID, MAX_GRID_SIZE, MemberEvent, check_keep_grid, member_config
from .readout import EVAL_CHUNK_ELEMENTS, set_unit_masks
from .response import member_response
from .runner import MemberView, SweepRunner, _Logs
from .stacked import MAX_SWEEP_EVALUATIONS, MAX_SWEEP_STATES, KeepSweep

__all__ = [
    "DEFAULT_KEEP_GRID",
    "EVAL_CHUNK_ELEMENTS",
    "MAX_GRID_SIZE",
    "MAX_SWEEP_EVALUATIONS",
    "MAX_SWEEP_STATES",
    "KeepSweep",
    "MemberEvent",
    "MemberView",
    "SweepRunner",
    "check_keep_grid",
    "estimate_sweep_seconds",
    "member_config",
    "member_response",
    "set_unit_masks",
    "sweep_networks",
    "_Logs",
]
