"""The Playground's page-level controls: presenter mode, the p sweep and its scrub slider.

These are settings of the page, not of a run (like the speed), so they are not RunConfig
fields. Each is in the URL under its own name, written by hand with a plain value
(``present=1``, ``sweep=1``, ``scrub_p=0.3``) so a link reads the same in both languages,
and a bad value gets the page's usual "replaced by defaults" notice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import streamlit as st

from dropviz.config import SETTINGS

FLAGS = {"1": True, "true": True, "on": True, "0": False, "false": False, "off": False}
PRESENT, SWEEP, SCRUB = "present", "sweep", "scrub_p"
PAGE_PARAMS = (PRESENT, SWEEP, SCRUB)
PRESENT_FONT_SCALE = 1.3
# Keep probabilities a scrub link may name: the default grid's and the coarse grid's.
SCRUB_CHOICES = tuple(round(0.1 * k, 1) for k in range(1, 11))
PROXY_KEEP_P = "pg_present_keep_p"

_PRESENTER_CSS = """
<style>
/* Presenter mode: less chrome above the controls, so they and the charts fit a 1280x720 projector. */
[data-testid="stMainBlockContainer"] { padding-top: 4rem; padding-left: 1.5rem; padding-right: 1.5rem; }
[data-testid="stMainBlockContainer"] h1 { font-size: 1.9rem; padding: 0 0 0.3rem 0; }
</style>
"""


@dataclass
class PageControls:
    present: bool
    sweep: bool

    @property
    def font_scale(self) -> float:
        return PRESENT_FONT_SCALE if self.present else 1.0


def parse_flag(value: str | None) -> bool | None:
    return None if value is None else FLAGS.get(str(value).strip().lower())


def parse_scrub(value: str | None) -> float | None:
    """A keep probability of the sweep grid, or None when ``value`` is not one."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number):
        return None
    for choice in SCRUB_CHOICES:
        if abs(number - choice) < 1e-6:
            return choice
    return None


def page_url_notices(params: dict[str, str], t: Callable[..., str]) -> list[str]:
    """What is wrong with a link's page settings (each then falls back to off / the run's p)."""
    notices = []
    if PRESENT in params and parse_flag(params[PRESENT]) is None:
        notices.append(t("present_bad", value=params[PRESENT]))
    if SWEEP in params and parse_flag(params[SWEEP]) is None:
        notices.append(t("sweep_bad", value=params[SWEEP]))
    if SCRUB in params and parse_scrub(params[SCRUB]) is None:
        notices.append(t("scrub_bad", value=params[SCRUB], choices=", ".join(f"{c:g}" for c in SCRUB_CHOICES)))
    return notices


def seed_from_url() -> None:
    """On the session's first run, the page settings from the link (bad ones are left at their defaults)."""
    state = st.session_state
    if state.get("pg_page_seeded"):
        return
    state["pg_page_seeded"] = True
    params = st.query_params
    for name in (PRESENT, SWEEP):
        flag = parse_flag(params.get(name))
        if flag is not None:
            state[name] = flag
    scrub = parse_scrub(params.get(SCRUB))
    if scrub is not None:
        state[SCRUB] = scrub


def sync_to_url() -> None:
    """The page settings into the address bar (left out when off / unset), so a shared link keeps them."""
    state = st.session_state
    wanted = {
        PRESENT: "1" if state.get(PRESENT) else None,
        SWEEP: "1" if state.get(SWEEP) else None,
        SCRUB: f"{state[SCRUB]:g}" if state.get(SWEEP) and state.get(SCRUB) is not None else None,
    }
    for name, value in wanted.items():
        if value is None:
            if name in st.query_params:
                del st.query_params[name]
        elif st.query_params.get(name) != value:
            st.query_params[name] = value


def presenter_on() -> bool:
    """Whether presenter mode is on (read before anything is drawn: it changes the page's setup)."""
    seed_from_url()
    return bool(st.session_state.get(PRESENT, False))


def apply_presenter(present: bool) -> None:
    """Fold the sidebar away and tighten the page's top for a projector."""
    if present:
        st.set_page_config(initial_sidebar_state="collapsed")
        st.html(_PRESENTER_CSS)


def toggles(t: Callable[..., str]) -> PageControls:
    """The presenter and p-sweep switches (one row on the main canvas)."""
    seed_from_url()
    left, right = st.columns(2)
    present = left.toggle(t("present"), key=PRESENT, help=t("present_help"))
    sweep = right.toggle(t("sweep"), key=SWEEP, help=t("sweep_help"))
    return PageControls(present=bool(present), sweep=bool(sweep))


def _copy_proxy_to_keep_p() -> None:
    st.session_state["keep_p"] = st.session_state[PROXY_KEEP_P]


def presenter_keep_p(
    t: Callable[..., str],
    low: float = SETTINGS["keep_p"].widget_low,
    high: float = SETTINGS["keep_p"].widget_high,
    step: float = SETTINGS["keep_p"].step,
) -> None:
    """The hidden keep-probability slider on the main canvas (presenter mode), a proxy of the sidebar's:
    the sidebar's widget (key ``keep_p``, in the URL) stays the one source of the setting."""
    st.session_state[PROXY_KEEP_P] = st.session_state.get("keep_p", 0.5)
    st.slider(
        t("present_keep_p"),
        low,
        high,
        value=st.session_state[PROXY_KEEP_P],  # see ui.playground_sidebar._widget: default = current value
        step=step,
        key=PROXY_KEEP_P,
        on_change=_copy_proxy_to_keep_p,
    )


def apply_page_preset(page_query: str) -> None:
    """A lesson's page settings (e.g. ``sweep=1``), for the preset buttons' callback: the sweep is on
    only where the lesson asks for it; presenter mode stays as the teacher set it."""
    from urllib.parse import parse_qsl

    values = dict(parse_qsl(page_query))
    st.session_state[SWEEP] = bool(parse_flag(values.get(SWEEP, "0")))


def snap_to_grid(keep_p: float, grid) -> float:
    return min(grid, key=lambda value: abs(value - keep_p))


def scrub_slider(t: Callable[..., str], grid, default: float) -> float:
    """The slider over the sweep's keep probabilities; its value is the member every view shows."""
    grid = tuple(grid)
    current = st.session_state.get(SCRUB)
    if current is None or all(abs(current - value) > 1e-9 for value in grid):
        st.session_state[SCRUB] = snap_to_grid(current if current is not None else default, grid)
    else:
        st.session_state[SCRUB] = snap_to_grid(current, grid)
    value = st.select_slider(
        t("scrub"),
        options=grid,
        value=st.session_state[SCRUB],  # see ui.playground_sidebar._widget: default = current value
        key=SCRUB,
        help=t("scrub_help"),
        format_func=lambda keep: f"{keep:g}",
        on_change=sync_to_url,
    )
    return float(value)
