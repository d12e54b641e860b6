"""English / 中文 for all UI text.

Each page keeps its strings next to it as ``TEXT = {key: (english, chinese)}``
and gets a translator with :func:`translator`; the language comes from the
sidebar switch (``st.session_state["lang"]``, bound to the URL as ``lang``).
"""
from __future__ import annotations

from typing import Callable, Mapping

import streamlit as st

LANGUAGES = {"en": "English", "zh": "中文"}

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
    lang = st.session_state.get("lang", "en")
    return lang if lang in LANGUAGES else "en"


def translator(*tables: Mapping[str, tuple[str, str]]) -> Callable[..., str]:
    """``t(key, **fmt)`` in the current language; a missing key shows itself rather than crashing."""
    index = 1 if current_language() == "zh" else 0
    merged: dict[str, tuple[str, str]] = {}
    for table in (COMMON, *tables):
        merged.update(table)

    def t(key: str, **fmt) -> str:
        pair = merged.get(key)
        text = pair[index] if pair else key
        return text.format(**fmt) if fmt else text

    return t
