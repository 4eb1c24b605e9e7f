"""Pages of the Panel app (``rlx serve``): each module has ``page(database, *, reports_dir)``."""

from __future__ import annotations

__all__: list[str] = []
