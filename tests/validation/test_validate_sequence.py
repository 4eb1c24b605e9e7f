"""Id continuity: drops are gaps, neighbour swaps are late arrivals, repeats are duplicates."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rlx_lib.validation.sequence import IdSequence, Verdict


def _run(ids: list[int], window: int = 1000) -> tuple[list[Verdict], list[tuple[int, int]]]:
    sequence = IdSequence(window)
    verdicts, gaps = [], []
    for position, value in enumerate(ids):
        verdict, holes = sequence.observe(value, value, position)
        verdicts.append(verdict)
        gaps += [(hole.first, hole.last) for hole in holes]
    gaps += [(hole.first, hole.last) for hole in sequence.close()]
    return verdicts, gaps


@settings(max_examples=300, deadline=None)
@given(
    length=st.integers(min_value=3, max_value=200),
    drops=st.sets(st.integers(min_value=1, max_value=198), max_size=10),
)
def test_each_run_of_dropped_ids_is_one_gap(length: int, drops: set[int]) -> None:
    dropped = {d for d in drops if d < length - 1}
    ids = [i for i in range(length) if i not in dropped]
    verdicts, gaps = _run(ids)
    runs = sorted(dropped)
    expected = []
    for value in runs:
        if expected and expected[-1][1] == value - 1:
            expected[-1] = (expected[-1][0], value)
        else:
            expected.append((value, value))
    assert sorted(gaps) == expected
    assert Verdict.LATE not in verdicts
    assert Verdict.DUPLICATE not in verdicts


@settings(max_examples=300, deadline=None)
@given(
    length=st.integers(min_value=4, max_value=200),
    swaps=st.sets(st.integers(min_value=1, max_value=196), max_size=8),
    repeats=st.sets(st.integers(min_value=0, max_value=199), max_size=5),
)
def test_swaps_are_late_and_repeats_are_duplicates(
    length: int, swaps: set[int], repeats: set[int]
) -> None:
    ids = list(range(length))
    chosen = []
    for index in sorted(swaps):
        if index + 1 < length - 1 and all(abs(index - other) > 2 for other in chosen):
            chosen.append(index)
            ids[index], ids[index + 1] = ids[index + 1], ids[index]
    stream = []
    repeated = {r for r in repeats if r < length}
    for value in ids:
        stream.append(value)
        if value in repeated:
            stream.append(value)
    verdicts, gaps = _run(stream)
    assert gaps == []
    assert verdicts.count(Verdict.LATE) == len(chosen)
    assert verdicts.count(Verdict.DUPLICATE) == len(repeated)


def test_a_hole_left_open_past_the_window_is_a_gap_even_if_filled_later() -> None:
    ids = [0, 1, 3, *range(4, 20), 2, 2]
    verdicts, gaps = _run(ids, window=5)
    assert gaps == [(2, 2)]
    assert verdicts[-2] is Verdict.LATE  # too late: the gap was already reported
    assert verdicts[-1] is Verdict.LATE
