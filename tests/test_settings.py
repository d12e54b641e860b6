"""Settings declared once: RunConfig's fields drive the widgets, the links and the CLI (issue 16.1, issue 17.12).

A link's values reach the page unchanged, or with a notice and the address bar rewritten to what
is used; links from the README, the Lessons and the Lecture reopen the settings they name.
"""

from pathlib import Path
from urllib.parse import parse_qsl

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dropviz.cli import build_parser
from dropviz.config import (
    FIELD_NAMES,
    LINK_FIELDS,
    SETTINGS,
    WIDGET_FIELDS,
    RunConfig,
    allowed,
    fit_to_widget,
    from_query_params,
    from_values,
)
from dropviz.lecture import SECTIONS
from dropviz.lessons import LESSONS
from ui import playground_sidebar
from ui.text.playground import TEXT

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture(autouse=True)
def fresh_cache():
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


def app(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def url(at: AppTest) -> dict[str, str]:
    return {key: (value[-1] if isinstance(value, list) else value) for key, value in at.query_params.items()}


def warnings(at: AppTest) -> str:
    """The warnings' text as shown (user values in them are Markdown-escaped)."""
    return "\n".join(str(element.value) for element in at.warning).replace("\\", "")


# --- the table ---------------------------------------------------------------------------------------------------


def test_the_table_is_read_from_the_fields_declarations():
    method = SETTINGS["method"]
    assert method.kind == "choice" and set(method.choices) == {"none", "dropout", "gaussian", "dropconnect"}
    assert method.default == "dropout" and method.widget == "select"
    for name, spec in SETTINGS.items():  # the bounds are the field's own (pydantic's JSON schema says the same)
        schema = RunConfig.model_json_schema()["properties"][name]
        schema = next((option for option in schema.get("anyOf", []) if option.get("type") != "null"), schema)
        low_key, high_key = (
            ("exclusiveMinimum" if spec.low_open else "minimum"),
            ("exclusiveMaximum" if spec.high_open else "maximum"),
        )
        assert (spec.low, spec.high) == (schema.get(low_key), schema.get(high_key)), name
    keep_p = SETTINGS["keep_p"]
    assert keep_p.high == 1.0 and 0.0 <= keep_p.low <= keep_p.widget_low
    assert (keep_p.widget, keep_p.step, keep_p.widget_low, keep_p.widget_high) == ("slider", 0.01, 0.01, 1.0)
    assert keep_p.live and not SETTINGS["hidden"].live
    assert SETTINGS["momentum"].high_open and SETTINGS["momentum"].widget_high == 0.99
    assert SETTINGS["train_size"].optional and SETTINGS["train_size"].kind == "int"
    assert SETTINGS["hidden"].kind == "layers" and SETTINGS["twin"].kind == "bool"
    assert "data_dir" not in LINK_FIELDS and {"eval_every", "device", "dropconnect_samples"} <= set(LINK_FIELDS)
    # every widget has its label (and, where declared, its help) in both languages
    for name in WIDGET_FIELDS:
        assert name in TEXT, name
        if SETTINGS[name].help:
            assert f"{name}_help" in TEXT, name


def test_widgets_show_exactly_what_the_table_declares():
    at = app()
    assert not at.exception
    for name in WIDGET_FIELDS:
        spec = SETTINGS[name]
        if spec.widget == "slider":
            widget = at.slider(key=name)
            assert (widget.min, widget.max, widget.step) == (spec.widget_low, spec.widget_high, spec.step), name
            assert widget.value == spec.default
        elif spec.widget == "number":
            widget = at.number_input(key=name)
            assert (widget.min, widget.max, widget.step) == (spec.widget_low, spec.widget_high, spec.step), name
            assert widget.value == spec.default
        elif spec.widget == "select" and name != "dataset":
            widget = at.selectbox(key=name)
            assert widget.value == spec.default
            assert len(widget.options) == len(spec.choices)
    assert at.text_input(key="hidden").value == "128,128"
    assert at.radio(key="scaling").value == "inverted"
    assert at.toggle(key="twin").value is True


def test_widgets_hand_typed_values_to_one_constructor():
    config, problems = from_values({"keep_p": 0.37, "hidden": "16,8", "twin": False, "train_size": None})
    assert problems == {}
    assert (config.keep_p, config.hidden, config.twin, config.train_size) == (0.37, (16, 8), False, None)
    config, problems = from_values({"keep_p": 0.0, "lr": 0.2})
    assert config.keep_p == RunConfig().keep_p and config.lr == 0.2
    assert set(problems) == {"keep_p"} and allowed("keep_p") in problems["keep_p"]
    at = app()
    at.slider(key="keep_p").set_value(0.37).run()
    at.number_input(key="lr").set_value(0.0123).run()
    assert url(at)["keep_p"] == "0.37" and url(at)["lr"] == "0.0123"  # no step rounding on the way


def test_every_setting_has_a_cli_flag(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--help"])
    usage = capsys.readouterr().out
    for name in FIELD_NAMES:
        flag = name.replace("_", "-")
        assert f"--{flag}" in usage or f"--no-{flag}" in usage, name
    assert "--method {dropout,none,gaussian,dropconnect}" in usage  # choices from the Literal


# --- point 12: no silent change to a link's values -----------------------------------------------------------


def test_a_value_on_the_widget_grid_is_kept_exactly():
    at = app(keep_p="0.33", keep_p_input="0.87")
    assert at.slider(key="keep_p").value == pytest.approx(0.33)
    assert at.slider(key="keep_p_input").value == pytest.approx(0.87)
    assert not at.warning
    assert url(at)["keep_p"] == "0.33" and url(at)["keep_p_input"] == "0.87"


@pytest.mark.parametrize(
    "field,given,used,needle",
    [
        ("keep_p", "0.333", 0.33, "steps of 0.01"),
        ("keep_p", "0.005", 0.01, "below the smallest"),
        ("lr", "0.00005", 0.0001, "below the smallest"),
        ("max_norm", "0.05", 0.1, "below the smallest"),
        ("momentum", "0.995", 0.99, "above the largest"),
    ],
)
def test_a_value_the_widget_cannot_show_gets_a_notice_and_the_url_says_what_is_used(field, given, used, needle):
    assert from_query_params({field: given})[1] == []  # valid for the config ...
    assert fit_to_widget(field, float(given)) == pytest.approx(used)  # ... but not what the widget shows
    at = app(**{field: given})
    assert not at.exception
    notice = warnings(at)
    assert field in notice and given.rstrip("0") in notice and needle in notice
    widget = at.slider(key=field) if SETTINGS[field].widget == "slider" else at.number_input(key=field)
    assert widget.value == pytest.approx(used)
    assert float(url(at)[field]) == pytest.approx(used)


def test_a_bad_value_is_named_and_removed_from_the_url():
    at = app(keep_p="abc", hidden="0,5", lr="99")
    notice = warnings(at)
    for field in ("keep_p", "hidden", "lr"):
        assert field in notice
        assert field not in url(at)
    assert at.slider(key="keep_p").value == 0.5


def test_eval_every_and_device_are_settable_by_link_and_data_dir_is_not(tmp_path):
    values, notices = playground_sidebar.read_link(
        {"eval_every": "5", "device": "cpu", "dropconnect_samples": "8", "data_dir": str(tmp_path)},
        lambda key, **fmt: key,
    )
    assert (values["eval_every"], values["device"], values["dropconnect_samples"]) == (5, "cpu", 8)
    assert "data_dir" not in values
    assert len(notices) == 1 and "data_dir cannot be set from a link" in notices[0]
    at = app(eval_every="5", device="cpu", data_dir=str(tmp_path))
    assert "data_dir" in warnings(at)
    assert url(at) == {"eval_every": "5", "device": "cpu"}


def test_a_cuda_link_on_a_server_without_a_gpu_says_so(monkeypatch):
    monkeypatch.setattr(playground_sidebar, "_cuda_available", lambda: False)
    values, notices = playground_sidebar.read_link({"device": "cuda"}, lambda key, **fmt: key)
    assert values["device"] == "auto"
    assert len(notices) == 1 and "no CUDA GPU" in notices[0] and "auto" in notices[0]


def test_settings_that_do_not_apply_are_named():
    values, notices = playground_sidebar.read_link(
        {"dataset": "digits", "noise": "0.2", "dropconnect_mask": "per-batch"}, lambda key, **fmt: key
    )
    assert values["dataset"] == "digits"
    assert len(notices) == 2
    assert notices[0].startswith("noise: 0.2") and "2D toy data sets only" in notices[0]
    assert notices[1].startswith("dropconnect_mask: per-batch") and "DropConnect only" in notices[1]


# --- links that exist today reopen the same settings -----------------------------------------------------------


def _playground_links():
    links = [("lesson " + preset.key, preset.url()) for preset in LESSONS]
    for section in SECTIONS:
        for link in section.links:
            if link.page == "playground":
                links.append(
                    (f"lecture {section.id}", "?" + "&".join(f"{k}={v}" for k, v in link.query_params().items()))
                )
    links.append(("README ?lang=zh", "?lang=zh"))
    links.append(("issue 17.11 teacher link", "?keep_p=0.3"))
    return links


@pytest.mark.parametrize("name,link", _playground_links(), ids=[name for name, _ in _playground_links()])
def test_links_from_the_readme_lessons_and_lecture_open_the_settings_they_name(name, link):
    params = dict(parse_qsl(link.lstrip("?"), keep_blank_values=True))
    expected, notices = from_query_params(params)
    assert notices == []
    at = app(**params)
    assert not at.exception and not at.warning, name
    assert at.slider(key="keep_p").value == pytest.approx(expected.keep_p)
    assert at.selectbox(key="method").value == expected.method
    assert at.text_input(key="hidden").value == ",".join(map(str, expected.hidden))
    assert at.radio(key="scaling").value == expected.scaling
    assert at.number_input(key="train_size").value == expected.train_size
    assert at.selectbox(key="dataset").value == expected.dataset
    shown = url(at)
    shown.pop("lang", None)
    assert from_query_params(shown)[0] == expected  # the rewritten address bar still names the same settings


def test_a_lesson_button_sets_every_setting():
    at = app(keep_p="0.8", epochs="7")
    digits = next(preset for preset in LESSONS if preset.key == "digits")
    at.button(key="preset_digits").click().run()
    config = digits.config()
    assert at.selectbox(key="dataset").value == "digits"
    assert at.slider(key="keep_p").value == config.keep_p
    assert at.slider(key="keep_p_input").value == pytest.approx(0.8)
    assert at.number_input(key="epochs").value == 200
    assert from_query_params(url(at))[0] == config


def test_a_link_inside_the_session_applies_its_settings_and_a_plain_page_switch_keeps_them():
    at = app()
    at.slider(key="keep_p").set_value(0.8).run()
    at.switch_page("pages/lecture.py").run()
    at.switch_page("pages/playground.py").run()  # the address bar still holds what the page wrote
    assert at.slider(key="keep_p").value == pytest.approx(0.8)
    at.switch_page("pages/lecture.py").run()
    at.query_params.clear()
    at.query_params["method"] = "dropconnect"  # as the Lecture's st.page_link(query_params=...) does
    at.query_params["keep_p"] = "0.3"
    at.switch_page("pages/playground.py").run()
    assert not at.exception
    assert at.slider(key="keep_p").value == pytest.approx(0.3)
    assert at.selectbox(key="method").value == "dropconnect"
    assert url(at) == {"method": "dropconnect", "keep_p": "0.3"}


def test_a_csv_link_opens_the_upload_box_and_stays_in_the_address_bar():
    at = app(dataset="csv", keep_p="0.7")
    assert not at.exception and not at.warning
    assert at.selectbox(key="dataset").value == "csv"
    assert url(at) == {"dataset": "csv", "keep_p": "0.7"}


def test_every_widget_declares_its_current_value_as_its_default():
    """A browser that mounts a widget whose value it missed (Train pressed while the sidebar still
    loads) takes the widget's declared default and sends it with every later rerun; a bare default
    (a slider's minimum, an empty layers box) reset the run's settings (CI, serve.py under load)."""
    at = app(keep_p="0.3", hidden="64,32", epochs="7", lr="0.05", method="gaussian")
    sidebar = at.sidebar
    assert list(sidebar.slider(key="keep_p").proto.default) == [0.3]
    assert sidebar.text_input(key="hidden").proto.default == "64,32"
    assert sidebar.number_input(key="epochs").proto.default == 7
    assert sidebar.number_input(key="lr").proto.default == pytest.approx(0.05)
    method = sidebar.selectbox(key="method")
    assert method.proto.default == list(SETTINGS["method"].choices).index("gaussian")
    # A widget the user changes keeps the change as its default on the next run.
    sidebar.slider(key="keep_p").set_value(0.7).run()
    assert list(at.sidebar.slider(key="keep_p").proto.default) == [0.7]
