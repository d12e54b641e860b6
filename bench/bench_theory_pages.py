"""How long each section of the Lecture and Theory pages takes to render.

Each page records, per section, the seconds its script spent computing and
drawing it (st.session_state["section_seconds_<page>"]); this runs the pages
with streamlit's AppTest (no browser: the time the browser takes to paint is
not included) and prints a table:

* cold: st.cache_data cleared before the run (first visit with these inputs);
* warm: the same inputs again (cached computations);
* max inputs (Theory only): every input at its upper bound (n = 10 and
  50,000 Monte-Carlo samples, 1,000 x 10 regression with 8,000 SGD steps asked (capped at
  examples x steps = 1.6M, i.e. 1,600 steps),
  32 x 32 masks, 2^16 sub-networks), cold.

Budget: every section under 2 s. Exit status 1 if one is over.

    .venv/bin/python bench/bench_theory_pages.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

import streamlit as st
from _common import ROOT, print_table
from streamlit.testing.v1 import AppTest

APP = str(ROOT / "app.py")
BUDGET_S = 2.0
MAX_INPUTS = {
    "th_bs_n": 10,
    "th_bs_samples": 50_000,
    "th_ridge_rows": 1000,
    "th_ridge_cols": 10,
    "th_ridge_steps": 8_000,
    "th_mask_out": 32,
    "th_mask_in": 32,
    "th_nw_n": 16,
}


def run_page(page: str, lang: str = "en", widgets: dict | None = None, clear: bool = True) -> tuple[dict, float]:
    """Section seconds of one run (after an optional first run to set widgets)."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["lang"] = lang
    at.switch_page(page)
    if widgets:
        at.run()
        for key, value in widgets.items():
            at.number_input(key=key).set_value(value)
    if clear:
        st.cache_data.clear()
    started = time.perf_counter()
    at.run()
    total = time.perf_counter() - started
    if at.exception:
        raise RuntimeError(f"{page}: {[e.value for e in at.exception]}")
    name = "lecture" if "lecture" in page else "theory"
    seconds = dict(at.session_state[f"section_seconds_{name}"])
    return seconds, total


def median_runs(repeats: int, **kwargs) -> tuple[dict, float]:
    runs = [run_page(**kwargs) for _ in range(repeats)]
    keys = runs[0][0].keys()
    return ({k: statistics.median(r[0][k] for r in runs) for k in keys}, statistics.median(r[1] for r in runs))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement (median)")
    args = parser.parse_args()

    run_page("pages/lecture.py")  # imports, first-use costs: not part of a page visit
    rows, worst = [], 0.0
    totals = []
    for page in ("pages/lecture.py", "pages/theory.py"):
        cold, cold_total = median_runs(args.repeats, page=page, clear=True)
        warm, warm_total = median_runs(args.repeats, page=page, clear=False)
        zh, _ = median_runs(1, page=page, lang="zh", clear=True)
        big = {}
        if "theory" in page:
            big, big_total = median_runs(args.repeats, page=page, widgets=MAX_INPUTS, clear=True)
            totals.append((page + " (max inputs, cold)", big_total))
        totals += [(page + " (cold)", cold_total), (page + " (warm)", warm_total)]
        for key in cold:
            values = [cold[key], warm[key], zh[key]] + ([big[key]] if big else [])
            worst = max(worst, *values)
            rows.append(
                [
                    page.split("/")[1].removesuffix(".py"),
                    key,
                    f"{1000 * cold[key]:.0f}",
                    f"{1000 * warm[key]:.0f}",
                    f"{1000 * zh[key]:.0f}",
                    f"{1000 * big[key]:.0f}" if big else "-",
                    "ok" if max(values) < BUDGET_S else "OVER",
                ]
            )
    print(
        f"Section render time, ms (script side, AppTest; median of {args.repeats}; "
        f"budget {BUDGET_S:.0f} s per section)\n"
    )
    print_table(["page", "section", "cold", "warm", "zh cold", "max inputs cold", "< 2 s"], rows)
    print()
    print_table(["page run", "seconds"], [[name, f"{value:.2f}"] for name, value in totals])
    print(f"\nslowest section: {1000 * worst:.0f} ms")
    return 0 if worst < BUDGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
