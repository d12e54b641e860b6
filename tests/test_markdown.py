"""ui.markdown.safe_emphasis: bold next to CJK punctuation placed where CommonMark accepts it."""

import pytest

from ui.markdown import safe_emphasis


@pytest.mark.parametrize(
    "written,rendered",
    [
        ("为了解决**共适应（co-adaptation）**问题", "为了解决**共适应（co-adaptation**）问题"),
        ("这是**“保留”**概率。", "这是“**保留**”概率。"),
        ("选择**（a）**吧", "选择（**a**）吧"),
    ],
)
def test_punctuation_inside_the_delimiters_moves_outside_when_a_letter_follows(written, rendered):
    assert safe_emphasis(written) == rendered


@pytest.mark.parametrize(
    "text",
    [
        "Press **Train**, then watch.",
        "按 **训练**，看",
        "**p = 0.5**（论文）",
        "键盘：**空格** = 训练，**→** = 单步。",
        "`x**2` and **bold**",
        "no bold at all",
        "a ** b ** c",
    ],
)
def test_text_that_already_renders_is_unchanged(text):
    assert safe_emphasis(text) == text


def test_code_spans_are_left_alone():
    assert safe_emphasis("`解决**（a）**问题` 解决**（a）**问题") == "`解决**（a）**问题` 解决（**a**）问题"
