"""Options shared by every ``rlx`` command, and the one place their values are checked.

Numbers get their ranges here (``at_least``, ``above``, ``share``, ``port``), checked by the
parser before a command runs (a value out of range is a usage error, exit 2); the data root,
symbol lists and day ranges are checked by the helpers below (a bad one is one ``RlxError``
line, exit 1), so no command loops over millions of days or runs with no symbol.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from rlx_lib.errors import ConfigError

__all__ = [
    "MAX_DAYS",
    "DataRootOption",
    "LimitOption",
    "above",
    "at_least",
    "day_span",
    "items",
    "lake_symbols",
    "port",
    "resolve_root",
    "share",
    "split_list",
]

MAX_DAYS = 5 * 366
"""The longest day range one command takes (about five years): split longer ones."""

DataRootOption = Annotated[
    Path | None,
    typer.Option(
        "--data-root",
        help="Data root (default: $RLX_DATA_ROOT, then ./data).",
        show_default=False,
    ),
]

LimitOption = Annotated[
    int | None,
    typer.Option(
        "--limit",
        help="At most this many rows (default: 10,000 for --format table, all otherwise).",
        min=1,
        show_default=False,
    ),
]


def at_least(minimum: float, help: str) -> Any:
    """An option whose value must be ``>= minimum``."""
    return typer.Option(help=help, min=minimum)


def above(minimum: float, help: str, *, maximum: float | None = None) -> Any:
    """An option whose value must be ``> minimum`` (and ``<= maximum`` when given)."""
    return typer.Option(help=help, min=minimum, min_open=True, max=maximum)


def share(help: str) -> Any:
    """An option holding a share, from 0 to 1."""
    return typer.Option(help=help, min=0.0, max=1.0)


def port(help: str, *, any_free: bool = False) -> Any:
    """A TCP port option: 1 to 65535 (0 too, meaning any free port, when ``any_free``)."""
    return typer.Option(help=help, min=0 if any_free else 1, max=65535)


def resolve_root(value: Path | None) -> Path:
    """The data root from the option, the environment, or ``./data``; never a file."""
    from rlx_lib.catalog import data_root

    root = data_root(value)
    if root.exists() and not root.is_dir():
        msg = f"the data root {root} is a file, not a folder (--data-root or RLX_DATA_ROOT)"
        raise ConfigError(msg)
    return root


def split_list(value: str) -> list[str]:
    """Split a comma-separated option (``BTC-USDT,ETH-USDT``) into its items."""
    return [item.strip() for item in value.split(",") if item.strip()]


def items(value: str, *, option: str) -> list[str]:
    """The items of a comma-separated option that must name at least one."""
    found = split_list(value)
    if not found:
        msg = f"{option} is empty: name at least one, comma-separated"
        raise ConfigError(msg)
    return found


def lake_symbols(value: str, *, option: str = "--symbols") -> list[str]:
    """Lake-style symbols (``BTC-USDT,ETH-USDT``): at least one, each checked."""
    from rlx_lib.catalog import validate_symbol

    return [validate_symbol(symbol) for symbol in items(value, option=option)]


def day_span(start: str | dt.date, end: str | dt.date) -> tuple[dt.date, dt.date]:
    """``--start``/``--end`` as UTC days, end exclusive, at most :data:`MAX_DAYS` apart."""
    from rlx_lib.catalog import parse_day

    first, stop = parse_day(start), parse_day(end)
    if stop <= first:
        msg = f"--end ({stop}) must be after --start ({first}); --end is exclusive"
        raise ConfigError(msg)
    days = (stop - first).days
    if days > MAX_DAYS:
        msg = (
            f"--start {first} to --end {stop} spans {days:,} days; one run takes at most "
            f"{MAX_DAYS:,} (about five years): split the range"
        )
        raise ConfigError(msg)
    return first, stop
