"""Every English / 中文 string the app shows, one module per page plus ``common`` (shared by all).

Each module is a plain table ``TEXT = {key: (english, chinese)}`` (no Streamlit, no computation);
:func:`ui.i18n.translator` merges the tables a page asks for. The engine (``dropviz``) returns keys
and numbers; the sentences around them are here.
"""
