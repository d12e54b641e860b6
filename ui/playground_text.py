"""Old path of the Playground's text, now ui/text/playground.py: a re-export while work in flight still imports it."""

from ui.text.playground import TEXT  # noqa: F401
