"""The runner the pages hold: one run (or a keep-probability sweep) on a TrainerPool, with
BackgroundRunner's public API."""

from __future__ import annotations

import collections
import threading
import weakref

from ..config import RunConfig
from ..data import Dataset, DatasetError
from ..run_state import ENDED_STATES, RunState
from ..runner import MetricLog, StateChange
from .messages import JobSpec, SweepJob
from .pool import TrainerPool


class PoolRunner:
    """One run on a :class:`TrainerPool`, with :class:`~dropviz.runner.BackgroundRunner`'s public API.

    ``state`` may also be ``queued`` (see :attr:`queue_position`). Dropping or closing the runner
    stops its run on the host and frees its slot.
    """

    def __init__(
        self,
        config: RunConfig,
        dataset: Dataset | None = None,
        *,
        pool: TrainerPool,
        job=None,
        log: MetricLog | None = None,
        **trainer_options,
    ):
        from ..train import Trainer

        self.config = config
        self.dataset = dataset
        self.pool = pool
        self.log = log or MetricLog()
        self.trainer_options = trainer_options
        self._spec = JobSpec(job or Trainer, config, dataset, trainer_options)
        self._run_id: int | None = None
        self._speed: float | None = None
        self._keep = (config.keep_p, config.keep_p_input)
        self._models_cache: tuple[int, dict] | None = None
        self._dataset_cache = None
        self._finalizer = None

    def _submit(self, paused: bool, pending: int) -> None:
        self._run_id = self.pool.submit(self._spec, self.log, paused=paused, pending_steps=pending, speed=self._speed)
        self._finalizer = weakref.finalize(self, self.pool.release, self._run_id)

    @property
    def state(self) -> str:
        return self.log.state

    @property
    def alive(self) -> bool:
        if self._run_id is None:
            return False
        record = self.pool.run_record(self._run_id)
        return record is not None and not record.ended and self.log.state not in ENDED_STATES

    @property
    def queue_position(self) -> int | None:
        return None if self._run_id is None else self.pool.queue_position(self._run_id)

    @property
    def worker_index(self) -> int | None:
        """Which of the pool's hosts trains this run (None before it is placed, or while queued)."""
        record = None if self._run_id is None else self.pool.run_record(self._run_id)
        return None if record is None else record.host

    def start(self) -> None:
        if self._run_id is None:
            self._submit(paused=False, pending=0)
        else:
            self.resume()

    def pause(self) -> None:
        if self.alive:
            self.pool.command(self._run_id, "pause")
            if self.state != RunState.QUEUED:
                self.log.set_state(RunState.PAUSED)

    def resume(self) -> None:
        if not self.alive:
            return
        self.pool.command(self._run_id, "resume")
        if self.state != RunState.QUEUED:
            self.log.set_state(RunState.RUNNING)

    def step(self, count: int = 1) -> None:
        count = max(0, int(count))
        if self._run_id is None:
            self._submit(paused=True, pending=count)
            return
        if self.alive:
            self.pool.command(self._run_id, "step", count)
            if self.state != RunState.QUEUED:
                self.log.set_state(RunState.PAUSED)

    def set_speed(self, max_steps_per_second: float | None) -> None:
        speed = max_steps_per_second if max_steps_per_second and max_steps_per_second > 0 else None
        if speed == self._speed:
            return
        self._speed = speed
        if self._run_id is not None:
            self.pool.command(self._run_id, "speed", speed)

    @property
    def max_steps_per_second(self) -> float | None:
        """The rate limit set by :meth:`set_speed` (None: full speed)."""
        return self._speed

    def set_keep_p(self, keep_p: float | None = None, keep_p_input: float | None = None) -> None:
        """Change the keep probabilities from the next mini-batch (the run goes on)."""
        self._keep = (
            keep_p if keep_p is not None else self._keep[0],
            keep_p_input if keep_p_input is not None else self._keep[1],
        )
        if self._run_id is not None:
            self.pool.command(self._run_id, "keep_p", (keep_p, keep_p_input))

    def stop(self, timeout: float = 1.0) -> None:
        if self._run_id is None or not self.alive:
            return
        self.pool.stop(self._run_id)
        self.log.wait_until(lambda log: log.state in ENDED_STATES, timeout)

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()  # release: stop on the host, forget the record

    def snapshot(self):
        return self.log.snapshot()

    def copy_models(self) -> dict:
        """Eval-mode nets rebuilt from the newest weights the host sent (empty before the first);
        asks the host for fresher ones, which the next call gets."""
        if self._run_id is None:
            return {}
        if self.alive:
            self.pool.command(self._run_id, "weights")
        version, weights = self.pool.weights(self._run_id)
        started = self.log.started if weights is not None else None
        if weights is None or started is None:
            return {}
        if self._models_cache is not None and self._models_cache[0] == version:
            cached = self._models_cache[1]
        else:
            cached = self._rebuild(weights, started)
            self._models_cache = (version, cached)
        return {run: model.inference_copy() for run, model in cached.items()}

    def _rebuild(self, weights: dict, started) -> dict:
        import torch

        from ..models import build_model

        config = self.config.changed(keep_p=self._keep[0], keep_p_input=self._keep[1])
        n_inputs, n_outputs = started.layer_sizes[0], started.layer_sizes[-1]
        models = {}
        for run, state in weights.items():
            model = build_model(config, n_inputs, n_outputs, baseline=run == "baseline")
            model.load_state_dict({name: torch.tensor(value) for name, value in state.items()})
            model.set_record_masks(False)
            model.set_generator(None)
            model.eval()
            models[run] = model
        return models

    @property
    def trained_dataset(self) -> Dataset | None:
        """The data set the run trains on, once the host has started it (loaded here for the views)."""
        if getattr(self.log, "started", None) is None and self.log.snapshot().started is None:
            return None
        if self._dataset_cache is None:
            self._dataset_cache = self.dataset if self.dataset is not None else _server_dataset(self.config)
        return self._dataset_cache

    def wait_for_evaluation(self, timeout: float) -> bool:
        self.log.wait_until(lambda log: log.has_evaluation or log.state in ENDED_STATES, timeout)
        return self.log.has_evaluation

    def wait(self, timeout: float | None = None, until: tuple[str, ...] = ENDED_STATES) -> bool:
        return self.log.wait_until(lambda log: log.state in until, timeout)


_SERVER_DATASETS: dict = {}
_SERVER_DATASETS_LOCK = threading.Lock()


def _server_dataset(config: RunConfig) -> Dataset | None:
    from ..data import load_dataset

    key = (config.dataset, config.train_size, config.noise, config.seed, config.data_dir)
    with _SERVER_DATASETS_LOCK:
        if key not in _SERVER_DATASETS:
            try:
                _SERVER_DATASETS[key] = load_dataset(
                    config.dataset,
                    train_size=config.train_size,
                    noise=config.noise,
                    seed=config.seed,
                    data_dir=config.data_dir,
                )
            except (DatasetError, ValueError):
                return None
            while len(_SERVER_DATASETS) > 8:
                _SERVER_DATASETS.pop(next(iter(_SERVER_DATASETS)))
        return _SERVER_DATASETS[key]


# --- a keep-probability sweep on the pool -------------------------------------------------------------


class _SweepLogs:
    """The sweep's logs (keep_sweep's own routing: the sweep's log plus one per member) seen by the pool
    as one log: a batch is split per member, so each member's log publishes its part at once."""

    def __init__(self, config: RunConfig, grid: tuple[float, ...]):
        from ..keep_sweep import _Logs

        self.logs = _Logs(config, grid)
        self.sweep = self.logs.sweep

    @property
    def state(self) -> str:
        return self.sweep.state

    @property
    def message(self) -> str:
        return self.sweep.message

    @property
    def step(self) -> int:
        return self.sweep.step

    @property
    def has_evaluation(self) -> bool:
        return any(log.has_evaluation for log in self.logs.members.values())

    def set_state(self, state: str, message: str = "") -> None:
        self.logs.set_state(state, message)

    def publish_many(self, events) -> None:
        from ..keep_sweep import MemberEvent

        per_member: dict = collections.defaultdict(list)
        for event in events:
            if isinstance(event, MemberEvent):
                per_member[event.keep_p].append(event.event)
            elif isinstance(event, StateChange):
                for keep, batch in per_member.items():
                    self.logs.members[keep].publish_many(batch)
                per_member.clear()
                self.logs.set_state(event.state, event.message)
            else:
                for keep, batch in per_member.items():
                    self.logs.members[keep].publish_many(batch)
                per_member.clear()
                self.logs.publish(event)
        for keep, batch in per_member.items():
            self.logs.members[keep].publish_many(batch)

    def snapshot(self):
        return self.sweep.snapshot()

    def wait_until(self, predicate, timeout=None) -> bool:
        return self.sweep.wait_until(predicate, timeout)


class PoolSweepRunner(PoolRunner):
    """A keep-probability sweep trained on the pool, with :class:`~dropviz.keep_sweep.SweepRunner`'s API
    (``keep_grid``, ``logs``, ``member``, ``member_models``, ``response``)."""

    def __init__(
        self, config: RunConfig, keep_grid=None, dataset: Dataset | None = None, *, pool: TrainerPool, **options
    ):
        from ..keep_sweep import DEFAULT_KEEP_GRID, check_keep_grid

        self.keep_grid = check_keep_grid(keep_grid if keep_grid is not None else DEFAULT_KEEP_GRID)
        sweep_logs = _SweepLogs(config, self.keep_grid)
        self.logs = sweep_logs.logs
        super().__init__(config, dataset, pool=pool, job=SweepJob, log=sweep_logs, keep_grid=self.keep_grid, **options)
        self._members_cache: tuple[int, dict] | None = None

    def snapshot(self):
        """The whole sweep's log (Started, state, Finished); members' logs are in :meth:`member`."""
        return self.log.snapshot()

    def member(self, keep_p: float):
        from ..keep_sweep import MemberView

        key = round(float(keep_p), 6)
        if key not in self.logs.members:
            raise ValueError(f"keep_p {keep_p} is not in the sweep's grid {', '.join(map(str, self.keep_grid))}")
        return MemberView(self, key)

    def member_models(self, keep_p: float) -> dict:
        """{"method": the member at ``keep_p``, "baseline": the twin}, rebuilt from the newest stacked
        weights the host sent (empty before the first); asks for fresher ones for the next call."""
        import torch

        from ..keep_sweep import member_config, set_unit_masks
        from ..models import build_model

        if self._run_id is None:
            return {}
        if self.alive:
            self.pool.command(self._run_id, "weights")
        version, weights = self.pool.weights(self._run_id)
        started = self.log.snapshot().started
        if weights is None or started is None:
            return {}
        member = self.keep_grid.index(min(self.keep_grid, key=lambda keep: abs(keep - keep_p)))
        n_in, n_out = started.layer_sizes[0], started.layer_sizes[-1]
        models = {
            "method": (build_model(member_config(self.config, self.keep_grid[member]), n_in, n_out), member),
            "baseline": (build_model(self.config, n_in, n_out, baseline=True), weights["twin_index"]),
        }
        out = {}
        with torch.no_grad():
            for run, (model, index) in models.items():
                for linear, weight, bias in zip(model.linears, weights["weights"], weights["biases"]):
                    linear.weight.copy_(torch.from_numpy(weight[index]))
                    linear.bias.copy_(torch.from_numpy(bias[index, 0]))
                model.set_record_masks(False)
                model.set_generator(None)
                out[run] = model.eval()
        unit_masks = weights.get("unit_masks", {}).get(self.keep_grid[member])
        if unit_masks is not None:
            set_unit_masks(out["method"], unit_masks)
        return out

    def copy_models(self) -> dict:
        return {}

    def response(self):
        from ..keep_sweep import SweepRunner

        return SweepRunner.response(self)
