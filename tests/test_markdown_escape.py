"""Issue 17.4: user values are echoed as text or code, never as Markdown (no image, link, directive or math)."""

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui.escape import WORD_JOINER, code, plain

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
THEORY = str(ROOT / "pages" / "theory.py")
IMAGE = "![x](http://127.0.0.1:9/t.png)"
LINK = "[click](https://example.com/)"
# Markdown that would act: an image or link opener, a bare URL (GFM autolink), a Streamlit colour directive.
ACTIVE = re.compile(r"(?<!\\)!(?<!\\)\[|(?<!\\)\]\(|https?://|:red\[")


pytestmark = pytest.mark.usefixtures("fresh_sessions")


def test_plain_escapes_every_markdown_construct_and_keeps_the_text():
    text = f"got {IMAGE!r} and {LINK} :red[x] $x$ <b>b</b> www.example.com me@example.com"
    escaped = plain(text)
    assert not ACTIVE.search(escaped)
    assert not re.search(r"www\.|\w@", escaped)  # GFM's bare-URL and e-mail autolinks need these
    assert re.sub(r"\\(.)", r"\1", escaped).replace(WORD_JOINER, "") == text  # the text, unchanged to a reader
    assert plain("two\nlines") == "two lines"


def test_code_spans_survive_backticks():
    assert code("a`b") == "``a`b``"
    assert code("`x`") == "`` `x` ``"
    assert code(IMAGE) == f"`{IMAGE}`"


def _all_text(at) -> str:
    return "\n".join(
        str(e.value) for kind in ("warning", "error", "info", "markdown", "caption") for e in getattr(at, kind)
    )


def test_url_values_are_echoed_as_text():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["method"] = IMAGE
    at.query_params["dataset"] = LINK
    at.query_params["speed"] = ":red[big] www.example.com"
    at.query_params["keep_p"] = "$x$"
    at.run()
    assert not at.exception
    warning = "\n".join(w.value for w in at.warning).replace(WORD_JOINER, "")
    assert "x\\]\\(http\\:\\/\\/127\\.0\\.0\\.1\\:9\\/t\\.png\\)" in warning  # the value is there, escaped
    assert "\\:red\\[big\\]" in warning and "www\\.example" in warning and "\\$x\\$" in warning
    assert not ACTIVE.search("\n".join(w.value for w in at.warning)) and "www.example" not in warning


def test_csv_errors_echo_the_files_text_as_text():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["dataset"] = "csv"
    at.run()
    at.selectbox(key="dataset").set_value("csv").run()
    rows = "\n".join(f"{i},{IMAGE}" for i in range(20))
    at.file_uploader(key="csv_file").set_value((f"{LINK}.csv", f"a,{IMAGE}\n{rows}\n".encode(), "text/csv")).run()
    assert not at.exception
    info = "\n".join(i.value for i in at.info)
    assert "CSV cannot be used" in info and "127\\.0\\.0\\.1" in info
    assert not ACTIVE.search(info)


def test_theory_input_errors_echo_the_input_as_text():
    at = AppTest.from_file(THEORY, default_timeout=60).run()
    at.text_input(key="th_np_x").input(f"1, {IMAGE}").run()
    assert not at.exception
    errors = "\n".join(e.value for e in at.error)
    assert "127\\.0\\.0\\.1" in errors and not ACTIVE.search(errors)
