"""English / 中文 for all UI text.

Every page's strings live in the ``ui.text`` package (``ui/text/<page>.py``, each
``TEXT = {key: (english, chinese)}``, plus ``ui/text/common.py`` shared by all); a page gets
a translator with :func:`translator`; the language comes from the
sidebar switch (``st.session_state["lang"]``, bound to the URL as ``lang``).
"""

from __future__ import annotations

from typing import Callable, Mapping

import streamlit as st

from ui.markdown import safe_emphasis
from ui.shell import ensure_app_shell
from ui.text.common import COMMON

LANGUAGES = {"en": "English", "zh": "中文"}
# The switch's options are the language names themselves: they read the same in
# both languages, so the URL (lang=中文) opens identically whatever the viewer's language.
LANGUAGE_CODES = {name: code for code, name in LANGUAGES.items()}


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
