"""The server's integer settings from its environment (DROPVIZ_MAX_TRAINERS, DROPVIZ_MAX_RUN_MB, ...),
read one way everywhere: a missing one takes its default, a bad one is named in the server log with
what is allowed and takes its default (never fatal: the app still starts)."""

from __future__ import annotations

import logging
import os

_LOG = logging.getLogger(__name__)


def env_int(name: str, default: int, low: int = 1, high: int = 2**62) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        allowed = f"a whole number >= {low}" if high >= 2**62 else f"an integer from {low} to {high}"
        _LOG.warning("%s=%r is not %s; using %d", name, raw, allowed, default)
        return default
    return value
