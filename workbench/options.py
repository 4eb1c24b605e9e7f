"""Options shared by every ``rlx`` command, and small helpers to read them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["DataRootOption", "resolve_root", "split_list"]

DataRootOption = Annotated[
    Path | None,
    typer.Option(
        "--data-root",
        help="Data root (default: $RLX_DATA_ROOT, then ./data).",
        show_default=False,
    ),
]


def resolve_root(value: Path | None) -> Path:
    """The data root from the option, the environment, or ``./data``."""
    from rlx_lib.catalog import data_root

    return data_root(value)


def split_list(value: str) -> list[str]:
    """Split a comma-separated option (``BTC-USDT,ETH-USDT``) into its items."""
    return [item.strip() for item in value.split(",") if item.strip()]
