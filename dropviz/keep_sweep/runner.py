"""The sweep in a background thread: :class:`SweepRunner` (controls from :class:`~dropviz.runner.ThreadRunner`),
the sweep's log plus one per member, and :class:`MemberView`, a member with a runner's read API."""

from __future__ import annotations

import functools
from typing import Sequence

import pandas as pd

from ..config import RunConfig
from ..data import Dataset
from ..metric_log import LogSnapshot, MetricLog, wait_for_first_evaluation
from ..models import MLP
from ..run_state import ENDED_STATES
from ..runner import ThreadRunner
from ..train import Finished
from .grid import DEFAULT_KEEP_GRID, MemberEvent, check_keep_grid, member_config
from .response import member_response
from .stacked import KeepSweep


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
        """The p-response: one row per member (see :func:`~dropviz.keep_sweep.response.member_response`)."""
        return member_response(self.logs.members)


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
