"""The Panel app behind ``rlx serve``: one page per stage, each over DuckDB views.

Every page is its own route (``/catalog``, ``/capture``, ``/validation``, ``/book``,
``/fidelity``, ``/regimes``) with a navigation bar; published reports are served as static
files under ``/reports``. Each browser session gets its own read-only database.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import panel as pn

from workbench import db
from workbench.pages import book, capture, catalog, fidelity, regimes, rl, validation

__all__ = ["LOOPBACK", "PAGES", "build_page", "serve"]

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"

PAGES: dict[str, tuple[str, Callable[..., pn.viewable.Viewable]]] = {
    "catalog": ("Catalog", catalog.page),
    "capture": ("Capture health", capture.page),
    "validation": ("Validation findings", validation.page),
    "book": ("Book explorer", book.page),
    "fidelity": ("Fidelity reports", fidelity.page),
    "regimes": ("Regime explorer", regimes.page),
    "rl": ("RL readiness", rl.page),
}
"""Route -> (title, page builder)."""

pn.extension("vega")


def _navigation(current: str) -> pn.pane.HTML:
    links = " · ".join(
        f"<b>{html.escape(title)}</b>"
        if route == current
        else f'<a href="/{route}">{html.escape(title)}</a>'
        for route, (title, _) in PAGES.items()
    )
    return pn.pane.HTML(f"<div><b>rlx</b> &nbsp; {links}</div>", sizing_mode="stretch_width")


def build_page(route: str, *, root: Path, reports_dir: Path) -> pn.Column:
    """One page of the app with the navigation bar, over a fresh read-only database."""
    builder = PAGES[route][1]
    database = db.connect(root)
    pn.state.on_session_destroyed(lambda _context: database.close())
    return pn.Column(
        _navigation(route), builder(database, reports_dir=reports_dir), sizing_mode="stretch_width"
    )


def _page_factory(route: str, *, root: Path, reports_dir: Path) -> Callable[[], pn.Column]:
    def make() -> pn.Column:  # pn.serve calls plain functions once per session
        return build_page(route, root=root, reports_dir=reports_dir)

    return make


def _reports_handler() -> type:
    """Panel's static file handler, answering 400 to a path with a NUL byte (``%00``) that
    would otherwise fail inside the file system call with a 500 and a logged traceback."""
    from panel.io.server import AuthenticatedStaticFileHandler
    from tornado.web import HTTPError

    class ReportsHandler(AuthenticatedStaticFileHandler):  # type: ignore[misc]
        def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
            if "\x00" in absolute_path:
                raise HTTPError(400, "bad path")
            return super().validate_absolute_path(root, absolute_path)

    return ReportsHandler


def serve(
    *,
    root: Path,
    reports_dir: Path,
    address: str = LOOPBACK,
    port: int = 5006,
    show: bool = False,
    threaded: bool = False,
) -> Any:
    """Serve every page; binds ``address`` (loopback by default). Blocks unless ``threaded``."""
    routes = {route: _page_factory(route, root=root, reports_dir=reports_dir) for route in PAGES}
    static = (
        [
            (
                rf"/{fidelity.REPORTS_ROUTE}/(.*)",
                _reports_handler(),
                {"path": str(Path(reports_dir).resolve()), "default_filename": "index.html"},
            )
        ]
        if Path(reports_dir).is_dir()
        else []
    )
    origins = sorted({f"{address}:{port}", f"{LOOPBACK}:{port}", f"localhost:{port}"})
    log.info("serving %s on http://%s:%d", root, address, port)
    return pn.serve(
        routes,
        address=address,
        port=port,
        show=show,
        threaded=threaded,
        extra_patterns=static,
        websocket_origin=origins,
        title={route: f"rlx · {title}" for route, (title, _) in PAGES.items()},
    )
