"""Real browser: every page, in English and in 中文, shows its bold as bold, never as literal ``**``.

CommonMark does not close ``**`` after punctuation when a CJK character follows
("为了解决**共适应（co-adaptation）**问题"); ui.markdown.safe_emphasis places the delimiters so that
it does. Code (``pre``/``code``: the lecture's numpy has ``**`` as the power operator) is left out.
"""

import pytest

from .conftest import CONNECTED, wait_idle

pytestmark = pytest.mark.e2e
TIMEOUT = 300_000  # the analysis pages train their built-in example on a first visit
PAGES = {  # url path -> (English title, 中文 title)
    "playground": ("Playground", "训练场"),
    "coadaptation": ("Co-adaptation", "共适应"),
    "inference": ("Inference", "推理"),
    "lecture": ("Lecture", "讲义"),
    "theory": ("Theory", "理论"),
    "experiments": ("Experiments", "实验"),
}
RENDERED_TEXT = """() => {
    const root = document.querySelector('[data-testid="stApp"]').cloneNode(true);
    root.querySelectorAll('pre, code, script, style, textarea, input').forEach(node => node.remove());
    return root.textContent;
}"""


def literal_bold(text: str) -> list[str]:
    """Each place where ``**`` survives in the rendered text, with a little context."""
    found, start = [], text.find("**")
    while start != -1:
        found.append(text[max(0, start - 30) : start + 32].replace("\n", " "))
        start = text.find("**", start + 2)
    return found


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("path", list(PAGES))
def test_no_literal_double_asterisks(page, app_url, path, lang):
    page.goto(f"{app_url}/{path}?lang={lang}")
    page.wait_for_selector(CONNECTED, timeout=TIMEOUT)
    title = PAGES[path][1 if lang == "zh" else 0]
    page.get_by_role("heading", name=title).first.wait_for(timeout=TIMEOUT)
    wait_idle(page, TIMEOUT)
    text = page.evaluate(RENDERED_TEXT)
    assert title in text
    assert literal_bold(text) == [], f"{path} ({lang}) shows literal ** in: {literal_bold(text)}"


def test_the_chinese_lectures_first_bold_is_bold(page, app_url):
    page.goto(f"{app_url}/lecture?lang=zh")
    page.wait_for_selector(CONNECTED, timeout=TIMEOUT)
    page.get_by_role("heading", name="讲义").first.wait_for(timeout=TIMEOUT)
    wait_idle(page, TIMEOUT)
    assert page.locator("strong", has_text="共适应（co-adaptation").count() >= 1
