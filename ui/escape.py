"""User values echoed in Markdown as text, never as Markdown (issue 17.4).

Streamlit renders every message element (st.error, st.warning, st.markdown...)
as Markdown: a URL value like ``![x](http://host/t.png)`` would make every
visitor's browser fetch an image, ``[text](https://...)`` would put a link in
the app's own warning box, ``:red[...]`` or ``$...$`` would restyle it. Messages
that carry a user's text (a URL parameter, a CSV's cell or file name, a typed
vector) go through :func:`plain`; a single value shown as code goes through
:func:`code`.
"""

from __future__ import annotations

import re
import string

# CommonMark lets a backslash escape any ASCII punctuation; escaping all of it also stops Streamlit's
# :color[...] / :material/...: directives and $ math.
_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
# GFM turns bare URLs and e-mail addresses into links *after* parsing, escapes or not (the browser test
# caught it): an invisible word joiner after "http"/"www" and before "@" breaks the patterns it looks for.
_AUTOLINK = re.compile(r"(?i)(https?|ftp|www)(?=[:.])|(?=@)")
WORD_JOINER = "\u2060"


def plain(text: object) -> str:
    """``text`` as literal Markdown text: every ASCII punctuation escaped, bare URLs unlinked, lines joined."""
    text = _AUTOLINK.sub(lambda match: (match.group(1) or "") + WORD_JOINER, " ".join(str(text).splitlines()))
    return _PUNCTUATION.sub(r"\\\1", text)


def code(value: object) -> str:
    """``value`` as one inline code span, whatever backticks it contains (rendered verbatim: no link,
    no image, no HTML)."""
    text = " ".join(str(value).splitlines())
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"
