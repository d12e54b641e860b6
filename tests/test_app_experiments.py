"""AppTest of the Experiments page: shipped results drawn at once, a background sweep, reopening saved sweeps."""

import json
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dropviz.experiments.store import Store
from ui.experiments_run import HOLDERS
from ui.kept import KEPT

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "experiments.py")


@pytest.fixture(autouse=True)
def fresh(monkeypatch, tmp_path):
    import streamlit as st

    monkeypatch.setenv("DROPVIZ_RESULTS_DB", str(tmp_path / "page.sqlite"))
    st.cache_resource.clear()
    KEPT.expire_released()  # the released sessions' holders close now, as after the TTL
    yield tmp_path / "page.sqlite"
    for holder in list(HOLDERS):
        holder.close()
    HOLDERS.clear()
    st.cache_resource.clear()
    KEPT.expire_released()  # the released sessions' holders close now, as after the TTL


def _app(**state) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def _job():
    jobs = [holder.job for holder in HOLDERS if holder.job is not None]
    assert len(jobs) == 1
    return jobs[0]


def _spec(at):
    (chart,) = at.get("plotly_chart")
    return json.loads(chart.proto.spec)


def test_fresh_machine_shows_shipped_quick_results_beside_the_paper():
    at = _app(exp_dataset="digits")
    assert not at.exception
    spec = _spec(at)
    assert spec["layout"]["meta"]["experiment"] == "fig10" and spec["layout"]["meta"]["dataset"] == "digits"
    titles = [a["text"] for a in spec["layout"]["annotations"]]
    assert any("Paper's values: MNIST" in t for t in titles) and any("This run: digits" in t for t in titles)
    names = {trace.get("name", "") for trace in spec["data"]}
    assert "this run: dropout" in names and any(n.startswith("paper (MNIST") for n in names)
    assert at.selectbox(key="exp_source_fig10").value == "shipped|quick|digits"
    assert len(at.get("download_button")) == 2 and at.dataframe


def test_every_experiment_draws_from_shipped_results_and_chinese_works():
    at = _app(exp_dataset="fashion-mnist", lang="zh")
    for name in ("table2", "fig4", "fig9a", "fig9b", "fig11", "gaussian"):
        at.selectbox(key="exp_name").set_value(name).run()
        assert not at.exception, name
        assert _spec(at)["layout"]["meta"]["experiment"] == name
    assert "实验" in at.title[0].value


def test_run_a_sweep_in_the_background_then_reopen_it_from_the_database(fresh):
    at = _app(exp_dataset="digits", exp_name="fig11", exp_preset="tiny")
    at.number_input(key="exp_workers").set_value(1)
    at.button(key="exp_run").click().run()
    assert not at.exception
    job = _job()
    assert job is not None
    deadline = time.monotonic() + 180
    while job.running and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not job.running and job.error is None, job.error
    at.run()
    at.run()  # the progress fragment noticed the end and reran
    assert at.get("progress") and "2/2" in at.get("progress")[0].proto.text
    assert at.selectbox(key="exp_source_fig11").value == "db|tiny|digits"
    assert _spec(at)["layout"]["meta"]["preset"] == "tiny"
    with Store(fresh, readonly=True) as store:
        assert {row["status"] for row in store.trials()} == {"completed"}
    # a new session reopens the stored sweep
    again = _app(exp_dataset="digits", exp_name="fig11", exp_preset="tiny")
    assert again.selectbox(key="exp_source_fig11").value == "db|tiny|digits"
    options = again.selectbox(key="exp_source_fig11").options
    assert any("saved sweep" in o for o in options) and any("shipped" in o for o in options)


def test_unreachable_configured_ray_address_is_reported_not_raised(monkeypatch):
    monkeypatch.setenv("DROPVIZ_RAY_ADDRESS", "ray://127.0.0.1:1")
    at = _app(exp_dataset="digits", exp_name="gaussian", exp_preset="tiny")
    at.radio(key="exp_engine").set_value("ray").run()
    assert any("`ray://127.0.0.1:1`" in c.value for c in at.caption)
    at.button(key="exp_run").click().run()
    job = _job()
    job.thread.join(150)
    at.run()
    assert not at.exception
    errors = [e.value.replace("\\", "") for e in at.error]  # shown escaped, as text
    assert any("cannot start or reach Ray at ray://127.0.0.1:1" in e for e in errors), errors


@pytest.mark.parametrize("configured", [None, "ray://cluster.example:10001"])
def test_a_visitor_cannot_choose_the_ray_address(monkeypatch, configured):
    """Issue 17.1: only the server's own configuration reaches ray.init, whatever the browser sends."""
    import dropviz.experiments.background

    if configured:
        monkeypatch.setenv("DROPVIZ_RAY_ADDRESS", configured)
    else:
        monkeypatch.delenv("DROPVIZ_RAY_ADDRESS", raising=False)
    made = []

    class RecordingSweep(dropviz.experiments.background.BackgroundSweep):
        def start(self):
            made.append(self)
            return self

    monkeypatch.setattr(dropviz.experiments.background, "BackgroundSweep", RecordingSweep)
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params["exp_ray_address"] = "ray://127.0.0.1:47001"
    at.query_params["ray_address"] = "ray://127.0.0.1:47001"
    at.session_state["exp_dataset"] = "digits"
    at.session_state["exp_ray_address"] = "ray://127.0.0.1:47001"
    at.run()
    at.radio(key="exp_engine").set_value("ray").run()
    assert not at.text_input, "the page must not offer an address input"
    at.button(key="exp_run").click().run()
    assert not at.exception
    (job,) = made
    assert job.ray_address == configured
    command = job.command()
    assert "ray://127.0.0.1:47001" not in " ".join(command)
    assert (command[command.index("--ray-address") + 1] == configured) if configured else "--ray-address" not in command


def test_configured_ray_address_comes_from_the_server_command_line_or_environment(monkeypatch):
    from ui.experiments_run import configured_ray_address

    monkeypatch.setenv("DROPVIZ_RAY_ADDRESS", " auto ")
    assert configured_ray_address([]) == "auto"
    assert configured_ray_address(["--ray-address", "ray://head:10001"]) == "ray://head:10001"
    assert configured_ray_address(["--ray-address=ray://head:10001"]) == "ray://head:10001"
    monkeypatch.delenv("DROPVIZ_RAY_ADDRESS")
    assert configured_ray_address([]) is None
