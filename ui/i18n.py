"""English / 中文 for all UI text.

Each page keeps its strings next to it as ``TEXT = {key: (english, chinese)}``
and gets a translator with :func:`translator`; the language comes from the
sidebar switch (``st.session_state["lang"]``, bound to the URL as ``lang``).
"""

from __future__ import annotations

from typing import Callable, Mapping

import streamlit as st

from ui.markdown import safe_emphasis
from ui.shell import ensure_app_shell

LANGUAGES = {"en": "English", "zh": "中文"}
# The switch's options are the language names themselves: they read the same in
# both languages, so the URL (lang=中文) opens identically whatever the viewer's language.
LANGUAGE_CODES = {name: code for code, name in LANGUAGES.items()}

COMMON = {
    "app_title": ("dropviz: see what dropout does", "dropviz：看见 Dropout 在做什么"),
    "language": ("Language", "语言"),
    "page_playground": ("Playground", "训练场"),
    "page_coadaptation": ("Co-adaptation", "共适应"),
    "page_inference": ("Inference", "推理"),
    "page_lecture": ("Lecture", "讲义"),
    "page_theory": ("Theory", "理论"),
    "page_experiments": ("Experiments", "实验"),
}


def current_language() -> str:
    """'en' or 'zh'; the switch stores a language name, tests may store the code."""
    value = st.session_state.get("lang", "en")
    return LANGUAGE_CODES.get(value, value if value in LANGUAGES else "en")


def normalize_language_param() -> None:
    """Accept the codes (?lang=zh, or session_state["lang"] = "zh" from code) as well as
    the switch's own language names (?lang=中文), before the switch reads them."""
    value = st.query_params.get("lang")
    if value in LANGUAGES:
        st.query_params["lang"] = LANGUAGES[value]
        st.session_state["lang"] = LANGUAGES[value]
    elif st.session_state.get("lang") in LANGUAGES:
        st.session_state["lang"] = LANGUAGES[st.session_state["lang"]]


def translator(*tables: Mapping[str, tuple[str, str]], inside_page: bool = True) -> Callable[..., str]:
    """``t(key, **fmt)`` in the current language; a missing key shows itself rather than crashing.

    Every page asks for its translator first, so this is also where a page makes
    sure it runs inside app.py's navigation (see :mod:`ui.shell`); app.py itself
    passes ``inside_page=False``.
    """
    index = 1 if current_language() == "zh" else 0
    merged: dict[str, tuple[str, str]] = {}
    for table in (COMMON, *tables):
        merged.update(table)

    def t(key: str, **fmt) -> str:
        pair = merged.get(key)
        text = pair[index] if pair else key
        return safe_emphasis(text.format(**fmt) if fmt else text)

    if inside_page:
        ensure_app_shell(t)
    return t
