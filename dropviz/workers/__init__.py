"""Training out of the web server: a pool of worker processes (or Ray actors) that host many runs each.

The web server's interpreter only serves pages. Each *host* (a worker process,
or a Ray actor on a cluster) trains the runs placed on it round-robin, one time
slice per run, so every resident run advances and gets its first point soon
after its Train press; the number of hosts is the number of runs trained at the
same instant. Beyond ``resident_capacity`` runs a run is queued (its position is
public) and starts by itself when a resident run ends.

A :class:`PoolRunner` has :class:`~dropviz.runner.BackgroundRunner`'s public
API: a reader thread in the server publishes each host's event batches into the
run's bounded :class:`~dropviz.runner.MetricLog`, and ``copy_models`` rebuilds
the nets from the state dicts the host sends (bounded: at a pause, a single step,
the end, the first evaluation, and on request at most every ``WEIGHTS_PERIOD``).

A host exits when the server goes: its command pipe reaches end-of-file (the
server's end closes with its process, even on SIGKILL), and it also checks
that its parent process is still the one that started it. A host that dies
(SIGKILL, out of memory) fails its runs with a message and frees their slots.
"""

from .host import RunHost
from .messages import (
    BACKENDS,
    DEFAULT_RUNS_PER_HOST,
    MASK_HISTORY,
    SLICE_SECONDS,
    STATE_HISTORY,
    STATE_PERIOD,
    WEIGHTS_BYTES_PER_SECOND,
    WEIGHTS_PERIOD,
    JobSpec,
    SweepJob,
    cpu_count,
    job_weights,
)
from .pool import TrainerPool
from .process import HostDied, host_process_main
from .runner import PoolRunner, PoolSweepRunner

__all__ = [
    "BACKENDS",
    "DEFAULT_RUNS_PER_HOST",
    "MASK_HISTORY",
    "SLICE_SECONDS",
    "STATE_HISTORY",
    "STATE_PERIOD",
    "WEIGHTS_BYTES_PER_SECOND",
    "WEIGHTS_PERIOD",
    "HostDied",
    "JobSpec",
    "PoolRunner",
    "PoolSweepRunner",
    "RunHost",
    "SweepJob",
    "TrainerPool",
    "cpu_count",
    "host_process_main",
    "job_weights",
]
