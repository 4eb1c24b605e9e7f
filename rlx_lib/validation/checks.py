"""Data-quality checks over golden samples: one streaming pass, every finding an ``ISSUE`` row.

Per Binance symbol (``BTCUSDT``) the validator follows:

- depth diffs: continuity of ``U..u`` (gaps, late and duplicated messages, see
  :mod:`rlx_lib.validation.sequence`) and the official sync rules after each REST snapshot
  (:class:`~rlx_lib.venues.binance.DepthSync`); the book is rebuilt exactly and checked for
  crossing after every applied diff (:mod:`rlx_lib.validation.depth`);
- trades and aggregate trades: id continuity (``t``, ``a``; :mod:`rlx_lib.validation.trades`);
- ``bookTicker``: the rebuilt top of book after update id ``X`` against the last bookTicker
  with ``u <= X`` (:mod:`rlx_lib.validation.tickers`);
- the capture clock: latency ``capture_ns - E`` (distribution, negative, jumps) and capture
  time running backwards within a file (:mod:`rlx_lib.validation.clock`).

Lines reach the checkers through a compiled scan per block (:mod:`rlx_lib.validation.batch`)
or, for blocks the scan cannot read, one decoded line at a time
(:mod:`rlx_lib.validation.lines`). Findings are capped per symbol and check (``max_rows``);
the counters stay exact.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

from rlx_lib.catalog import binance_symbol
from rlx_lib.golden import ReadReport, iter_line_blocks
from rlx_lib.validation.batch import BlockReader
from rlx_lib.validation.checkers import Checkers
from rlx_lib.validation.lines import LineReader
from rlx_lib.validation.state import SymbolState, Where
from rlx_lib.venues import MARKETS, market_of_exchange
from rlx_lib.venues.binance import SPOT

__all__ = ["PATH_SYMBOL", "GoldenValidator", "Position"]

PATH_SYMBOL = re.compile(r"symbol=([A-Z0-9-]+)")
"""The Lake symbol in a golden file's path (``symbol=BTC-USDT``)."""
_PATH_EXCHANGE = re.compile(r"exchange=([A-Z0-9_]+)")


class Position(NamedTuple):
    """How far validation got: a file and the lines of it already read."""

    source: str
    lines: int


class GoldenValidator:
    """Validate golden files in one streaming pass; call :meth:`add_file`, then :meth:`finish`.

    Parameters
    ----------
    window
        Messages a hole may stay open before it counts as a gap (late arrivals fill it).
    jump_ms
        Change of capture latency between consecutive messages reported as a clock jump.
    max_rows
        Issue rows kept per symbol and check; counters are never capped.
    """

    def __init__(self, *, window: int = 1000, jump_ms: int = 1000, max_rows: int = 1000) -> None:
        self.window = window
        self.jump_ms = jump_ms
        self.max_rows = max_rows
        self.checkers = Checkers.build(window=window, jump_ms=jump_ms, max_rows=max_rows)
        self.lines = LineReader(self.checkers)
        self.blocks = BlockReader(self.checkers, self.lines)
        self.reports: list[ReadReport] = []
        self.files_done: list[str] = []
        self.position: Position | None = None  # reached inside a file (for resume)
        self._finished = False
        self._read_issues = 0  # issues found while reading, before finish() adds its own

    @property
    def states(self) -> dict[str, SymbolState]:
        """Spot symbols' states, by Binance symbol."""
        return self.checkers.symbols.spot

    @property
    def futures_states(self) -> dict[str, SymbolState]:
        """USD-M futures symbols' states, by Binance symbol."""
        return self.checkers.symbols.futures

    @property
    def issues(self) -> list[dict[str, object]]:
        """Issue rows so far, in the order found."""
        return self.checkers.findings.rows

    @classmethod
    def merged(cls, parts: list[GoldenValidator]) -> GoldenValidator:
        """One finished validator from finished ones over disjoint symbols and files: what one
        validator reading their files in turn would hold (issues found while reading, part by
        part, then those found when finishing)."""
        last = parts[-1] if parts else cls()
        whole = cls(window=last.window, jump_ms=last.jump_ms, max_rows=last.max_rows)
        whole._finished = True
        findings = whole.checkers.findings
        for part in parts:
            whole.states.update(part.states)
            whole.futures_states.update(part.futures_states)
            findings.rows += part.issues[: part._read_issues]
            whole.reports += part.reports
            whole.files_done += part.files_done
            findings.counts.update(part.checkers.findings.counts)
        whole._read_issues = len(findings.rows)
        for part in parts:
            findings.rows += part.issues[part._read_issues :]
        return whole

    def add_files(self, paths: Iterable[Path]) -> None:
        """Validate files in order (hours of one symbol must follow each other)."""
        for path in paths:
            if str(path) not in self.files_done:
                self.add_file(path)

    def add_file(
        self,
        path: Path,
        *,
        skip_lines: int = 0,
        checkpoint: Callable[[GoldenValidator], None] | None = None,
        every: int = 200_000,
    ) -> ReadReport:
        """Validate one golden file, continuing the state left by earlier files.

        Lines are read in blocks through a compiled scan (:mod:`rlx_lib.validation.batch`);
        a block holding any non-canonical line is read line by line with the typed decoder.
        ``skip_lines`` resumes inside a file; ``checkpoint(validator)`` is called about every
        ``every`` lines.
        """
        source = str(path)
        report = ReadReport(source)
        exchange = _PATH_EXCHANGE.search(source)
        self.checkers.symbols.market = market_of_exchange(exchange.group(1)) if exchange else SPOT
        match = PATH_SYMBOL.search(source)
        file_symbols = {binance_symbol(match.group(1)).upper()} if match else set()
        self.lines.previous_capture = 0
        number = 0  # lines before the current block
        next_checkpoint = skip_lines + every
        for block in iter_line_blocks(Path(path), report):
            count = block.count(b"\n")
            if number + count <= skip_lines:
                number += count
                continue
            if number < skip_lines:  # resume inside this block
                block, count = _skip(block, skip_lines - number), count - (skip_lines - number)
                number = skip_lines
            self.blocks.block(block, count, number + 1, source, file_symbols)
            number += count
            if checkpoint is not None and number >= next_checkpoint:
                self.position = Position(source, number)
                checkpoint(self)
                next_checkpoint = number + every
        self._file_damage(report, file_symbols)
        self.reports.append(report)
        self.files_done.append(source)
        self.position = None
        return report

    def _file_damage(self, report: ReadReport, symbols: set[str]) -> None:
        findings = self.checkers.findings
        symbol = ",".join(sorted(symbols))
        for check, severity, line, detail in report.findings():
            findings.add(check, severity, symbol, detail, Where(report.path, line))
        for number, why in report.bad_lines:
            if why.startswith("truncated last line"):
                findings.add("broken_last_line", "error", symbol, why, Where(report.path, number))

    def finish(self) -> None:
        """Close open holes and compare the last book states (each symbol's final findings)."""
        if self._finished:
            return
        self._finished = True
        self._read_issues = len(self.issues)
        checks = self.checkers
        for state in checks.symbols.all():
            checks.symbols.market = MARKETS[state.market]
            checks.findings.gaps(state, "depth", state.depth_ids.close())
            checks.findings.gaps(state, "trade", state.trade_ids.close())
            checks.findings.gaps(state, "agg_trade", state.agg_ids.close())
            checks.tickers.finish(state)
            checks.clock.finish(state)
            if state.counts["depth_messages"] and not state.counts["snapshots"]:
                checks.findings.add(
                    "no_snapshot",
                    "warning",
                    state.symbol,
                    "depth diffs but no depth snapshot: the book cannot be rebuilt",
                )


def _skip(block: bytes, lines: int) -> bytes:
    """``block`` without its first ``lines`` lines."""
    cut = 0
    for _ in range(lines):
        cut = block.index(b"\n", cut) + 1
    return block[cut:]
