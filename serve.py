"""dropviz's server entry: `streamlit run serve.py` (what `make run` and the e2e tests start).

The app itself is app.py; this adds two read-only JSON routes: the one live pages poll for new curve
points and their progress (ui.live_stream), so that a classroom's refreshes do not rerun Streamlit
scripts, and the one an ended p sweep's members come from (ui.member_board), so that scrubbing p
redraws in the browser. `streamlit run app.py` still works: pages then draw through Streamlit alone.
"""

import os

import streamlit as st

from ui.live_stream import ROUTE_ENV, live_route
from ui.member_board import board_route

os.environ[ROUTE_ENV] = "1"  # tells the pages that the route is there (see ui.live_stream)
app = st.App("app.py", routes=[live_route(), board_route()])
