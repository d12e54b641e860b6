"""The Playground page under AppTest, and the live fragment's logic as plain functions.

``run_every`` never fires under AppTest, so the fragment's computation
(ui.playground_views.build_views) is tested directly on a real runner.
"""

import dataclasses
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from dropviz.config import RunConfig
from dropviz.runner import BackgroundRunner
from ui import session
from ui.playground_views import build_views, should_refresh

APP = str(Path(__file__).resolve().parents[1] / "app.py")


pytestmark = pytest.mark.usefixtures("fresh_sessions")


def app(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def only_holder():
    holders = [holder for holder in session.REGISTRY.holders() if isinstance(holder, session.TrainerHolder)]
    assert len(holders) == 1
    return holders[0]


def texts(elements) -> str:
    return "\n".join(str(element.value) for element in elements)


def wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_renders_with_defaults_and_the_pytorch_equivalent():
    at = app()
    assert not at.exception
    assert at.title[0].value == "Playground"
    keep_p = at.slider(key="keep_p")
    assert keep_p.label == "keep probability p (paper)" and keep_p.value == 0.5
    assert "nn.Dropout(p=0.5)" in texts(at.markdown)
    assert not at.warning and not at.error


def test_widgets_change_the_config_and_step_trains_one_batch():
    at = app()
    at.slider(key="keep_p").set_value(0.8)
    at.selectbox(key="method").set_value("dropconnect")
    at.text_input(key="hidden").set_value("16,8")
    at.run()
    assert "nn.Dropout(p=0.2)" in texts(at.markdown)
    at.button(key="pg_step").click().run()
    assert not at.exception
    holder = only_holder()
    assert holder.config.keep_p == 0.8 and holder.config.method == "dropconnect" and holder.config.hidden == (16, 8)
    # a single step pauses the run after it, so once paused with a step done nothing more comes
    wait_for(lambda: holder.runner.snapshot().step >= 1 and holder.runner.state == "paused")
    assert holder.runner.snapshot().step == 1


def test_train_then_speed_and_keep_p_keep_the_run_and_another_setting_change_resets_it():
    at = app()
    at.button(key="pg_train").click().run()
    holder = only_holder()
    runner = holder.runner
    assert runner is not None and runner.state in ("starting", "running")
    at.select_slider(key="speed").set_value(5).run()
    assert holder.runner is runner  # the speed is not a setting of the run
    from ui.playground_sidebar import REFRESH_SECONDS

    assert runner.max_steps_per_second == pytest.approx(5 / REFRESH_SECONDS)  # 5 steps per refresh
    at.button(key="pg_pause").click().run()
    wait_for(lambda: runner.state == "paused")
    # The keep probability applies to the live run from its next mini-batch (no reset) ...
    at.slider(key="keep_p").set_value(0.7).run()
    assert holder.runner is runner and holder.config.keep_p == 0.7
    assert "previous run was stopped" not in texts(at.info)
    at.button(key="pg_step").click().run()
    wait_for(lambda: runner.snapshot().keep_changes)
    change = runner.snapshot().keep_changes[-1]
    assert (change.old_keep_p, change.new_keep_p) == (0.5, 0.7)
    at.run()
    curves = chart_figure(at, "pg_curves")
    assert "p 0.5 → 0.7" in [annotation["text"] for annotation in curves["layout"]["annotations"]]
    assert len(curves["layout"]["shapes"]) == 2  # the change's line on the loss and the error panel
    assert "p = 0.7: dropout removes" in texts(at.caption)  # the mask illustration is at the new p
    # ... any other setting resets it.
    at.text_input(key="hidden").set_value("16").run()
    assert holder.runner is None
    assert "previous run was stopped" in texts(at.info)


def test_a_train_press_starts_its_run_at_the_linked_speed():
    from ui.playground_sidebar import REFRESH_SECONDS

    at = app(speed="5")
    at.button(key="pg_train").click().run()
    assert not at.exception
    assert only_holder().runner.max_steps_per_second == pytest.approx(5 / REFRESH_SECONDS)


def trained_page(monkeypatch, open_pages: int) -> AppTest:
    """A Playground page that pressed Train on a 2-trainer server with ``open_pages`` pages open."""
    monkeypatch.setattr(session.REGISTRY, "open_pages", lambda: open_pages)
    monkeypatch.setenv("DROPVIZ_MAX_TRAINERS", "2")
    at = app()
    at.button(key="pg_train").click().run()
    runner = only_holder().runner
    wait_for(lambda: runner.snapshot().evaluations)
    at.run()
    assert not at.exception
    return at


def test_a_class_s_run_says_under_its_curves_that_it_is_measured_less_often(monkeypatch):
    at = trained_page(monkeypatch, open_pages=30)
    assert "measured every 10 steps rather than every epoch: 200 points" in texts(at.caption)


def test_a_lone_page_s_run_is_measured_every_epoch_and_says_nothing_of_it(monkeypatch):
    at = trained_page(monkeypatch, open_pages=2)
    assert only_holder().runner.snapshot().started.eval_every == 2
    assert "measured every" not in texts(at.caption)


def test_the_pre_train_pictures_are_built_once_and_shared_by_every_page():
    from dropviz.data import load_dataset
    from ui.playground_views import idle_views

    config = RunConfig()
    data = load_dataset(config.dataset, train_size=config.train_size, noise=config.noise, seed=config.seed)
    first, again = idle_views(config, {"method": "dropout"}, data), idle_views(config, {"method": "dropout"}, data)
    for part in ("curves", "network", "boundary", "mask_matrix"):
        assert getattr(first, part) is getattr(again, part)
    other = idle_views(config, {"method": "随机失活"}, data)
    assert other.curves is not first.curves and other.boundary is not first.boundary
    templates = [trace.hovertemplate or "" for trace in other.curves.data]
    assert any("随机失活" in text for text in templates)
    assert not any("随机失活" in (trace.hovertemplate or "") for trace in first.curves.data)
    hidden = idle_views(config.changed(hidden=(8,)), {"method": "dropout"}, data)
    assert hidden.network is not first.network and hidden.boundary is first.boundary


def test_bad_url_values_fall_back_to_defaults_with_a_notice():
    at = app(keep_p="abc", hidden="0,5", lr="99", dataset="nope", speed="warp")
    assert not at.exception
    notice = texts(at.warning).replace("\\", "")  # the notice is Markdown-escaped
    assert "not valid" in notice
    for field in ("keep_p", "hidden", "lr", "dataset", "speed"):
        assert field in notice
    assert at.slider(key="keep_p").value == 0.5
    assert at.text_input(key="hidden").value == "128,128"


def test_a_good_url_sets_the_widgets():
    at = app(keep_p="0.3", method="gaussian", hidden="32")
    assert at.slider(key="keep_p").value == pytest.approx(0.3)
    assert at.selectbox(key="method").value == "gaussian"
    assert not at.warning


def test_chinese_labels():
    at = app(lang="中文")
    assert not at.exception
    assert at.title[0].value == "训练场"
    assert at.slider(key="keep_p").label == "保留概率 p（论文）"


def test_invalid_hidden_text_shows_a_notice_not_a_traceback():
    at = app()
    at.text_input(key="hidden").set_value("ten,twenty").run()
    assert not at.exception
    assert "hidden" in texts(at.error)


def test_csv_option_asks_for_an_upload_and_disables_training():
    at = app()
    at.selectbox(key="dataset").set_value("csv").run()
    assert not at.exception
    assert "Upload a CSV" in texts(at.info)
    assert at.button(key="pg_train").disabled


def finished_run(config):
    runner = BackgroundRunner(config, num_threads=1)
    runner.start()
    assert runner.wait(60)
    return runner, runner.snapshot()


def test_fragment_logic_builds_every_live_view_from_a_runner():
    config = RunConfig(hidden=(16, 16), epochs=3, train_size=40)
    runner, snapshot = finished_run(config)
    views = build_views(snapshot, config, runner.copy_models(), runner.trained_dataset)
    assert views.curves is not None and views.network is not None and views.boundary is not None
    assert views.mask_matrix is not None and views.images is None
    assert views.progress.step == views.progress.total_steps == snapshot.step
    assert len(views.metrics) == 3
    assert not should_refresh(snapshot.state, snapshot.step, None)
    # finished: the network animates over the recorded masks; while training only the newest is drawn
    assert len(views.network.frames) == len(snapshot.masks) == 6
    live = build_views(dataclasses.replace(snapshot, state="running"), config, {}, None)
    assert live.network.frames == () and live.network.data
    assert should_refresh("running", 0, None) and should_refresh("paused", 3, 4) and not should_refresh("paused", 4, 4)


def test_views_build_only_the_parts_asked_for_and_the_mask_sample_changes_on_its_clock():
    from ui.playground_views import (
        MASK_RESAMPLE_SECONDS,
        first_frame_views,
        fragment_views,
        idle_views,
        latest_markdown,
    )

    LIVE_PARTS, SLOW_PARTS = frozenset({"curves", "network"}), frozenset({"predictions", "mask"})
    config = RunConfig(hidden=(16, 16), epochs=2, train_size=40)
    runner, done = finished_run(config)
    models, data = runner.copy_models(), runner.trained_dataset
    training = dataclasses.replace(done, state="running")
    live = build_views(training, config, {}, data, parts=LIVE_PARTS)
    assert live.curves is not None and live.network is not None
    assert live.boundary is None and live.mask_matrix is None  # built without model copies
    slow = build_views(training, config, models, data, parts=SLOW_PARTS)
    assert slow.boundary is not None and slow.mask_matrix is not None and slow.curves is None and slow.network is None
    # The mask illustration: sample 0 when a run starts (as before Train), a new one every MASK_RESAMPLE_SECONDS.
    reuse = {}
    first = build_views(training, config, models, data, parts=SLOW_PARTS, reuse=reuse, now=100.0).mask_matrix
    assert first is idle_views(config, {}, data, parts=SLOW_PARTS).mask_matrix
    again = build_views(
        training, config, models, data, parts=SLOW_PARTS, reuse=reuse, now=100.0 + MASK_RESAMPLE_SECONDS / 2
    )
    assert again.mask_matrix is first
    later = build_views(
        training, config, models, data, parts=SLOW_PARTS, reuse=reuse, now=100.0 + MASK_RESAMPLE_SECONDS
    )
    assert later.mask_matrix is not first
    # The Train click's own frame: new curves over the pre-Train pictures (identical figures are not redrawn).
    opening = first_frame_views(training, config, {}, data)
    before = idle_views(config, {}, data)
    assert opening.curves is not None and len(opening.curves.data[0].x) == len(done.evaluations)
    assert (
        opening.network.to_json() == before.network.to_json()
        and opening.boundary.to_json() == before.boundary.to_json()
    )
    # A run without a step yet (queued, or starting) keeps the pre-Train pictures: a refresh before its first
    # step draws what the page already shows.
    waiting = dataclasses.replace(
        done, state="queued", step=0, epoch=0.0, steps=(), evaluations=(), masks=(), latest_state=None
    )
    stub = type("Waiting", (), {"snapshot": lambda self: waiting, "trained_dataset": data})()
    snapshot, views, first_frame = fragment_views(stub, config, {}, data)
    assert snapshot is waiting and first_frame
    assert views.network.to_json() == before.network.to_json() and views.curves is before.curves
    assert views.progress.state == "queued"
    # A run that already ended gets its finished views, even on the first frame.
    snapshot, views, first_frame = fragment_views(runner, config, {}, data, parts=SLOW_PARTS, first_frame=True)
    assert snapshot.state == "completed" and not first_frame
    assert views.boundary.to_json() != before.boundary.to_json()
    table = latest_markdown(build_views(done, config, models, data).metrics, {"method": "dropout", "baseline": "twin"})
    last = done.evaluations[-1].metrics
    assert (
        f"| twin | {last['baseline']['train_loss']:.4f} / {last['baseline']['test_loss']:.4f} | "
        f"{last['baseline']['train_error']:.1%} / {last['baseline']['test_error']:.1%} |"
    ) in table


def test_idle_page_draws_labelled_empty_curves_and_the_mask_illustration():
    from ui.playground_views import idle_views

    views = idle_views(RunConfig(), {"no_data": "press Train"})
    assert views.curves is not None and len(views.curves.data) == 8 and not any(len(d.x) for d in views.curves.data)
    assert views.curves.layout.title.text == "press Train"
    assert views.mask_matrix is not None and views.progress.state == "idle"
    assert views.boundary is None and views.network is None  # no data set given: nothing to preview

    from dropviz.data import load_dataset
    from dropviz.viz.playground import CLASS_COLOURS, boundary_panel_pixels, dropped_unit_count

    config = RunConfig()
    data = load_dataset(config.dataset, train_size=config.train_size, noise=config.noise, seed=config.seed)
    preview = idle_views(config, {}, data)
    # Both panels (method and twin) show the data on white: no regions before training, but the dots.
    panels = [trace for trace in preview.boundary.data if trace.type == "image"]
    assert len(panels) == 2 and panels[0].source == panels[1].source
    pixels = boundary_panel_pixels(panels[0])
    white = pixels.min(-1) > 245
    assert 0.8 < white.mean() < 1.0
    drawn = []
    for x, label in zip(data.x_train.numpy(), data.y_train.numpy()):
        row, col = int(round((x[1] - panels[0].y0) / panels[0].dy)), int(round((x[0] - panels[0].x0) / panels[0].dx))
        colour = [int(CLASS_COLOURS[int(label)][i : i + 2], 16) for i in (1, 3, 5)]
        drawn.append(np.abs(pixels[row, col] - colour).max() < 60)
    assert np.mean(drawn) > 0.9  # training points in their class colour where they are (a few may overlap)
    assert dropped_unit_count(preview.network) == 0
    assert preview.network.layout.annotations[0].text.startswith("<b>input</b>")


def test_fragment_logic_draws_image_predictions_for_digits():
    config = RunConfig(dataset="digits", hidden=(16,), epochs=1, train_size=100, batch_size=50)
    runner = BackgroundRunner(config, num_threads=1)
    runner.start()
    assert runner.wait(60)
    views = build_views(runner.snapshot(), config, runner.copy_models(), runner.trained_dataset)
    assert views.images is not None and views.boundary is None


def chart_figure(at: AppTest, key: str) -> dict:
    """The plotly figure (JSON) the page drew under element key ``key`` (live component or st.plotly_chart)."""
    import json

    for component in at.get("bidi_component"):
        if component.key == key:
            return json.loads(json.loads(component.proto.json)["figure"])
    for chart in at.get("plotly_chart"):
        if chart.key == key:
            return json.loads(chart.proto.spec)
    raise AssertionError(f"no chart with key {key}")


def test_page_settings_round_trip_through_the_url():
    at = app(present="1", sweep="1", scrub_p="0.3")
    assert not at.exception and not at.warning
    assert at.toggle(key="present").value and at.toggle(key="sweep").value
    assert at.session_state["scrub_p"] == 0.3
    assert at.query_params["present"] == "1" and at.query_params["sweep"] == "1"
    assert at.query_params["scrub_p"] == "0.3"
    # presenter mode: the keep-p slider is on the canvas too (a proxy of the sidebar's), no intro text
    assert at.slider(key="pg_present_keep_p").value == at.slider(key="keep_p").value == 0.5
    assert not any("Pick the keep probability" in str(caption.value) for caption in at.caption)
    at.slider(key="pg_present_keep_p").set_value(0.3).run()
    assert at.slider(key="keep_p").value == 0.3 and at.query_params["keep_p"] == "0.3"
    at.toggle(key="present").set_value(False).run()
    at.toggle(key="sweep").set_value(False).run()
    assert "present" not in at.query_params and "sweep" not in at.query_params and "scrub_p" not in at.query_params
    assert not at.get("slider") or all(slider.key != "pg_present_keep_p" for slider in at.slider)


def test_bad_page_settings_in_a_link_get_the_usual_notice():
    at = app(present="maybe", sweep="2", scrub_p="0.33")
    assert not at.exception
    notice = texts(at.warning).replace("\\", "")  # the notice is Markdown-escaped
    assert "present: 'maybe' (allowed: 1, 0)" in notice and "sweep: '2' (allowed: 1, 0)" in notice
    assert "scrub_p: '0.33' (allowed: 0.1, 0.2" in notice
    assert not at.toggle(key="present").value and not at.toggle(key="sweep").value


def test_the_sweep_trains_and_the_scrub_switches_every_view_to_that_member():
    at = app(sweep="1", epochs="20")
    at.button(key="pg_train").click().run()
    assert not at.exception
    sweeps = [holder for holder in session.REGISTRY.holders() if not isinstance(holder, session.TrainerHolder)]
    assert len(sweeps) == 1 and sweeps[0].runner is not None
    assert only_holder().runner is None  # a quick sweep is the run: no separate run trains beside it
    runner = sweeps[0].runner
    assert runner.wait(120) and runner.state == "completed"
    at.run()
    scrub = at.select_slider(key="scrub_p")
    assert scrub.value == 0.5 and list(scrub.options) == [f"{k:g}" for k in runner.keep_grid]
    assert chart_figure(at, "pg_curves")["layout"]["title"]["text"].startswith("<b>p = 0.5")
    before = chart_figure(at, "pg_boundary")["data"][0]["source"]
    scrub.set_value(0.2).run()
    assert not at.exception
    assert chart_figure(at, "pg_curves")["layout"]["title"]["text"].startswith("<b>p = 0.2")
    assert chart_figure(at, "pg_boundary")["data"][0]["source"] != before
    assert "sweep member at **p = 0.2**" in texts(at.caption)
    assert "p = 0.2: dropout removes" in texts(at.caption)  # the mask illustration is at the member's p
    row = runner.response().set_index("keep_p").loc[0.2]
    assert f"{row.train_loss:.4f} / {row.test_loss:.4f}" in texts(at.markdown)  # the metrics table is the member's
    response = chart_figure(at, "pg_response")
    assert [shape["x0"] for shape in response["layout"]["shapes"]] == [0.2, 0.2]
    assert "not the paper's" in response["layout"]["title"]["text"]
    strip = chart_figure(at, "pg_strip")
    assert len(strip["data"]) == len(runner.keep_grid)
    assert at.query_params["scrub_p"] == "0.2"


def test_every_hidden_unit_is_drawn_for_2d_data_with_its_near_duplicate_count():
    at = app(epochs="5", hidden="12,6")
    at.button(key="pg_train").click().run()
    runner = only_holder().runner
    assert runner.wait(60)
    at.run()
    layer1, layer2 = chart_figure(at, "pg_units_0"), chart_figure(at, "pg_units_1")
    titles = [annotation["text"] for annotation in layer1["layout"]["annotations"]]
    assert (
        "12 units" in titles[0]
        and "near-duplicate pairs" in titles[0]
        and "6 units" in layer2["layout"]["annotations"][0]["text"]
    )
    assert "Near-duplicate pairs per hidden layer" in texts(at.markdown)


def test_new_controls_in_chinese_and_the_slide_p_lesson_turns_the_sweep_on():
    at = app(lang="中文")
    assert at.toggle(key="present").label == "演示模式" and at.toggle(key="sweep").label == "p 扫描"
    assert not at.toggle(key="sweep").value
    at.button(key="preset_slide_p").click().run()
    assert not at.exception
    assert at.toggle(key="sweep").value and at.query_params["sweep"] == "1"
    # the sweep's estimated time, before Train (a waiting note, or the start / coarser / skip choice if slow)
    assert "秒" in texts(at.info) + texts(at.markdown)


def test_a_finished_sweep_member_is_drawn_once_and_kept_without_the_replay():
    from dropviz.keep_sweep import SweepRunner
    from ui.playground_sweep import highlight_member, member_views, prepare_members, response_view, strip_view

    runner = SweepRunner(RunConfig(hidden=(8,), epochs=4, train_size=40), (0.5, 1.0), num_threads=1)
    runner.start()
    assert runner.wait(60)
    reuse = {}
    member = runner.member(0.5)
    first = member_views(member, member.config, {}, None, reuse=reuse)
    assert member_views(runner.member(0.5), member.config, {}, None, reuse=reuse) is first  # kept: same figures
    snapshot, views, _ = first
    assert len(snapshot.masks) > 1 and not views.network.frames  # the newest mask only, no animation
    assert member_views(runner.member(1.0), member.config, {}, None, reuse=reuse) is not first
    strip = strip_view(runner, 0.5, reuse)
    again = strip_view(runner, 1.0, reuse)
    assert [a.text for a in strip.layout.annotations] == ["<b>p = 0.5</b>", "p = 1.0"]
    assert [a.text for a in again.layout.annotations] == ["p = 0.5", "<b>p = 1.0</b>"]
    assert strip.data[0].source == again.data[0].source  # the panels are not drawn again for a new scrub
    base = reuse["strip"]["figures"]["base"]
    assert [a.text for a in highlight_member(base, None).layout.annotations] == ["p = 0.5", "p = 1.0"]
    # The page's strip (no member in bold) is one figure whatever the scrub: the browser skips it.
    assert strip_view(runner, None, reuse) is strip_view(runner, None, reuse)
    # The p-response chart of each scrubbed p is kept while the logs are unchanged, and marks that p.
    response = response_view(runner, 0.5, {}, reuse)
    assert response_view(runner, 0.5, {}, reuse) is response and response.layout.shapes[0].x0 == 0.5
    assert response_view(runner, 1.0, {}, reuse).layout.shapes[0].x0 == 1.0
    runner.logs.members[0.5].set_state("completed")  # any member's log changing makes a new chart
    assert response_view(runner, 0.5, {}, reuse) is not response
    # Once the sweep has ended, every member's views and their chart payloads are built in the background.
    fresh = {}
    prepare_members(runner, {}, None, fresh, font_scale=1.3, response_labels={})
    for thread in [t for t in threading.enumerate() if t.name == "dropviz-sweep-views"]:
        thread.join(60)
    for keep in runner.keep_grid:
        _, views, _ = member_views(runner.member(keep), runner.member(keep).config, {}, None, reuse=fresh)
        assert 1.3 in views.curves._dropviz_payloads and 1.3 in views.boundary._dropviz_payloads
        assert 1.3 in response_view(runner, keep, {}, fresh)._dropviz_payloads


def test_the_sweep_progress_line_counts_the_members_steps():
    from dropviz.keep_sweep import SweepRunner
    from ui.playground_sweep import progress_text
    from ui.text.playground import TEXT

    runner = SweepRunner(RunConfig(hidden=(8,), epochs=3, train_size=40), (0.5, 1.0), num_threads=1)
    runner.start()
    assert runner.wait(60)
    t = lambda key, **fmt: TEXT[key][0].format(**fmt) if key in TEXT else key  # noqa: E731 - English, no page
    assert progress_text(runner, t) == "p sweep: Completed · step 6 / 6"


def test_a_slow_sweep_asks_first_and_never_holds_up_the_run(monkeypatch):
    from ui import playground_sweep

    monkeypatch.setattr(playground_sweep, "ASK_ABOVE_SECONDS", 0.0)  # every sweep counts as slow
    at = app(sweep="1", epochs="2000")
    assert "A p sweep of 10 members takes about" in texts(at.markdown)
    at.button(key="pg_train").click().run()
    run = only_holder()
    assert run.runner is not None and run.runner.state in ("queued", "starting", "running")  # the run trains anyway
    sweeps = [holder for holder in session.REGISTRY.holders() if not isinstance(holder, session.TrainerHolder)]
    assert sweeps[0].runner is None  # no sweep until the user says so
    at.button(key="pg_sweep_coarse").click().run()
    assert not at.exception
    assert sweeps[0].runner is not None and sweeps[0].runner.keep_grid == playground_sweep.COARSE_GRID
    assert list(at.select_slider(key="scrub_p").options) == ["0.2", "0.4", "0.6", "0.8", "1"]
    at.button(key="pg_stop").click().run()
    at.toggle(key="sweep").set_value(False).run()
    at.toggle(key="sweep").set_value(True).run()
    at.button(key="pg_sweep_skip").click().run()
    assert "p sweep skipped for these settings" in texts(at.caption)
