"""Download data built on click, without keeping a closed session's runs alive.

Streamlit keeps a download button's data callable in its media file manager
(server-wide) until its next sweep of orphaned files. A lambda written in a page
keeps the page's globals with it: the session's holder, its runner and models,
an uploaded data set, all alive after the session is released (issue 17.3).
:func:`deferred` holds the session's objects weakly and nothing of the page.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable


def deferred(build: Callable[..., Any], *session_objects: Any, empty: str = "", **values: Any) -> Callable[[], Any]:
    """``build(*session_objects, **values)`` when clicked; ``empty`` once any session object is gone.

    ``build`` must be a module-level function (a page's lambda or nested function would carry the
    page's globals); ``values`` are small plain values (a config, labels), kept as they are.
    """
    refs = tuple(weakref.ref(item) for item in session_objects)

    def data() -> Any:
        objects = tuple(ref() for ref in refs)
        if any(item is None for item in objects):
            return empty
        return build(*objects, **values)

    return data


def run_source(holder, sweeps=None, keep_p: float | None = None):
    """The run the Playground's views show: the p sweep's member nearest ``keep_p``, else the session's run."""
    sweep = getattr(sweeps, "runner", None)
    if sweep is not None and keep_p is not None:
        return sweep.member(min(sweep.keep_grid, key=lambda value: abs(value - keep_p)))
    return holder.runner


def _finish(result, render, render_args):
    if result is None:
        return ""
    return render(result, *render_args) if render is not None else result


def source_view(holder, sweeps=None, *, keep_p: float | None = None, view, view_args=(), render=None, render_args=()):
    """For :func:`deferred`: ``view(run shown, *view_args)``, then ``render(result, *render_args)``."""
    return _finish(view(run_source(holder, sweeps, keep_p), *view_args), render, render_args)


def sweep_view(sweeps, *, view, view_args=(), render=None, render_args=()):
    """For :func:`deferred`: ``view(the session's sweep, *view_args)``, then ``render(result, *render_args)``."""
    return _finish(view(sweeps.runner, *view_args), render, render_args)
