"""Playground: pick p, a method and an architecture, press Train, watch dropout work (live).

Thin by design: widgets -> config (ui.playground_sidebar), buttons -> the
session's background runner (ui.session), one fragment that draws
ui.playground_views.fragment_views(...) every REFRESH_SECONDS while training,
through charts that update in place (ui.live_chart).
"""
import streamlit as st

from ui.downloads import deferred, source_view
from ui.i18n import translator
from ui.live_chart import live_plotly_chart
from ui.playground_sidebar import REFRESH_SECONDS, max_steps_per_second, render, speed_widget, url_notices
from ui.playground_text import TEXT
from ui.playground_views import (
    FINISHED_STATES, FIRST_POINT_WAIT_SECONDS, figure_labels, fragment_views, latest_markdown, metrics_csv,
    should_refresh,
)
from ui.run_limits import run_size_problem
from ui.session import RefreshTimer, preview_dataset, refresh_seconds, session_trainer, warm_up

t = translator(TEXT)
warm_up()
holder = session_trainer()
state = st.session_state

# A shared link is checked once per session, before the widgets read (and Streamlit cleans) it.
if "pg_url_notices" not in state:
    state.pg_url_notices = url_notices(st.query_params.to_dict(), t)

st.title(t("page_playground"))
st.caption(t("intro"))
sidebar = render(t)
config = sidebar.config
if state.pg_url_notices:
    st.warning(t("url_notice_title") + "\n\n" + "\n".join(f"- {notice}" for notice in state.pg_url_notices), icon="🔗")
for notice in sidebar.notices:
    st.error(notice, icon="⚠️")
# What a run may cost on this server (parameters, memory), known before Train.
size_problem = run_size_problem(config, sidebar.dataset) if sidebar.data_problem is None else None
if size_problem:
    st.warning(size_problem, icon="🧮")

# A changed setting invalidates the run (the speed is not a setting of the run).
if holder.runner is not None and not holder.matches(config, sidebar.dataset_key):
    holder.reset()
    state.pg_target_step = None
    st.info(t("reset_notice"), icon="🔄")

cols = st.columns([1, 1, 1, 1, 1, 3], vertical_alignment="bottom")
train = cols[0].button(t("train"), type="primary", help=t("train_help"), key="pg_train", width="stretch",
                       disabled=sidebar.data_problem is not None or size_problem is not None)
pause = cols[1].button(t("pause"), key="pg_pause", width="stretch")
step = cols[2].button(t("step"), help=t("step_help"), key="pg_step", width="stretch",
                      disabled=sidebar.data_problem is not None or size_problem is not None)
stop = cols[3].button(t("stop"), key="pg_stop", width="stretch")
reset = cols[4].button(t("reset"), key="pg_reset", width="stretch")
with cols[5]:
    speed = speed_widget(t)

if sidebar.data_problem:
    st.info(sidebar.data_problem, icon="📄")


def claim_runner():
    """The session's runner for this config, fresh if the last one finished (never refused: it may queue)."""
    if holder.runner is not None and holder.runner.state in FINISHED_STATES:
        holder.reset()
    return holder.ensure(config, sidebar.dataset, sidebar.dataset_key)


if (train or step) and size_problem is None:
    runner = claim_runner()
    if runner is not None:
        runner.set_speed(max_steps_per_second(speed))
        if train:
            state.pg_target_step = None
            runner.start()
            # This rerun draws the first point itself instead of waiting a whole refresh for it.
            runner.wait_for_evaluation(timeout=FIRST_POINT_WAIT_SECONDS)
            state.pg_first_frame = True  # see first_frame_views
        else:
            state.pg_target_step = runner.snapshot().step + 1
            runner.step(1)
if pause and holder.runner is not None:
    holder.runner.pause()
if stop and holder.runner is not None:
    holder.runner.stop()
if reset:
    holder.reset()
    state.pg_target_step = None

runner = holder.runner
if runner is not None:
    runner.set_speed(max_steps_per_second(speed))  # never resets the run
labels = figure_labels(t, config)


def draw_views() -> None:
    """Progress, curves, masked network, boundary (or image predictions) and the mask illustration."""
    preview = preview_dataset(config) if sidebar.data_problem is None else None
    snapshot, views, first_frame = fragment_views(holder.runner, config, labels, preview,
                                                  first_frame=state.pop("pg_first_frame", False),
                                                  reuse=state.setdefault("pg_view_reuse", {}))
    if snapshot is None:
        st.info(t("v_waiting"), icon="▶️")
    else:
        progress = views.progress
        st.progress(progress.fraction, text=t("progress", state=t(f"state_{progress.state}"), epoch=progress.epoch,
                                              epochs=progress.epochs, step=progress.step, total=progress.total_steps,
                                              rate=progress.samples_per_second))
    position = getattr(holder.runner, "queue_position", None)
    if position is not None and snapshot is not None:
        st.info(t("queued", position=position), icon="⏳")
    if views.message and views.progress.state in ("diverged", "error"):
        st.error(t("run_message", message=views.message), icon="⚠️")
    left, right = st.columns(2)
    with left:
        st.subheader(t("v_curves"))
        if views.curves is not None:
            live_plotly_chart(views.curves, key="pg_curves")
        if not views.metrics.empty:
            st.markdown(latest_markdown(views.metrics, labels))
    with right:
        st.subheader(t("v_network"))
        if views.network is not None:
            live_plotly_chart(views.network, key="pg_network")
            if snapshot is not None and not first_frame:  # the untrained architecture: nothing to replay
                st.caption(t("v_network_caption", n=len(snapshot.masks)))
            if config.method == "none":
                st.caption(t("v_network_none"))
    left, right = st.columns(2)
    with left:
        if views.boundary is not None:
            st.subheader(t("v_boundary"))
            live_plotly_chart(views.boundary, key="pg_boundary")
        elif views.images is not None:
            st.subheader(t("v_images"))
            live_plotly_chart(views.images, key="pg_images")
    with right:
        st.subheader(t("v_mask"))
        live_plotly_chart(views.mask_matrix, key="pg_mask")
        st.caption(t("v_mask_caption", p=config.keep_p))
    if was_refreshing and snapshot is not None and not should_refresh(snapshot.state, snapshot.step,
                                                                     state.get("pg_target_step")):
        st.rerun()  # the run stopped: one full rerun turns the fragment's timer off


initial = runner.snapshot() if runner is not None else None
was_refreshing = initial is not None and should_refresh(initial.state, initial.step, state.get("pg_target_step"))
refresh_every = refresh_seconds(REFRESH_SECONDS)


def timed_views() -> None:
    # Timed so that the refresh interval adapts to the server's load (ui.session.refresh_seconds); a
    # changed interval takes a full rerun to apply.
    with RefreshTimer():
        draw_views()
    if was_refreshing and abs(refresh_seconds(REFRESH_SECONDS) / refresh_every - 1) > 0.5:
        st.rerun()


st.fragment(run_every=refresh_every if was_refreshing else None)(timed_views)()

with st.expander(t("downloads")):
    # Built when clicked, from the run as it is then (not re-sent with every live refresh).
    # deferred(): the callable Streamlit keeps must not carry this page's globals (issue 17.3).
    st.download_button(f"⬇ {t('dl_csv')}", deferred(source_view, holder, view=metrics_csv), "dropviz-metrics.csv", "text/csv",
                       key="pg_dl_csv", on_click="ignore", disabled=holder.runner is None)
    st.download_button(f"⬇ {t('dl_json')}", config.to_json(), "dropviz-settings.json", "application/json",
                       key="pg_dl_json", on_click="ignore")
    st.caption(t("share"))
