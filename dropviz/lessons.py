"""Classroom lessons (the Playground's Lessons): each is nothing but a settings URL (a query string over RunConfig fields).

The page applies a preset by parsing its query string with the same lenient
parser as any shared link (:func:`dropviz.config.from_query_params`), so a
lesson can never hold a setting that a URL could not.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from .config import RunConfig, from_query_params, to_query_params


@dataclass(frozen=True)
class Lesson:
    key: str  # its title and what it shows are text (ui/text/lessons.py)
    query: str  # e.g. "method=dropout&keep_p=0.5"; fields left out keep their defaults
    page: str = ""  # settings of the Playground page itself, not of the run, e.g. "sweep=1"

    def config(self) -> RunConfig:
        config, notices = from_query_params(dict(parse_qsl(self.query)))
        if notices:  # a typo in a lesson is a bug: fail loudly in tests, not silently in class
            raise ValueError(f"lesson {self.key!r}: {'; '.join(notices)}")
        return config

    def url(self, base: str = "") -> str:
        """The shareable address: only settings that differ from the defaults, then the page's."""
        query = urlencode(to_query_params(self.config()))
        return f"{base}?{'&'.join(part for part in (query, self.page) if part)}"


LESSONS: tuple[Lesson, ...] = (
    Lesson("overfitting", ""),  # the defaults are this lesson
    Lesson("slide_p", "", page="sweep=1"),  # the default demo with the p sweep on
    Lesson("small_p", "keep_p=0.1"),
    Lesson("dropconnect", "method=dropconnect&hidden=64,64"),
    Lesson("gaussian", "method=gaussian"),
    Lesson("digits", "dataset=digits&train_size=300&hidden=256,256&keep_p_input=0.8&epochs=200"),
)

LESSONS_BY_KEY = {preset.key: preset for preset in LESSONS}
