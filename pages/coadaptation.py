import streamlit as st

from ui.i18n import translator

t = translator()
st.title(t("page_coadaptation"))
st.info("This page is being built.")
