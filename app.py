"""dropviz entry point: language switch and navigation; each page lives in pages/."""
import streamlit as st

from ui.i18n import LANGUAGES, normalize_language_param, translator

st.set_page_config(page_title="dropviz", page_icon="🎲", layout="wide")

normalize_language_param()
with st.sidebar:
    st.segmented_control(
        "Language / 语言", options=list(LANGUAGES.values()),
        key="lang", default=LANGUAGES["en"] if "lang" not in st.session_state else None,
        bind="query-params", required=True,
    )
t = translator(inside_page=False)

pages = [
    st.Page("pages/playground.py", title=t("page_playground"), icon="🎛️", url_path="playground", default=True),
    st.Page("pages/coadaptation.py", title=t("page_coadaptation"), icon="🔗", url_path="coadaptation"),
    st.Page("pages/inference.py", title=t("page_inference"), icon="🎯", url_path="inference"),
    st.Page("pages/lecture.py", title=t("page_lecture"), icon="📖", url_path="lecture"),
    st.Page("pages/theory.py", title=t("page_theory"), icon="📐", url_path="theory"),
    st.Page("pages/experiments.py", title=t("page_experiments"), icon="🧪", url_path="experiments"),
]
st.navigation(pages).run()
