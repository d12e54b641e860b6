"""Streamlit-side helpers shared by the pages (the only place besides app.py and pages/ that imports streamlit)."""
