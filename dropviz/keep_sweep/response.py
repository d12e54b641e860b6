"""The p-response data: each sweep member's latest metrics as one table (what the p-response chart draws)."""

from __future__ import annotations

import math
from typing import Mapping

import pandas as pd

from ..metric_log import MetricLog
from ..run_state import RunState

METRIC_NAMES = ("train_loss", "train_error", "test_loss", "test_error")


def member_response(member_logs: Mapping[float, MetricLog]) -> pd.DataFrame:
    """One row per member: keep_p, step and its latest train/test loss and error (NaN before the first);
    a member that diverged has NaN metrics and the step it diverged at in ``diverged_at`` (else NaN)."""
    rows = []
    for keep, log in member_logs.items():
        evaluation = log.snapshot().latest_evaluation if log.has_evaluation else None
        metrics = evaluation.metrics["method"] if evaluation is not None else {}
        diverged = log.state == RunState.DIVERGED
        rows.append(
            {
                "keep_p": keep,
                "step": evaluation.step if evaluation is not None else 0,
                # A diverging member's last evaluation is garbage (1e24 or nan): not a point of the curve.
                **{name: math.nan if diverged else float(metrics.get(name, math.nan)) for name in METRIC_NAMES},
                "diverged_at": float(log.step) if diverged else math.nan,
            }
        )
    return pd.DataFrame(rows, columns=["keep_p", "step", *METRIC_NAMES, "diverged_at"])
