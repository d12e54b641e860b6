"""Every member of an ended p sweep at once, so that the browser switches members by itself (issue 13).

A scrub that goes through Streamlit waits for the fragment's rerun and for the browser to apply its
deltas before the first chart redraws (docs/benchmarks.md, session 8: ~170 ms of the 275 ms median). Once a sweep
has ended its members no longer change, so the page builds one *board* (per member, every chart's
plotly.js JSON and the texts that name the member), ``serve.py`` serves it from
``/_dropviz/members/{token}``, and the page's components fetch it once and redraw from it as soon
as the scrub slider moves (assets/live_chart.js). The rerun that follows still runs: it keeps the
server's idea of the scrub (links, downloads) and finds nothing new to draw.

The token is a per-sweep-holder secret in a weak registry, as the live route's; nothing from the
request is reflected in the answer.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import threading

from ui.live_stream import LiveRegistry, route_mounted

BOARD_PATH = "_dropviz/members"  # relative to the page, like the live route
BOARDS = LiveRegistry()  # token -> the session's SweepHolder
_STRONG = re.compile(r"\*\*(.+?)\*\*")
# Streamlit's own look for captions, paragraphs and Markdown tables (light theme), inline: the texts
# are drawn by the chart component, outside Streamlit's styled elements.
_CAPTION = "font-size:0.875rem;color:rgba(49,51,63,0.6);margin:0 0 1rem 0"
_PARAGRAPH = "margin:0 0 1rem 0"
_TABLE = "border-collapse:collapse;margin:0 0 1rem 0"
_CELL = "padding:0.25rem 0.375rem;border:1px solid rgba(49,51,63,0.1)"


def keep_key(keep_p: float) -> str:
    """How the scrub slider writes a keep probability (its format_func): the board's member keys."""
    return f"{keep_p:g}"


def view_parts(views) -> list[tuple[str, object]]:
    """(element key, figure) of every chart a member's views draw; the page uses the same keys."""
    parts = [("pg_curves", views.curves), ("pg_network", views.network), ("pg_mask", views.mask_matrix)]
    parts += [("pg_boundary", views.boundary), ("pg_images", views.images)]
    parts += [(f"pg_units_{index}", figure) for index, figure in enumerate(views.units or [])]
    return [(key, figure) for key, figure in parts if figure is not None]


def inline_html(markdown: str) -> str:
    """One line of the pages' Markdown (bold only) as HTML, everything else escaped."""
    return _STRONG.sub(r"<strong>\1</strong>", html.escape(markdown, quote=False))


def caption_html(markdown: str) -> str:
    return f'<p class="dropviz-caption" style="{_CAPTION}">{inline_html(markdown)}</p>'


def paragraph_html(markdown: str) -> str:
    return f'<p class="dropviz-text" style="{_PARAGRAPH}">{inline_html(markdown)}</p>'


def table_html(markdown_table: str) -> str:
    """A pipe table as written by ui.playground_views.latest_markdown, as an HTML table."""
    lines = [line for line in markdown_table.splitlines() if line.strip()]
    if len(lines) < 2:
        return ""

    def cells(line: str) -> list[str]:
        return [cell.strip() for cell in line.strip().strip("|").split("|")]

    aligns = ["right" if cell.endswith(":") else "left" for cell in cells(lines[1])]

    def row(line: str, tag: str) -> str:
        return "".join(
            f'<{tag} style="{_CELL};text-align:{aligns[i] if i < len(aligns) else "left"}">{inline_html(cell)}</{tag}>'
            for i, cell in enumerate(cells(line))
        )

    body = "".join(f"<tr>{row(line, 'td')}</tr>" for line in lines[2:])
    return f'<table class="dropviz-table" style="{_TABLE}"><thead><tr>{row(lines[0], "th")}</tr></thead><tbody>{body}</tbody></table>'


# How each text part of a member's views becomes HTML (the page draws the same Markdown with Streamlit
# when there is no board).
_TEXT_HTML = {
    "pg_member_caption": lambda text: caption_html(text),
    "pg_metrics": lambda text: table_html(text),
    "pg_mask_caption": lambda text: caption_html(text),
    "pg_units_summary": lambda text: paragraph_html(text),
}


def text_html(part: str, markdown: str) -> str:
    """A text part of the views (ui.playground_views.view_texts) as the board and the page's component show it."""
    return _TEXT_HTML[part](markdown) if markdown else ""


def board_version(runner, labels: dict[str, str], font_scale: float, versions: tuple) -> str:
    """Names one board: the sweep, its members' logs, the language (labels) and the font scale."""
    text = json.dumps([id(runner), sorted(labels.items()), font_scale, list(versions)], default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def board_body(members: dict[str, dict[str, str]], texts: dict[str, dict[str, str]]) -> bytes:
    """The board's JSON: ``{keep: {part: plotly.js JSON text or HTML}}`` (figures stay text: each draw
    parses its own copy, since Plotly.react keeps and changes the objects it is given)."""
    merged = {keep: {**parts, **texts.get(keep, {})} for keep, parts in members.items()}
    return json.dumps(merged, separators=(",", ":")).encode()


class Board:
    """The board of the session's sweep holder: built off the page's thread, served by the route."""

    def __init__(self):
        self._lock = threading.Lock()
        self.version: str | None = None
        self.body: bytes | None = None
        self.token: str | None = None

    def spec(self, holder, version: str) -> dict | None:
        """What the page's components need to fetch this board (None where serve.py's route is absent)."""
        if not route_mounted():
            return None
        if self.token is None:
            self.token = BOARDS.register(holder)
        return {"url": f"{BOARD_PATH}/{self.token}?v={version}", "version": version, "slider": "scrub_p"}

    def ready(self, version: str) -> bool:
        with self._lock:
            return self.version == version and self.body is not None

    def put(self, version: str, body: bytes) -> None:
        with self._lock:
            self.version, self.body = version, body

    def get(self, version: str) -> bytes | None:
        with self._lock:
            return self.body if self.version == version else None

    def close(self) -> None:
        BOARDS.discard(self.token)
        self.token = None
        with self._lock:
            self.version = self.body = None


def board_route():
    """The Starlette route serve.py mounts beside the live route."""
    from starlette.responses import Response
    from starlette.routing import Route

    async def members(request):
        from ui import member_board  # as imported now: Streamlit's file watcher may have reloaded it

        holder = member_board.BOARDS.get(request.path_params["token"])
        body = holder.board.get(request.query_params.get("v", "")) if holder is not None else None
        if body is None:
            # Unknown session, another sweep, or not built yet: the page draws through Streamlit meanwhile.
            return Response("no such board", status_code=404, media_type="text/plain")
        return Response(body, media_type="application/json", headers={"Cache-Control": "private, max-age=3600"})

    return Route(f"/{BOARD_PATH}/{{token}}", members, methods=["GET"])
