"""Continuity of one id stream (depth ``U..u`` ranges, trade ids) with late arrivals told apart.

A message whose first id is beyond ``last + 1`` opens a *hole*. A later message that falls
inside a hole arrived out of order and fills it; one whose ids were already seen is a
duplicate. A hole still open ``window`` messages after it opened (or at the end) is a gap; a
message arriving even later inside a recent gap is still called late, not a duplicate.
So two swapped lines are one out-of-order message, not a gap, and a dropped line is one gap.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Hole", "IdSequence", "Verdict"]


class Verdict(enum.Enum):
    """What one message's ids say about the stream."""

    NEXT = "next"  # the ids follow on (or the first message)
    AHEAD = "ahead"  # ids were skipped: a hole opened before this message
    LATE = "late"  # the ids sit inside an open hole: out of order
    DUPLICATE = "duplicate"  # the ids were already seen
    OVERLAP = "overlap"  # the range overlaps what was seen and goes on past it


@dataclass
class Hole:
    """Missing ids ``first..last`` noticed at ``where`` (opaque: the caller's position)."""

    first: int
    last: int
    opened_at: int  # message count when it opened
    where: Any = None

    @property
    def size(self) -> int:
        """Number of missing ids."""
        return self.last - self.first + 1


@dataclass
class IdSequence:
    """Track one stream's ids; call :meth:`observe` per message and :meth:`close` at the end."""

    window: int = 1000
    last: int | None = None
    count: int = 0
    holes: list[Hole] = field(default_factory=list)
    expired: list[Hole] = field(default_factory=list)  # recent gaps, to tell late from repeated

    def observe(self, first: int, last: int, where: Any = None) -> tuple[Verdict, list[Hole]]:
        """Judge a message with ids ``first..last``; also return holes now old enough to be gaps."""
        self.count += 1
        previous = self.last
        if previous is None or first == previous + 1:
            verdict = Verdict.NEXT
            self.last = last
        elif first > previous + 1:
            self.holes.append(Hole(previous + 1, first - 1, self.count, where))
            verdict = Verdict.AHEAD
            self.last = last
        elif last <= previous:
            late = self._fill(first, last) or any(
                first <= hole.last and last >= hole.first for hole in self.expired
            )
            verdict = Verdict.LATE if late else Verdict.DUPLICATE
        else:
            verdict = Verdict.OVERLAP
            self.last = last
        return verdict, self._expired() if self.holes else []

    def close(self) -> list[Hole]:
        """Every hole still open: the gaps that were never filled."""
        holes, self.holes = self.holes, []
        return holes

    def _fill(self, first: int, last: int) -> bool:
        for index, hole in enumerate(self.holes):
            if first <= hole.last and last >= hole.first:
                pieces = []
                if first > hole.first:
                    pieces.append(Hole(hole.first, first - 1, hole.opened_at, hole.where))
                if last < hole.last:
                    pieces.append(Hole(last + 1, hole.last, hole.opened_at, hole.where))
                self.holes[index : index + 1] = pieces
                return True
        return False

    def _expired(self) -> list[Hole]:
        horizon = self.count - self.window
        if self.holes[0].opened_at > horizon:
            return []
        expired = [hole for hole in self.holes if hole.opened_at <= horizon]
        self.holes = [hole for hole in self.holes if hole.opened_at > horizon]
        self.expired = (self.expired + expired)[-64:]
        return expired
