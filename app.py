"""dropviz entry point: language switch and navigation; each page lives in pages/."""

import streamlit as st

from ui.i18n import LANGUAGES, normalize_language_param, translator
from ui.shell import app_pages, app_shell
from ui.turns import script_turn

st.set_page_config(page_title="dropviz", page_icon="🎲", layout="wide")

normalize_language_param()
with st.sidebar:
    st.segmented_control(
        "Language / 语言",
        options=list(LANGUAGES.values()),
        key="lang",
        default=LANGUAGES["en"] if "lang" not in st.session_state else None,
        bind="query-params",
        required=True,
    )
t = translator(inside_page=False)

page = st.navigation(app_pages(t))
with app_shell(), script_turn(page.url_path):
    page.run()
