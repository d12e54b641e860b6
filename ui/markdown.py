"""Bold that renders in Chinese as well as in English, without HTML.

CommonMark only closes ``**`` that is not preceded by punctuation unless whitespace or punctuation
follows it, and Chinese has no spaces: "解决**共适应（co-adaptation）**问题" shows its asterisks.
:func:`safe_emphasis` moves such leading/trailing punctuation just outside the delimiters
("解决**共适应（co-adaptation**）问题"), which the renderer then accepts. Code spans are left alone.
"""

from __future__ import annotations

import re
import unicodedata

_CODE_SPAN = re.compile(r"(`+)(?:.|\n)*?\1")
_STRONG = re.compile(r"\*\*(?=\S)(.+?)\*\*")


def _is_punctuation(char: str) -> bool:
    return unicodedata.category(char)[0] in "PS"  # CommonMark's Unicode punctuation (P and S categories)


def _neutral(char: str | None) -> bool:
    """Whitespace, punctuation or the text's edge: what lets a delimiter next to punctuation act."""
    return char is None or char.isspace() or _is_punctuation(char)


def _fix_strong(match: re.Match, text: str) -> str:
    inner = match.group(1)
    before = text[match.start() - 1] if match.start() > 0 else None
    after = text[match.end()] if match.end() < len(text) else None
    if inner.strip("".join(ch for ch in inner if _is_punctuation(ch))) == "" or inner[-1].isspace():
        return match.group(0)  # nothing but punctuation, or not an emphasis at all: leave as written
    lead = ""
    if not _neutral(before):
        while inner and _is_punctuation(inner[0]):
            lead, inner = lead + inner[0], inner[1:]
    trail = ""
    if not _neutral(after):
        while inner and _is_punctuation(inner[-1]):
            inner, trail = inner[:-1], inner[-1] + trail
    return f"{lead}**{inner}**{trail}"


def _fix_plain(text: str) -> str:
    return _STRONG.sub(lambda match: _fix_strong(match, text), text)


def safe_emphasis(text: str) -> str:
    """``text`` with every ``**bold**`` placed so that CommonMark renders it (code spans untouched)."""
    if "**" not in text:
        return text
    parts, last = [], 0
    for code in _CODE_SPAN.finditer(text):
        parts.append(_fix_plain(text[last : code.start()]))
        parts.append(code.group(0))
        last = code.end()
    parts.append(_fix_plain(text[last:]))
    return "".join(parts)
