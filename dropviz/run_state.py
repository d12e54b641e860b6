"""The states of a run (a training, a keep-probability sweep, a worker's job), one list for every runner.

A ``StrEnum``: each state is its string (``RunState.RUNNING == "running"``), so logs, snapshots,
pages and translations ("state_running") keep using the same values.
"""

from __future__ import annotations

from enum import StrEnum


class RunState(StrEnum):
    IDLE = "idle"  # created, not started
    QUEUED = "queued"  # waiting for a place in the trainer pool
    STARTING = "starting"  # building the trainer (loading data, initial weights)
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    STOPPED = "stopped"
    DIVERGED = "diverged"
    ERROR = "error"


# A run in one of these will not train again.
ENDED_STATES = (RunState.COMPLETED, RunState.DIVERGED, RunState.STOPPED, RunState.ERROR)
# A run in one of these is training or about to (a queued run starts by itself): pages keep refreshing.
ACTIVE_STATES = (RunState.QUEUED, RunState.STARTING, RunState.RUNNING)
