"""The dashboard pages: `GET /dashboard/<id>` answers with the static preview of that dashboard.

The publisher prints `<url>/dashboard/<id>` for each dashboard it publishes; on the stand-in
that URL opens the page `experiment-analytics preview` rendered (found by the dashboard's name
in the preview's `preview.json`), so the summary's links can be clicked. The pages' own links
(`alerts.html`, `index.html`, other dashboards, PNGs) resolve under `/dashboard/` and are served
from the same folder. No login is asked, like a public link. Without a preview, or for a
dashboard the preview does not have, the answer is a 404 page saying how to make one.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from experiment_analytics.metabase_double.errors import not_found
from experiment_analytics.metabase_double.routing import Request, Response, route

PREVIEW_INDEX = "preview.json"
HTML = "text/html; charset=utf-8"


def _page(status: int, title: str, message: str) -> Response:
    body = (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}"
        f"</title></head><body><h1>{html.escape(title)}</h1><p>{html.escape(message)}</p>"
        "</body></html>"
    )
    return Response(status, body, {"Content-Type": HTML})


def _preview_index(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / PREVIEW_INDEX).read_text())
    except (OSError, ValueError):
        return None


@route("GET", r"/dashboard/(?P<id>\d+)(?:-[A-Za-z0-9\-]*)?", auth=False, locked=False)
def dashboard_page(req: Request) -> Any:
    with req.state.lock:
        dashboard = req.state.dashboards.get(req.id)
        name = dashboard and not dashboard.get("archived") and dashboard.get("name")
    if not name:
        raise not_found()
    folder = req.state.preview_dir
    index = _preview_index(folder)
    how = "run `experiment-analytics preview` (or `make preview`) and reload this page"
    if index is None:
        return _page(404, name, f"No dashboard preview in {folder}: {how}.")
    entry = next((e for e in index["dashboards"].values() if e["name"] == name), None)
    if entry is None:
        return _page(404, name, f"The preview in {folder} has no dashboard named {name!r}: {how}.")
    return Response(200, (folder / entry["page"]).read_text(), {"Content-Type": HTML})


@route("GET", r"/dashboard/(?P<file>[A-Za-z0-9_\-]+\.(?:html|png))", auth=False, locked=False)
def preview_file(req: Request) -> Any:
    """The preview's other pages and pictures, which its links name relative to /dashboard/."""
    path = req.state.preview_dir / req.params["file"]
    if not path.is_file():
        raise not_found()
    if path.suffix == ".png":
        return Response(200, path.read_bytes(), {"Content-Type": "image/png"})
    return Response(200, path.read_text(), {"Content-Type": HTML})
