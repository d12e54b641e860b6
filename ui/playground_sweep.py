"""The Playground's keep-probability sweep: the session's SweepRunner and what its views draw.

The holder is kept per browser session like the run's (ui.kept.KEPT), so closing the tab stops the
sweep, and it is counted with the server's training sessions (ui.session.REGISTRY). The view logic is
plain functions, tested without Streamlit.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dropviz.config import RunConfig
from dropviz.keep_sweep import DEFAULT_KEEP_GRID, SweepRunner, estimate_sweep_seconds
from dropviz.viz.keep_response import boundary_strip_figure, response_figure
from dropviz.viz.playground import plot_range, predict_grid
from ui.kept import KEPT
from ui.live_chart import figure_payload
from ui.member_board import Board, board_body, keep_key, view_parts
from ui.session import ACTIVE_STATES, SessionHolder, make_sweep_runner

_LOG = logging.getLogger(__name__)
COARSE_GRID = (0.2, 0.4, 0.6, 0.8, 1.0)
# A sweep estimated to take longer than this asks first (start / coarser grid / skip); a shorter one
# trains when Train is pressed.
ASK_ABOVE_SECONDS = 30.0
# While the sweep trains, the strip of ten boundaries (ten model copies and pictures) is redrawn at
# most this often; the other views refresh with the page.
STRIP_REFRESH_SECONDS = 2.0
STRIP_RESOLUTION = 40


def sweep_key(config: RunConfig) -> RunConfig:
    """What a sweep depends on: everything but the hidden keep probability (it spans the grid)."""
    return config.model_copy(update={"keep_p": 1.0})


class SweepHolder(SessionHolder):
    """The browser session's p sweep (or none yet), and what the user chose for slow ones.

    Its ``config`` is the sweep key (:func:`sweep_key`); a fresh sweep is made when it or the grid changes.
    """

    runner: SweepRunner | None

    def __init__(self):
        super().__init__()
        # per sweep key: "start" (default grid), "coarse" or "skip", for sweeps that ask first
        self.choices: dict = {}
        self.board = Board()  # every member's views for the browser, once the sweep has ended

    def _key(self, config: RunConfig) -> RunConfig:
        return sweep_key(config)

    def _current(self, config: RunConfig) -> bool:
        return self.runner.keep_grid == self.grid_for(config)

    def _make(self, config: RunConfig, dataset) -> SweepRunner:
        return make_sweep_runner(config, self.grid_for(config), dataset)  # on the server's trainer backend

    def _release(self, runner: SweepRunner) -> None:
        runner.stop()
        self.board.put(None, None)

    def close(self) -> None:
        super().close()
        self.board.close()

    def grid_for(self, config: RunConfig) -> tuple[float, ...]:
        return COARSE_GRID if self.choices.get(sweep_key(config)) == "coarse" else DEFAULT_KEEP_GRID


def session_sweep() -> SweepHolder:
    return KEPT.claim("sweep", SweepHolder)


@st.cache_data(max_entries=64, show_spinner=False)
def estimate_seconds(config_json: str, grid: tuple[float, ...]) -> float | None:
    """The sweep's estimated seconds (None where the data cannot be loaded: the sidebar says why)."""
    try:
        return estimate_sweep_seconds(RunConfig.model_validate_json(config_json), grid)
    except (ValueError, OSError):
        return None


def needs_asking(seconds: float | None) -> bool:
    return seconds is not None and seconds > ASK_ABOVE_SECONDS


# ----------------------------------------------------------------------------- views


def member_views(member, config: RunConfig, labels: dict[str, str], preview, *, reuse: dict, **options):
    """fragment_views(...) of a sweep member, kept per member while its log is unchanged: scrubbing
    back and forth over a finished sweep redraws from the same figures (the browser and the chart
    payloads skip unchanged ones). The masked network is drawn without its replay animation (it is
    in the export); a member is one position of a slider, not a run to replay."""
    from ui.playground_views import fragment_views

    cache = reuse.setdefault("member_views", {})
    snapshot = member.snapshot()
    key = (id(member._runner), member.keep_p, snapshot.version, tuple(sorted(labels.items())))
    hit = cache.get(member.keep_p)
    if hit is not None and hit[0] == key and snapshot.state not in ACTIVE_STATES:
        return hit[1]
    result = fragment_views(member, config, labels, preview, reuse=reuse, replay=False, **options)
    cache[member.keep_p] = (key, result)
    return result


def prepare_members(
    runner: SweepRunner,
    labels: dict[str, str],
    preview,
    reuse: dict,
    *,
    font_scale: float = 1.0,
    response_labels: dict[str, str] | None = None,
    board: tuple[Board, str] | None = None,
    t: Callable[..., str] | None = None,
) -> None:
    """Once the sweep has ended, build every member's views in a background thread (plain functions,
    no Streamlit), and the chart payloads the page sends for them (their JSON, kept on each figure), the
    p-response chart of each scrubbed p included: the first scrub to any member is as quick as a return
    to one (building a member's payloads in the scrub's own rerun cost 50-200 ms of server time).

    With ``board`` (the holder's Board and its version) and the page's translator ``t``, every member's
    payloads and texts (:func:`member_texts`) then go into that board, for the browser to switch by itself."""
    if runner.state in ACTIVE_STATES or reuse.get("prepared") == (runner, board and board[1]):
        return
    reuse["prepared"] = (runner, board and board[1])

    def build() -> None:
        texts_of = member_texts(t, labels, runner) if board is not None else None
        members: dict[str, dict[str, str]] = {}
        texts: dict[str, dict[str, str]] = {}
        for keep in runner.keep_grid:
            try:
                member = runner.member(keep)
                _, views, _ = member_views(member, member.config, labels, preview, reuse=reuse)
                figures = view_parts(views)
                if response_labels is not None:
                    figures.append(("pg_response", response_view(runner, keep, response_labels, reuse)))
                # The JSON is kept on the figure: the page's own sends reuse it.
                members[keep_key(keep)] = {
                    key: figure_payload(figure, "", font_scale)["figure"] for key, figure in figures
                }
                if board is not None:
                    texts[keep_key(keep)] = texts_of(keep, member, views)
            except Exception:  # noqa: BLE001 - a head start only: the scrub builds the member itself
                _LOG.exception("could not prepare the sweep members' views in advance")
                return
        if board is not None:
            board[0].put(board[1], board_body(members, texts))

    threading.Thread(target=build, name="dropviz-sweep-views", daemon=True).start()


def response_view(
    runner: SweepRunner, scrub_keep_p: float | None, labels: dict[str, str], reuse: dict | None = None
) -> go.Figure:
    """The p-response chart of the sweep as it is now. With ``reuse`` (the page's dict) the chart of each
    scrubbed p is kept while the sweep's logs are unchanged: a scrub back to a p sends the same chart,
    whose payload is already built."""
    if reuse is None:
        return response_figure(runner.response(), scrub_keep_p, labels)
    key = (runner, response_version(runner), tuple(sorted(labels.items())))
    cached = reuse.get("response")
    if cached is None or cached[0] != key:
        cached = reuse["response"] = (key, {})
    if scrub_keep_p not in cached[1]:
        cached[1][scrub_keep_p] = response_figure(runner.response(), scrub_keep_p, labels)
    return cached[1][scrub_keep_p]


def response_version(runner: SweepRunner) -> tuple[int, ...]:
    """Changes whenever any member's log does (the sweep's own log holds only its start and end)."""
    return tuple(log.version for log in runner.logs.members.values())


def strip_view(
    runner: SweepRunner, scrub_keep_p: float | None, reuse: dict, *, now: float | None = None
) -> go.Figure | None:
    """The small-multiple decision boundaries, one per member (2-D data only; None otherwise or before
    the sweep has a data set). Recomputed at most every STRIP_REFRESH_SECONDS while the sweep trains;
    a changed scrub only re-titles the cached pictures' figure."""
    dataset = runner.trained_dataset
    if dataset is None or not dataset.is_2d:
        return None
    now = time.monotonic() if now is None else now
    cached = reuse.get("strip")
    version = runner.snapshot().version
    training = runner.state in ACTIVE_STATES
    fresh_enough = (
        cached is not None
        and cached["runner"] is runner
        and (cached["version"] == version or (training and now - cached["time"] < STRIP_REFRESH_SECONDS))
    )
    if not fresh_enough:
        x_train, x_test = dataset.x_train.numpy(), dataset.x_test.numpy()
        x_range, y_range = plot_range(x_train, x_test[:200])
        grids = {}
        for keep in runner.keep_grid:
            models = runner.member_models(keep)
            grids[keep] = (
                predict_grid(models["method"], x_range, y_range, STRIP_RESOLUTION)
                if models
                else (np.linspace(*x_range, 2), np.linspace(*y_range, 2), None)
            )
        cached = {"runner": runner, "version": version, "time": now, "grids": grids, "figures": {}}
        reuse["strip"] = cached
    figures = cached["figures"]
    if scrub_keep_p not in figures:
        base = figures.get("base")
        if base is None:
            base = figures["base"] = boundary_strip_figure(
                cached["grids"], dataset.x_train.numpy(), dataset.y_train.numpy()
            )
        figures[scrub_keep_p] = highlight_member(base, scrub_keep_p)
    return figures[scrub_keep_p]


def highlight_member(strip: go.Figure, keep_p: float | None) -> go.Figure:
    """The strip with the scrubbed member's title in bold: the same panel pictures (not drawn again)."""
    from dropviz.viz.keep_response import keep_label
    from dropviz.viz.playground import live_figure

    mark = f"p = {keep_label(keep_p)}" if keep_p is not None else None
    layout = strip.layout.to_plotly_json()
    layout["annotations"] = [
        {**annotation, "text": f"<b>{annotation['text']}</b>"} if annotation.get("text") == mark else annotation
        for annotation in layout.get("annotations", [])
    ]
    return live_figure([trace.to_plotly_json() for trace in strip.data], layout)


def response_labels(t) -> dict[str, str]:
    return {
        "loss": t("r_loss"),
        "error": t("r_error"),
        "train": t("f_train"),
        "test": t("f_test"),
        "keep_p": t("r_keep_p"),
        "scrubbed": t("r_scrubbed", keep_p="{keep_p}"),
        "response_title": t("r_title"),
        "response_sub": t("r_sub", done="{done}", total="{total}"),
        "diverged": t("r_diverged", keep_p="{keep_p}", step="{step}"),
    }


def progress_text(runner: SweepRunner, t) -> str:
    """The whole sweep's state, and its step as its members' logs have it (the sweep's own log holds
    only its start and end; every member takes the same steps)."""
    snapshot = runner.snapshot()
    member = runner.member(runner.keep_grid[-1]).snapshot()
    started = member.started or snapshot.started
    total = started.total_steps if started else 0
    return t("sweep_progress", state=t(f"state_{snapshot.state}"), step=member.step, total=total)


def member_frame(runner: SweepRunner) -> pd.DataFrame:
    return runner.response()


def member_texts(t, labels: dict[str, str], runner: SweepRunner) -> Callable:
    """``texts(keep, member, views) -> {part: html}``: ui.playground_views.view_texts of a sweep member, as
    its board carries them. ``t`` is a plain closure: safe in the board's thread."""
    from ui.member_board import text_html
    from ui.playground_views import view_texts

    sweep_line = progress_text(runner, t)

    def texts(keep: float, member, views) -> dict[str, str]:
        markdown = view_texts(t, labels, member.config, views, member.snapshot(), sweep_line)
        return {part: text_html(part, text) for part, text in markdown.items()}

    return texts


def board_spec(holder: SweepHolder, labels: dict[str, str], font_scale: float) -> dict | None:
    """The board the page's components may switch members from (ui.member_board), with whether it is
    built yet; None while the sweep trains (its members change) or where serve.py's route is absent."""
    from ui.member_board import board_version

    runner = holder.runner
    if runner is None or runner.state in ACTIVE_STATES:
        return None
    version = board_version(runner, labels, font_scale, response_version(runner))
    spec = holder.board.spec(holder, version)
    if spec is not None:
        spec["ready"] = holder.board.ready(version)
    return spec
