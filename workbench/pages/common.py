"""Small pieces every page uses: the message for absent data and chart panes."""

from __future__ import annotations

import html

import altair as alt
import panel as pn

__all__ = ["absent", "chart", "heading"]


def absent(what: str, *, command: str) -> pn.pane.Alert:
    """An explanation in place of a page whose data does not exist yet."""
    return pn.pane.Alert(
        f"No {html.escape(what)} under this data root yet. Run `{html.escape(command)}` "
        "(or `rlx demo`) and reload this page.",
        alert_type="info",
    )


def heading(title: str, text: str) -> pn.pane.Markdown:
    """A page title and one paragraph on what the page shows."""
    return pn.pane.Markdown(f"## {html.escape(title)}\n\n{text}", sizing_mode="stretch_width")


def chart(spec: alt.TopLevelMixin, **options: object) -> pn.pane.Vega:
    """An Altair chart as a Panel pane, stretched to the page width."""
    from workbench.charts import as_svg

    options.setdefault("sizing_mode", "stretch_width")
    return pn.pane.Vega(as_svg(spec), **options)
