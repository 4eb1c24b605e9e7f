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
    "refuse_given",
    "resolve_root",
    "share",
    "split_list",
    "url",
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


def at_least(minimum: float, help: str, *names: str) -> Any:
    """An option whose value must be ``>= minimum`` (``names``: its flags, if not derived)."""
    return typer.Option(*names, help=help, min=minimum)


def above(minimum: float, help: str, *names: str, maximum: float | None = None) -> Any:
    """An option whose value must be ``> minimum`` (and ``<= maximum`` when given)."""
    bounds = f"x>{minimum}" + (f", x<={maximum}" if maximum is not None else "")

    def check(value: float | None) -> float | None:
        if value is not None and not (minimum < value <= (maximum or float("inf"))):
            msg = f"{value} is not in the range {bounds}."
            raise typer.BadParameter(msg)
        return value

    return typer.Option(*names, help=f"{help} [{bounds}]", callback=check)


def share(help: str, *names: str) -> Any:
    """An option holding a share, from 0 to 1."""
    return typer.Option(*names, help=help, min=0.0, max=1.0)


def port(help: str, *names: str, any_free: bool = False) -> Any:
    """A TCP port option: 1 to 65535 (0 too, meaning any free port, when ``any_free``)."""
    return typer.Option(*names, help=help, min=0 if any_free else 1, max=65535)


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


def url(value: str, *, option: str, schemes: tuple[str, ...]) -> str:
    """A URL with one of ``schemes`` and a host (``wss://stream.binance.com:9443``), checked."""
    from urllib.parse import urlsplit

    shown = repr(value) if "@" not in value else "(a URL with credentials, not shown)"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError as error:
        msg = f"{option} {shown} is not a valid URL: {error}"
        raise ConfigError(msg) from None
    if parts.scheme not in schemes or not parts.hostname:
        msg = f"{option} must be a {'/'.join(schemes)}://host[:port] URL, received {shown}"
        raise ConfigError(msg)
    return value


def refuse_given(ctx: typer.Context, names: list[str], *, because: str) -> None:
    """Refuse options the user gave that have no effect in this mode (never accept and
    ignore one): ``names`` are parameter names, ``because`` says which mode."""
    given = [
        "--" + name.replace("_", "-")
        for name in names
        if getattr(ctx.get_parameter_source(name), "name", None) == "COMMANDLINE"
    ]
    if given:
        msg = f"{', '.join(given)} {'has' if len(given) == 1 else 'have'} no effect {because}"
        raise ConfigError(msg)
