"""Import other recorders' Binance captures as golden samples.

- hftbacktest's collector: ``<recv_ns> <raw text>`` lines (gzip), combined-stream frames plus
  REST ``/api/v3/depth`` bodies, which carry no stream and no symbol: they become
  ``<sym>@depthSnapshot`` records, the symbol from ``symbol=``, the file name
  (``btcusdt_20240808.gz``) or the streams seen so far.
- cryptofeed's raw recorder: ``BINANCE.ws.*`` (a ``<url> <-> <time>`` first line, then
  ``<time>: <frame>``) and ``BINANCE.http.*`` (``<url> -> <time>: <body>``), times in float
  seconds converted exactly.

Receive times may be s, ms, us or ns. Old message shapes pass through untouched (``data`` is
spliced byte for byte). The market (spot or USD-M futures) is told from the streams and fields
(:func:`rlx_lib.venues.market_of_message`) and decides where the files go
(``exchange=BINANCE_FUTURES``, ``symbol=BTC-USDT-PERP``); a capture that mixes markets, or holds
none rlx knows, is refused. A truncated last line or compressed stream ends a file early and is
noted in its :class:`~rlx_lib.golden.ReadReport`.
"""

from __future__ import annotations

import heapq
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, urlparse

import orjson

from rlx_lib.capture.envelope import split_envelope, to_nanoseconds
from rlx_lib.capture.results import ImportResult, ImportRow
from rlx_lib.catalog import lake_symbol
from rlx_lib.errors import ConfigError, OverwriteError, ParseError
from rlx_lib.golden import (
    GoldenRecord,
    ReadReport,
    golden_path,
    iter_lines,
    iter_records,
    json_object,
    write_golden_file,
)
from rlx_lib.results import Progress, ProgressCallback
from rlx_lib.venues import MARKETS, Market, market_of_message, market_of_symbol, raw_stream
from rlx_lib.venues.binance import SESSION_STREAM, SNAPSHOT_SUFFIX, split_stream

__all__ = [
    "FORMATS",
    "import_capture",
    "read_cryptofeed",
    "read_hftbacktest",
    "record_symbol",
]

log = logging.getLogger(__name__)

Format = Literal["hftbacktest", "cryptofeed"]
FORMATS: tuple[str, ...] = ("hftbacktest", "cryptofeed")
_FILE_SYMBOL = re.compile(r"^([A-Za-z0-9]+)_")


def _snapshot_record(capture_ns: int, symbol: str, body: bytes) -> GoldenRecord:
    return GoldenRecord(capture_ns, f"{symbol.lower()}@{SNAPSHOT_SUFFIX}", body)


def read_hftbacktest(
    path: Path | str, *, symbol: str | None = None, report: ReadReport | None = None
) -> Iterator[GoldenRecord]:
    """Yield golden records from one hftbacktest collector file (``<recv> <raw>`` lines).

    Parameters
    ----------
    path
        A ``.gz``, ``.zst`` or plain file.
    symbol
        Binance symbol of REST snapshot lines (default: from the file name, else the streams).
    report
        Filled with lines read, bad lines and truncation.
    """
    path = Path(path)
    report = report if report is not None else ReadReport(str(path))
    match = _FILE_SYMBOL.match(path.name)
    current = symbol or (match.group(1) if match else None)
    for line in iter_lines(path, report):
        token, _, text = line.partition(b" ")
        if not text.strip():
            if line.strip():
                report.bad_lines.append((report.lines, "no message after the receive time"))
            continue
        try:
            capture_ns = to_nanoseconds(token)
        except ValueError:
            report.bad_lines.append((report.lines, f"bad receive time {token[:30]!r}"))
            continue
        envelope = split_envelope(text.strip())
        if envelope is not None:
            stream, raw, _ = envelope
            if current is None and not stream.startswith("!"):
                current = split_stream(stream)[0]
            yield GoldenRecord(capture_ns, stream, raw)
            continue
        record = _bare_record(capture_ns, text.strip(), current)
        if record is None:
            report.bad_lines.append((report.lines, "not a Binance message or snapshot"))
            continue
        yield record


def _bare_record(capture_ns: int, text: bytes, symbol: str | None) -> GoldenRecord | None:
    """A REST snapshot or a raw single-stream payload, or None."""
    data = json_object(text)
    if data is None:
        return None
    if "lastUpdateId" in data:
        if symbol is None:
            msg = "a REST snapshot line needs a symbol: pass symbol= (--symbol)"
            raise ParseError(msg)
        return _snapshot_record(capture_ns, symbol, text)
    stream = raw_stream(data)
    return GoldenRecord(capture_ns, stream, text) if stream else None


def _read_cryptofeed_file(path: Path, report: ReadReport) -> Iterator[GoldenRecord]:
    connected: list[str] = []
    for line in iter_lines(path, report):
        if not line.strip():
            continue
        head, arrow, rest = line.partition(b" -> ")
        if arrow and head.startswith(b"http"):  # REST: <url> -> <time>: <body>
            stamp, _, body = rest.partition(b": ")
            query = parse_qs(urlparse(head.decode()).query)
            symbols = query.get("symbol")
            try:
                capture_ns = to_nanoseconds(stamp)
            except ValueError:
                report.bad_lines.append((report.lines, "bad REST receive time"))
                continue
            if not symbols or b"lastUpdateId" not in body:
                report.bad_lines.append((report.lines, "REST line is not a depth snapshot"))
                continue
            yield _snapshot_record(capture_ns, symbols[0], body.strip())
            continue
        url, link, stamp = line.partition(b" <-> ")
        if link:  # the connection line: <url> <-> <connect time>
            streams = parse_qs(urlparse(url.decode()).query).get("streams", [""])[0]
            connected = sorted({s.split("@", 1)[0] for s in streams.split("/") if "@" in s})
            note = {"event": "connected", "url": url.decode(), "recorder": "cryptofeed"}
            try:
                capture_ns = to_nanoseconds(stamp)
            except ValueError:
                report.bad_lines.append((report.lines, "bad connect time"))
                continue
            for symbol in connected:
                data = orjson.dumps({**note, "symbol": symbol.upper()})
                yield GoldenRecord(capture_ns, SESSION_STREAM, data)
            continue
        stamp, colon, frame = line.partition(b": ")
        envelope = split_envelope(frame.strip()) if colon else None
        try:
            capture_ns = to_nanoseconds(stamp)
        except ValueError:
            envelope = None
        if envelope is None:
            report.bad_lines.append((report.lines, "not a cryptofeed frame line"))
            continue
        yield GoldenRecord(capture_ns, envelope[0], envelope[1])


def read_cryptofeed(
    paths: Iterable[Path | str], *, reports: list[ReadReport] | None = None
) -> Iterator[GoldenRecord]:
    """Yield golden records from cryptofeed raw files (``BINANCE.ws.*``, ``BINANCE.http.*``),
    merged in receive-time order.

    The connection line of a ``ws`` file becomes a ``_session`` ``connected`` record for each
    symbol of the connection.
    """
    readers = []
    for path in map(Path, paths):
        report = ReadReport(str(path))
        if reports is not None:
            reports.append(report)
        readers.append(_read_cryptofeed_file(path, report))
    yield from heapq.merge(*readers, key=lambda record: record.capture_ns)


def record_symbol(record: GoldenRecord) -> str | None:
    """The Binance symbol a record belongs to (``None`` for a connection-wide record)."""
    if record.stream == SESSION_STREAM:
        symbol = orjson.loads(record.data).get("symbol")
        return symbol.lower() if isinstance(symbol, str) else None
    if record.stream.startswith("!"):
        return None
    return split_stream(record.stream)[0]


def import_capture(
    root: Path,
    *,
    paths: Iterable[Path | str],
    format: Format,
    symbol: str | None = None,
    force: bool = False,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Convert recorder files (``format``: hftbacktest or cryptofeed) into golden files under
    ``root``, one per symbol and hour; one row per golden file.

    Pass every file of one capture in one call (they are merged by receive time). ``symbol``
    (a Binance symbol) owns every record when given. A golden file that exists with the same
    records is left alone; with other records it raises :class:`OverwriteError` unless
    ``force``.
    """
    paths = _input_files(paths)
    reports: list[ReadReport] = []
    records: Counter[str] = Counter()
    by_symbol = _by_symbol(_read(paths, format, symbol, reports), symbol, records)
    chosen = _capture_market(by_symbol, paths)
    groups = sorted(_golden_groups(Path(root), by_symbol, chosen).items())
    rows = []
    for done, (path, (name, group)) in enumerate(groups, 1):
        status = _write_group(path, group, force=force)
        rows.append(ImportRow(path=str(path), symbol=name, records=len(group), status=status))
        if progress is not None:
            progress(Progress("import", path.name, done, len(groups), status))
    for report in reports:
        if not report.clean:
            log.warning(
                "%s: %d bad lines, %s", report.path, len(report.bad_lines), report.truncated
            )
    return ImportResult(
        rows=tuple(rows), market=chosen.name, records=dict(records), reports=tuple(reports)
    )


def _input_files(paths: Iterable[Path | str]) -> list[Path]:
    files = [Path(p) for p in paths]
    if not files:
        msg = "no files to import"
        raise ConfigError(msg)
    for path in files:
        if not path.is_file():
            msg = f"no such file to import: {path}"
            raise ConfigError(msg)
    return files


def _read(
    paths: list[Path], fmt: str, symbol: str | None, reports: list[ReadReport]
) -> Iterable[GoldenRecord]:
    """Every record of the files in receive-time order; one report per file."""
    if fmt == "hftbacktest":
        readers = []
        for path in paths:
            report = ReadReport(str(path))
            reports.append(report)
            readers.append(read_hftbacktest(path, symbol=symbol, report=report))
        return heapq.merge(*readers, key=lambda r: r.capture_ns)
    if fmt == "cryptofeed":
        return read_cryptofeed(paths, reports=reports)
    msg = f"import format must be one of {', '.join(FORMATS)}, received {fmt!r}"
    raise ConfigError(msg)


def _by_symbol(
    records: Iterable[GoldenRecord], symbol: str | None, counts: Counter[str]
) -> dict[str, list[GoldenRecord]]:
    """Records by the Binance symbol they belong to (``symbol`` when given); connection-wide
    records without one are left out. ``counts`` gets the records per stream."""
    by_symbol: dict[str, list[GoldenRecord]] = defaultdict(list)
    for record in records:
        owner = symbol if symbol and record.stream != SESSION_STREAM else record_symbol(record)
        if owner is None:
            continue
        by_symbol[owner].append(record)
        counts[record.stream] += 1
    return by_symbol


def _golden_groups(
    root: Path, by_symbol: dict[str, list[GoldenRecord]], chosen: Market
) -> dict[Path, tuple[str, list[GoldenRecord]]]:
    """Golden file -> (symbol, its records)."""
    groups: dict[Path, tuple[str, list[GoldenRecord]]] = {}
    for owner, owned in by_symbol.items():
        name = lake_symbol(owner, market=chosen.name)
        if market_of_symbol(name) is not chosen:
            msg = f"symbol {name} is not a {chosen.name} symbol, but the capture is {chosen.name}"
            raise ConfigError(msg)
        for record in owned:
            path = golden_path(root, symbol=name, capture_ns=record.capture_ns)
            groups.setdefault(path, (name, []))[1].append(record)
    return groups


def _write_group(path: Path, group: list[GoldenRecord], *, force: bool) -> str:
    """Write one golden file: ``"written"``, or ``"unchanged"`` when it holds these records."""
    if path.exists():
        if list(iter_records(path)) == group:
            return "unchanged"
        if not force:
            msg = (
                f"{path} exists with other records; import all files of a capture "
                "together, or pass --force to replace it"
            )
            raise OverwriteError(msg)
    write_golden_file(path, group)
    return "written"


def _capture_market(by_symbol: dict[str, list[GoldenRecord]], paths: list[Path]) -> Market:
    """The one market of a capture's records; a mix, or no market at all, is refused."""
    seen: dict[str, str] = {}
    for records in by_symbol.values():
        for record in records:
            found = market_of_message(record.stream, record.data)
            if found is not None and found.name not in seen:
                seen[found.name] = record.stream
    where = ", ".join(path.name for path in paths)
    if len(seen) > 1:
        shown = "; ".join(f"{stream} is {name}" for name, stream in seen.items())
        msg = f"{where} mixes markets ({shown}): import each market's capture on its own"
        raise ParseError(msg)
    if not seen:
        msg = f"{where}: no Binance spot or USD-M futures market data found to import"
        raise ParseError(msg)
    return MARKETS[next(iter(seen))]
