"""The board of an ended p sweep (ui.member_board): every member's charts and texts, served once, so
that the browser switches members by itself."""

from __future__ import annotations

import json
import threading

import pytest

from dropviz.config import RunConfig
from dropviz.keep_sweep import SweepRunner
from tests.test_live_stream import ask
from ui import member_board
from ui.live_chart import figure_payload
from ui.member_board import board_route, caption_html, inline_html, table_html
from ui.playground_sweep import SweepHolder, member_views, prepare_members, response_view
from ui.playground_views import latest_markdown


def test_markdown_bold_becomes_html_and_everything_else_is_escaped():
    assert inline_html("at **p = 0.5** <b>x</b> & y") == "at <strong>p = 0.5</strong> &lt;b&gt;x&lt;/b&gt; &amp; y"
    assert inline_html("显示 **p = 0.3** 的扫描成员") == "显示 <strong>p = 0.3</strong> 的扫描成员"
    assert caption_html("p = 0.2: <x>").endswith("p = 0.2: &lt;x&gt;</p>")


def test_the_metrics_table_keeps_its_cells_and_right_alignment():
    import pandas as pd

    frame = pd.DataFrame(
        [
            {
                "method_train_loss": 0.25,
                "method_test_loss": 0.5,
                "method_train_error": 0.1,
                "method_test_error": 0.125,
                "baseline_train_loss": 0.0625,
                "baseline_test_loss": 0.75,
                "baseline_train_error": 0.0,
                "baseline_test_error": 0.2,
            }
        ]
    )
    table = table_html(latest_markdown(frame, {"method": "dropout <p>", "baseline": "twin"}, {}))
    assert table.count("<tr>") == 3 and table.count("<th ") == 3
    assert 'text-align:left">dropout &lt;p&gt;</td>' in table
    assert 'text-align:right">0.2500 / 0.5000</td>' in table
    assert 'text-align:right">0.0% / 20.0%</td>' in table  # the twin's error, as in the Markdown
    assert table_html("") == ""


@pytest.fixture(scope="module")
def ended_sweep():
    runner = SweepRunner(RunConfig(hidden=(8,), epochs=4, train_size=40), (0.5, 1.0), num_threads=1)
    runner.start()
    assert runner.wait(60)
    return runner


def build_board(runner, holder, version="v1", font_scale=1.0):
    labels = {"method": "dropout", "baseline": "twin"}
    reuse = {}

    def t(key, **fmt):
        return key + ":" + ",".join(f"{k}={v}" for k, v in sorted(fmt.items()))

    prepare_members(
        runner, labels, None, reuse, font_scale=font_scale, response_labels={}, board=(holder.board, version), t=t
    )
    for thread in [t for t in threading.enumerate() if t.name == "dropviz-sweep-views"]:
        thread.join(60)
    return reuse, labels


def test_an_ended_sweep_fills_the_board_with_every_members_charts_and_texts(ended_sweep):
    holder = SweepHolder()
    reuse, labels = build_board(ended_sweep, holder, "v1", font_scale=1.3)
    assert holder.board.ready("v1") and not holder.board.ready("v2")
    board = json.loads(holder.board.get("v1"))
    assert sorted(board) == ["0.5", "1"]  # the scrub slider's own labels
    for keep in ended_sweep.keep_grid:
        member = ended_sweep.member(keep)
        _, views, _ = member_views(member, member.config, labels, None, reuse=reuse)
        parts = board[f"{keep:g}"]
        # each chart is the payload the page would send for that member, at the page's font scale
        assert parts["pg_curves"] == figure_payload(views.curves, "", 1.3)["figure"]
        assert parts["pg_boundary"] == figure_payload(views.boundary, "", 1.3)["figure"]
        assert parts["pg_units_0"] == figure_payload(views.units[0], "", 1.3)["figure"]
        assert json.loads(parts["pg_response"])["layout"]["shapes"][0]["x0"] == keep
        assert parts["pg_response"] == figure_payload(response_view(ended_sweep, keep, {}, reuse), "", 1.3)["figure"]
        assert f"keep_p={keep:g}" in parts["pg_member_caption"]
        assert f"p={member.config.keep_p:g}" in parts["pg_mask_caption"]
        assert parts["pg_metrics"].startswith('<table class="dropviz-table"')
        assert "v_units_summary" in parts["pg_units_summary"]
    # A reset sweep drops its board: nothing stale is served.
    holder._release(ended_sweep)
    assert holder.board.get("v1") is None


def test_the_route_serves_the_board_of_that_version_only(ended_sweep, monkeypatch):
    monkeypatch.setenv("DROPVIZ_LIVE_ROUTE", "1")
    holder = SweepHolder()
    build_board(ended_sweep, holder, "v7")
    spec = holder.board.spec(holder, "v7")
    assert spec["url"].startswith(f"{member_board.BOARD_PATH}/") and spec["url"].endswith("?v=v7")
    path, query = spec["url"].split("?")
    status, body = ask("/" + path, query, board_route())
    assert status == 200 and sorted(json.loads(body)) == ["0.5", "1"]
    assert ask("/" + path, "v=v6", board_route())[0] == 404  # another sweep's
    status, body = ask(f"/{member_board.BOARD_PATH}/not-a-token", "v=v7", board_route())
    assert status == 404 and b"v7" not in body and b"not-a-token" not in body  # nothing reflected
    holder.close()  # the session is gone: its board with it
    assert ask("/" + path, query, board_route())[0] == 404


def test_no_board_without_the_route(ended_sweep, monkeypatch):
    monkeypatch.delenv("DROPVIZ_LIVE_ROUTE", raising=False)
    holder = SweepHolder()
    assert holder.board.spec(holder, "v1") is None
