"""The real capture rewritten into the older trade shape validates exactly like the original.

Before 2024-06-18 Binance trades carried ``b`` and ``a`` (the buyer's and the seller's order
ids). ``a`` is an aggregate-trade id only on ``@aggTrade``: read on ``@trade`` it would
overwrite the trade id and report a clean capture as broken.
"""

from __future__ import annotations

from pathlib import Path

from rlx_lib.golden import GoldenRecord, golden_files, iter_records, write_golden_file
from rlx_lib.validation.resume import validate_golden


def _old_shape(record: GoldenRecord, order_id: int) -> GoldenRecord:
    if not record.stream.endswith("@trade"):
        return record
    head, sep, tail = record.data.partition(b',"T":')
    assert sep, record.data
    data = b'%s,"b":%d,"a":%d%s%s' % (head, order_id, order_id + 7, sep, tail)
    return GoldenRecord(record.capture_ns, record.stream, data)


def test_older_trade_shape_gives_the_original_counts(real_golden: Path, tmp_path: Path) -> None:
    original = real_golden / "golden"
    copy = tmp_path / "golden"
    rewritten = 0
    for path in golden_files([original]):
        records = [
            _old_shape(record, 19_000_000_000 + 3 * index)
            for index, record in enumerate(iter_records(path))
        ]
        rewritten += sum(b'"b":' in r.data and r.stream.endswith("@trade") for r in records)
        write_golden_file(copy / path.relative_to(original), records)
    assert rewritten == 9757 + 10147

    before = validate_golden([original]).symbols["BTCUSDT"]
    after = validate_golden([copy]).symbols["BTCUSDT"]
    assert after["trade_messages"] == 9757 + 10147
    assert (after["trade_id_gaps"], after["duplicates"], after["out_of_order"]) == (0, 0, 0)
    assert after == before
