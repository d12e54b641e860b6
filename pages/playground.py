"""Playground: pick p, a method and an architecture, press Train, watch dropout work (live).

Thin by design: widgets -> config (ui.playground_sidebar), page switches (presenter, p sweep,
scrub: ui.playground_controls), then one fragment, the panel: buttons -> the session's background
run (ui.session) and p sweep (ui.playground_sweep), and inside it a fragment on a timer that draws
ui.playground_views.fragment_views(...) of the run, or of the sweep member at the scrubbed p,
through charts that update in place (ui.live_chart). A press reruns the panel, not the page.
"""

from dataclasses import dataclass

import streamlit as st

from dropviz.keep_sweep import sweep_networks
from dropviz.runner import wait_for_step
from dropviz.viz.keep_response import standalone_html
from ui import playground_controls as controls
from ui.downloads import deferred, source_view, sweep_view
from ui.escape import plain
from ui.i18n import translator
from ui.live_chart import live_html, live_plotly_chart, live_progress, stream_available
from ui.live_stream import (
    first_point_views,
    live_predictions_seconds,
    live_views_seconds,
    progress_line,
    stream_spec,
    views_interval_stale,
)
from ui.live_stream import wake as wake_live
from ui.member_board import text_html
from ui.playground_sidebar import REFRESH_SECONDS, max_steps_per_second, render, speed_widget, url_notices
from ui.playground_sweep import (
    COARSE_GRID,
    board_spec,
    estimate_seconds,
    member_views,
    needs_asking,
    prepare_members,
    progress_text,
    response_labels,
    response_view,
    session_sweep,
    strip_view,
    sweep_key,
)
from ui.playground_views import (
    ACTIVE_STATES,
    FINISHED_STATES,
    FIRST_POINT_WAIT_SECONDS,
    applies_live,
    figure_labels,
    fragment_views,
    metrics_csv,
    network_replay,
    progress_of,
    should_refresh,
    view_texts,
)
from ui.run_limits import run_size_problem
from ui.session import (
    RefreshTimer,
    predictions_seconds,
    preview_dataset,
    refresh_interval_stale,
    refresh_seconds,
    session_trainer,
    warm_up,
)
from ui.text.playground import TEXT
from ui.turns import TURNS

t = translator(TEXT)
warm_up()
present = controls.presenter_on()
controls.apply_presenter(present)
holder = session_trainer()
sweeps = session_sweep()
state = st.session_state

# A shared link is checked once per session, before the widgets read (and Streamlit cleans) it.
if "pg_url_notices" not in state:
    params = st.query_params.to_dict()
    state.pg_url_notices = url_notices(params, t) + controls.page_url_notices(params, t)

st.title(t("page_playground"))
if not present:
    st.caption(t("intro"))
sidebar = render(t)
config = sidebar.config
page = controls.toggles(t)
if state.pg_url_notices:
    st.warning(
        t("url_notice_title") + "\n\n" + "\n".join(f"- {plain(notice)}" for notice in state.pg_url_notices), icon="🔗"
    )
for notice in sidebar.notices:
    st.error(plain(notice), icon="⚠️")
sweep_grid = sweeps.grid_for(config)
# What a run (or the p sweep: all its networks) may cost on this server, known before Train.
size_problem = (
    run_size_problem(config, sidebar.dataset, sweep_networks(config, sweep_grid) if page.sweep else 0)
    if sidebar.data_problem is None
    else None
)
if size_problem:
    st.warning(size_problem, icon="🧮")

# The sweep: trained when Train is pressed if it is quick, else only once the user chose to.
sweep_seconds = (
    estimate_seconds(config.model_dump_json(), sweep_grid)
    if page.sweep and sidebar.data_problem is None and sidebar.dataset is None and size_problem is None
    else None
)
sweep_choice = sweeps.choices.get(sweep_key(config))
sweep_asks = page.sweep and needs_asking(sweep_seconds)
sweep_only = page.sweep and not sweep_asks  # a quick sweep is the run: its members cover the run's p
sweep_wanted = sweep_only or (sweep_asks and sweep_choice in ("start", "coarse"))

# A changed keep probability applies to a live run; any other changed setting invalidates it.
if holder.runner is not None and not holder.matches(config, sidebar.dataset_key):
    if not page.sweep and applies_live(holder, config, sidebar.dataset_key):
        holder.runner.set_keep_p(keep_p=config.keep_p, keep_p_input=config.keep_p_input)
        holder.config = config
        st.toast(t("keep_applied", keep_p=f"{config.keep_p:g}", keep_p_input=f"{config.keep_p_input:g}"), icon="🎚️")
    else:
        holder.reset()
        state.pg_target_step = None
        st.info(t("reset_notice"), icon="🔄")
if not page.sweep:
    sweeps.choices.clear()  # switched off: a slow sweep asks again when switched back on
if sweeps.runner is not None and (not page.sweep or not sweeps.matches(config, sidebar.dataset_key)):
    if page.sweep:
        st.info(t("reset_notice"), icon="🔄")
    sweeps.reset()
# The scrub follows the sidebar's keep probability when that moves (the sweep itself does not depend on it).
if state.get("pg_last_keep_p") != config.keep_p:
    if "pg_last_keep_p" in state or state.get(controls.SCRUB) is None:  # a link's scrub_p wins on the first run
        state[controls.SCRUB] = controls.snap_to_grid(config.keep_p, sweep_grid)
    state.pg_last_keep_p = config.keep_p
controls.sync_to_url()


def active() -> bool:
    return holder.active or sweeps.active


def claim_runner():
    """The session's runner for this config, fresh if the last one finished (never refused: it may queue)."""
    if holder.runner is not None and holder.runner.state in FINISHED_STATES:
        holder.reset()
    return holder.ensure(config, sidebar.dataset, sidebar.dataset_key)


def claim_sweep():
    if sweeps.runner is not None and sweeps.runner.state in FINISHED_STATES:
        sweeps.reset()
    return sweeps.ensure(config, sidebar.dataset, sidebar.dataset_key)


def start_sweep(speed) -> None:
    runner = claim_sweep()
    if runner is not None:
        runner.set_speed(max_steps_per_second(speed))
        runner.start()
        state.pg_first_frame = True


def choose(key, choice: str) -> None:
    sweeps.choices[key] = choice  # a button callback: this run already sees the choice


if sweep_asks and sweep_choice is None:
    with st.container(border=True):
        st.markdown(t("sweep_slow", n=len(sweep_grid), seconds=max(1.0, sweep_seconds)))
        ask = st.columns(3)
        coarse_seconds = estimate_seconds(config.model_dump_json(), COARSE_GRID) or 0.0
        ask[0].button(
            t("sweep_start"), key="pg_sweep_start", width="stretch", on_click=choose, args=(sweep_key(config), "start")
        )
        ask[1].button(
            t("sweep_coarse", n=len(COARSE_GRID), seconds=coarse_seconds),
            key="pg_sweep_coarse",
            width="stretch",
            on_click=choose,
            args=(sweep_key(config), "coarse"),
        )
        ask[2].button(
            t("sweep_skip"), key="pg_sweep_skip", width="stretch", on_click=choose, args=(sweep_key(config), "skip")
        )
elif sweep_asks and sweep_choice == "skip":
    st.caption(t("sweep_skipped"))

if sweep_wanted and not sweep_only and holder.active and sweeps.runner is None:
    start_sweep(state.get("speed", "max"))  # chosen while the run trains: the sweep joins it now


def buttons() -> tuple[dict, int | str]:
    """The Train, Pause, Step, Stop and Reset row (with the speed, and the presenter's keep probability):
    which were clicked, and the speed."""
    # Space is Train's shortcut while nothing trains, Pause's while something does: decided from this
    # run's click too (the buttons are drawn before the click is acted on).
    clicked = {name: bool(state.get(f"pg_{name}")) for name in ("train", "pause", "stop", "reset")}
    training = (active() or clicked["train"]) and not (clicked["pause"] or clicked["stop"] or clicked["reset"])
    if present:
        cols = st.columns([1.4, 1, 1, 1, 1, 3, 2.4], vertical_alignment="bottom")
    else:
        cols = st.columns([1.4, 1, 1, 1, 1, 3], vertical_alignment="bottom")
    cannot_train = sidebar.data_problem is not None or size_problem is not None
    pressed = {
        "train": cols[0].button(
            t("train"),
            type="primary",
            help=t("train_help"),
            key="pg_train",
            width="stretch",
            disabled=cannot_train,
            shortcut=None if training else "Space",
        ),
        "pause": cols[1].button(t("pause"), key="pg_pause", width="stretch", shortcut="Space" if training else None),
        "step": cols[2].button(
            t("step"), help=t("step_help"), key="pg_step", width="stretch", disabled=cannot_train, shortcut="Right"
        ),
        "stop": cols[3].button(t("stop"), key="pg_stop", width="stretch"),
        "reset": cols[4].button(t("reset"), key="pg_reset", width="stretch"),
    }
    if present:
        with cols[5]:
            controls.presenter_keep_p(t)
        with cols[6]:
            speed = speed_widget(t)
    else:
        with cols[5]:
            speed = speed_widget(t)
    st.caption(t("keys_help"))
    if sidebar.data_problem:
        st.info(plain(sidebar.data_problem), icon="📄")
    if not page.sweep and config.uses_dropout:
        st.caption(t("live_keep_p") + (" " + t("live_keep_p_ws") if config.scaling == "weight-scaling" else ""))
    return pressed, speed


def act(pressed: dict, speed) -> None:
    """What the clicked buttons do to the run and the sweep."""
    if (pressed["train"] or pressed["step"]) and size_problem is None:
        if sweep_only:
            holder.reset()  # the sweep's members are the run
            runner = claim_sweep()
        else:
            runner = claim_runner()
        if runner is not None:
            runner.set_speed(max_steps_per_second(speed))
            if pressed["train"]:
                state.pg_target_step = None
                runner.start()
                wake_live(holder)
                if sweep_wanted and not sweep_only:
                    start_sweep(speed)
                # This rerun draws the first point itself instead of waiting a whole refresh for it.
                shown = (
                    runner.member(controls.snap_to_grid(state.get(controls.SCRUB) or config.keep_p, runner.keep_grid))
                    if sweep_only
                    else runner
                )
                if first_point_views():
                    with TURNS.released():
                        shown.wait_for_evaluation(timeout=FIRST_POINT_WAIT_SECONDS)
                state.pg_first_frame = True  # see first_frame_views
            else:
                state.pg_target_step = runner.log.step + 1
                runner.step(1)
                if not sweep_only:  # this rerun draws the step itself when it lands at once (it takes milliseconds)
                    with TURNS.released():
                        wait_for_step(runner.log, state.pg_target_step, FIRST_POINT_WAIT_SECONDS)
    for run in (holder.runner, sweeps.runner):
        if run is None:
            continue
        if pressed["pause"]:
            run.pause()
        if pressed["stop"]:
            run.stop()
        run.set_speed(max_steps_per_second(speed))  # never resets the run
    if pressed["reset"]:
        holder.reset()
        sweeps.reset()
        state.pg_target_step = None


@dataclass(frozen=True)
class Cadence:
    """How the views refresh after this run of the panel: by the live route (stream mode) or the fragment's
    timer alone; the timer's interval; whether it is on."""

    streaming: bool
    views_every: float | None
    refresh_every: float
    refreshing: bool


def current_cadence() -> Cadence:
    refreshing = any(
        should_refresh(run.state, run.log.step, state.get("pg_target_step"))  # not a snapshot: once per rerun
        for run in (holder.runner, sweeps.runner)
        if run is not None
    )
    # Stream mode needs the live route (serve.py) and the chart component; a sweep refreshes as before.
    streaming = stream_available() and not page.sweep and sweeps.runner is None
    views_every = live_views_seconds() if streaming else None
    refresh_every = views_every * holder.views_stretch if streaming else refresh_seconds(REFRESH_SECONDS)
    return Cadence(streaming, views_every, refresh_every, refreshing)


def streamed_progress() -> None:
    """The run's progress line, rewritten by the browser from the live route (ui.live_stream) while it trains.
    Drawn by the panel before its turn, so that a press shows at once; a change of the run's state
    (paused, ended, its first point on a quiet server) reruns the panel."""
    if holder.runner is None:
        return  # the views say to press Train
    snapshot = holder.runner.snapshot()
    progress = progress_of(snapshot, config)
    holder.live_text = t
    stream = stream_spec(holder, snapshot, config) if snapshot.state in ACTIVE_STATES else None
    with st.container(key="pg_progress"):
        live_progress(
            "pg_progress_line", progress_line(t, progress), progress.fraction, progress.state, progress.step, stream
        )


def source_and_config():
    """What the views show: the sweep member at the scrubbed p (scrub slider drawn here, above the
    charts) or the run; and the config it was trained with."""
    sweep = sweeps.runner
    if sweep is None:
        return holder.runner, config, None
    scrub = controls.scrub_slider(t, sweep.keep_grid, config.keep_p)
    member = sweep.member(scrub)
    return member, member.config, scrub


def draw_views(cadence: Cadence) -> None:
    """Scrub, progress, curves, masked network, boundary (or image predictions), the mask illustration,
    the metrics; with a sweep the p-response chart and the boundary strip; every hidden unit (2-D data)."""
    streaming, refresh_every = cadence.streaming, cadence.refresh_every
    scale = page.font_scale
    source, view_config, scrub = source_and_config()
    labels = figure_labels(t, view_config)
    preview = preview_dataset(config) if sidebar.data_problem is None else None
    reuse = state.setdefault("pg_view_reuse", {})
    draw = fragment_views if scrub is None else member_views  # a member's views are kept while it is unchanged
    snapshot, views, first_frame = draw(
        source,
        view_config,
        labels,
        preview,
        first_frame=state.pop("pg_first_frame", False),
        reuse=reuse,
        predictions_every=live_predictions_seconds(refresh_every) if streaming else predictions_seconds(refresh_every),
    )
    # Stream mode: the browser listens to the live route for new curve points and the progress line
    # (ui.live_stream); this fragment reruns only for the views the server draws.
    stream = curves_stream = None
    if streaming and source is holder.runner and (snapshot is None or snapshot.state in ACTIVE_STATES):
        holder.live_text = t
        curves_stream = stream_spec(holder, snapshot, view_config)
        stream = curves_stream if snapshot is not None else None  # before Train: the curves listen already
    if snapshot is None:
        if page.sweep and sweep_seconds is not None and not sweep_asks:
            st.info(t("sweep_waiting", n=len(sweep_grid), seconds=max(1.0, sweep_seconds)), icon="▶️")
        else:
            st.info(t("v_waiting"), icon="▶️")
    elif streaming:
        # The panel draws the line (streamed_progress); this slot keeps the charts below in their place,
        # so the curves listening since before Train stay mounted and take the first points.
        st.empty()
    else:
        with st.container(key="pg_progress"):
            st.progress(views.progress.fraction, text=progress_line(t, views.progress))
    # An ended sweep's members go to the browser at once (ui.member_board): a scrub redraws there.
    board = board_spec(sweeps, labels, scale) if scrub is not None else None
    texts = view_texts(
        t, labels, view_config, views, snapshot, progress_text(sweeps.runner, t) if scrub is not None else None
    )

    def show_text(part: str, draw) -> None:
        """One of ``texts``: from the board where there is one (it switches with the scrub), else by ``draw``."""
        if board is not None:
            live_html(text_html(part, texts[part]), part, board)
        elif texts[part]:
            draw(texts[part])

    if scrub is not None:
        show_text("pg_member_caption", st.caption)
        prepare_members(
            sweeps.runner,
            labels,
            preview,
            reuse,
            font_scale=scale,
            response_labels=response_labels(t),
            board=(sweeps.board, board["version"]) if board else None,
            t=t,
        )
    position = getattr(holder.runner, "queue_position", None) or getattr(sweeps.runner, "queue_position", None)
    if position is not None and snapshot is not None and stream is None:  # else the progress line says it
        st.info(t("queued", position=position), icon="⏳")
    if views.message and views.progress.state in ("diverged", "error"):
        st.error(t("run_message", message=plain(views.message)), icon="⚠️")
    left, right = st.columns(2)
    with left:
        st.subheader(t("v_curves"))
        if views.curves is not None:
            live_plotly_chart(views.curves, key="pg_curves", font_scale=scale, stream=curves_stream, board=board)
        show_text("pg_metrics", st.markdown)
        started = snapshot.started if snapshot is not None else None
        if started is not None and 0 < started.eval_test_examples < started.final_test_examples:
            st.caption(
                t(
                    "eval_subsample",
                    train=started.eval_train_examples,
                    test=started.eval_test_examples,
                    final_train=started.final_train_examples,
                    final_test=started.final_test_examples,
                )
            )
        if started is not None and started.measured_less_often:
            st.caption(t("eval_shared", every=started.eval_every, points=started.total_steps // started.eval_every))
    with right:
        st.subheader(t("v_network"))
        if views.network is not None:
            live_plotly_chart(views.network, key="pg_network", font_scale=scale, board=board)
            if snapshot is not None and not first_frame:  # the untrained architecture: nothing to replay
                st.caption(t("v_network_caption", n=len(snapshot.masks)))
            if view_config.method == "none":
                st.caption(t("v_network_none"))
    left, right = st.columns(2)
    with left:
        if views.boundary is not None:
            st.subheader(t("v_boundary"))
            live_plotly_chart(views.boundary, key="pg_boundary", font_scale=scale, board=board)
        elif views.images is not None:
            st.subheader(t("v_images"))
            live_plotly_chart(views.images, key="pg_images", font_scale=scale, board=board)
    with right:
        st.subheader(t("v_mask"))
        live_plotly_chart(views.mask_matrix, key="pg_mask", font_scale=scale, board=board)
        show_text("pg_mask_caption", st.caption)
    if sweeps.runner is not None:
        st.subheader(t("v_response"))
        live_plotly_chart(
            response_view(sweeps.runner, scrub, response_labels(t), reuse),
            key="pg_response",
            font_scale=scale,
            board=board,
        )
        st.caption(t("v_response_caption"))
        # The same strip at every scrubbed p (no bold title per member): a scrub leaves it as it is, so the
        # browser skips it (the p-response chart marks the scrubbed p; the export marks it in bold).
        strip = strip_view(sweeps.runner, None, reuse)
        if strip is not None:
            st.subheader(t("v_strip"))
            live_plotly_chart(strip, key="pg_strip", font_scale=scale)
    if views.units:
        st.subheader(t("v_units"))
        st.caption(t("v_units_caption"))
        show_text("pg_units_summary", st.markdown)
        for index, figure in enumerate(views.units):
            live_plotly_chart(figure, key=f"pg_units_{index}", font_scale=scale, board=board)
    if cadence.refreshing and not current_cadence().refreshing:
        st.rerun()  # the run stopped: one full rerun turns the fragment's timer off


def timed_views(cadence: Cadence) -> None:
    # Timed so that the refresh interval adapts to the server's load (ui.session.refresh_seconds); a
    # changed interval takes a full rerun to apply.
    with TURNS.turn(), RefreshTimer():
        draw_views(cadence)
    stale = (
        views_interval_stale(cadence.views_every)
        if cadence.streaming
        else refresh_interval_stale(cadence.refresh_every, REFRESH_SECONDS)
    )
    if cadence.refreshing and stale:
        st.rerun()


def current_source():
    if sweeps.runner is not None:
        return sweeps.runner.member(
            controls.snap_to_grid(state.get(controls.SCRUB) or config.keep_p, sweeps.runner.keep_grid)
        )
    return holder.runner


def downloads() -> None:
    """The expander of files: the metrics, the settings, the exports (built when clicked)."""
    with st.expander(t("downloads")):
        # Built when clicked, from the run as it is then (not re-sent with every live refresh).
        # deferred(): the callables Streamlit keeps must not carry this page's globals (issue 17.3).
        shown_p = state.get(controls.SCRUB) or config.keep_p
        st.download_button(
            f"⬇ {t('dl_csv')}",
            deferred(source_view, holder, sweeps, keep_p=shown_p, view=metrics_csv),
            "dropviz-metrics.csv",
            "text/csv",
            key="pg_dl_csv",
            on_click="ignore",
            disabled=current_source() is None,
        )
        st.download_button(
            f"⬇ {t('dl_json')}",
            config.to_json(),
            "dropviz-settings.json",
            "application/json",
            key="pg_dl_json",
            on_click="ignore",
        )
        st.caption(t("share"))
        st.markdown(f"**{t('exports')}**")
        exports = st.columns(3)
        exports[0].download_button(
            f"⬇ {t('x_network')} (HTML)",
            deferred(
                source_view,
                holder,
                sweeps,
                keep_p=shown_p,
                view=network_replay,
                view_args=(figure_labels(t, config),),
                render=standalone_html,
                render_args=("dropviz-masked-network",),
            ),
            "dropviz-masked-network.html",
            "text/html",
            key="pg_x_network",
            on_click="ignore",
            disabled=current_source() is None,
        )
        exports[1].download_button(
            f"⬇ {t('x_response')} (HTML)",
            deferred(
                sweep_view,
                sweeps,
                view=response_view,
                view_args=(state.get(controls.SCRUB), response_labels(t)),
                render=standalone_html,
                render_args=("dropviz-p-response",),
            ),
            "dropviz-p-response.html",
            "text/html",
            key="pg_x_response",
            on_click="ignore",
            disabled=sweeps.runner is None,
        )
        exports[2].download_button(
            f"⬇ {t('x_strip')} (HTML)",
            deferred(
                sweep_view,
                sweeps,
                view=strip_view,
                view_args=(state.get(controls.SCRUB), {}),
                render=standalone_html,
                render_args=("dropviz-boundary-strip",),
            ),
            "dropviz-boundary-strip.html",
            "text/html",
            key="pg_x_strip",
            on_click="ignore",
            disabled=sweeps.runner is None
            or sweeps.runner.trained_dataset is None
            or not sweeps.runner.trained_dataset.is_2d,
        )
        st.caption(t("x_png_browser"))


# Widgets (and the page's timer) outside a fragment rerun the whole page: a press of Train redrew the
# sidebar and the header too, most of what a browser spends on it (docs/classroom.md, session 10).
drawn_keep_p = state.get("keep_p")
state.pg_views_timer = None  # a full run clears the browser's fragment timers


@st.fragment
def panel() -> None:
    """The buttons, the views and the downloads: a click of Train, Pause, Step, Stop or Reset reruns this
    part of the page only. The views are a fragment of their own, on a timer while something trains."""
    if state.get("keep_p") != drawn_keep_p:
        st.rerun()  # the presenter's keep probability moved the sidebar's: a setting of the whole page
    # Pressed buttons act before the page's turn (ui.turns): a run starts the moment it is asked for,
    # and only the drawing waits for the scripts ahead of it.
    pressed, speed = buttons()
    act(pressed, speed)
    now = current_cadence()
    if now.streaming:
        # Always there (empty before Train): the views after it keep their place in the page, so the
        # curves listening since the page opened stay mounted and take the first points at once.
        with st.container(key="pg_live_head"):
            streamed_progress()
    with TURNS.turn():
        timer = now.refresh_every if now.refreshing else None
        if timer is None and state.get("pg_views_timer") is not None:
            st.rerun()  # nothing left to refresh: only a full run turns the browser's timer off
        state.pg_views_timer = timer

        def views() -> None:
            timed_views(now)

        st.fragment(run_every=timer)(views)()
        downloads()


panel()
