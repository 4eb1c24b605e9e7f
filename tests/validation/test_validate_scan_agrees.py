"""Property: the compiled validation scan and the typed decoder agree on kind and ids.

Messages of every kind and market are generated with optional fields (old trades' ``b``/``a``,
``M``, ``X``, bookTicker ``e``/``E``/``T``, futures ``pu``), any key order, and sometimes an
``e`` that contradicts the stream. Where the scan reads a line (``ok``), its kind and ids are
the typed decoder's; a line in Binance's own key order is always read by the scan.
"""

from __future__ import annotations

import msgspec
import numpy as np
import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from rlx_lib.golden import format_record
from rlx_lib.validation.lines import payload_ids
from rlx_lib.validation.loader import GoldenMessage
from rlx_lib.validation.scan import FIELDS, scan_block
from rlx_lib.venues import MARKETS
from rlx_lib.venues.binance import EVENTS, KINDS

ids = st.integers(0, 2**62)
decimals = st.integers(0, 10**12).map(lambda units: f"{units // 10**8}.{units % 10**8:08d}")
levels = st.lists(st.tuples(decimals, decimals).map(list), max_size=3)
_DECODER = msgspec.json.Decoder(GoldenMessage)
_MISSING = np.iinfo(np.int64).min
_READ = {  # the ids the scan reads for each kind
    "depth": ("E", "U", "u", "pu"),
    "trade": ("E", "T", "id"),
    "agg_trade": ("E", "T", "id"),
    "book_ticker": ("u",),
    "mark_price": ("E", "T"),
}


@st.composite
def messages(draw: st.DrawFn) -> tuple[str, str, dict]:
    market = draw(st.sampled_from(sorted(MARKETS)))
    futures = market == "usdm"
    suffix = draw(st.sampled_from(sorted(MARKETS[market].kinds)))
    kind = MARKETS[market].kinds[suffix]
    fields: dict = {"e": EVENTS.get(kind), "E": draw(ids), "s": "BTCUSDT"}
    if kind == "depth":
        fields |= {"U": draw(ids), "u": draw(ids), "b": draw(levels), "a": draw(levels)}
        if futures:
            fields |= {"T": draw(ids), "pu": draw(ids)}
    elif kind in ("trade", "agg_trade"):
        key = "t" if kind == "trade" else "a"
        fields |= {key: draw(ids), "p": draw(decimals), "q": draw(decimals), "T": draw(ids)}
        fields |= {"m": draw(st.booleans())}
        if kind == "trade" and not futures and draw(st.booleans()):
            fields |= {"b": draw(ids), "a": draw(ids)}  # before 2024-06-18
        if kind == "agg_trade":
            fields |= {"f": draw(ids), "l": draw(ids)}
        if draw(st.booleans()):
            fields |= {"X": "MARKET"} if futures else {"M": True}
    elif kind == "book_ticker":
        fields |= {"u": draw(ids), "b": draw(decimals), "B": draw(decimals)}
        fields |= {"a": draw(decimals), "A": draw(decimals)}
        if futures or draw(st.booleans()):
            fields |= {"T": draw(ids), "E": draw(ids)}
        else:
            del fields["e"], fields["E"]
    elif kind == "mark_price":
        fields |= {"p": draw(decimals), "i": draw(decimals), "r": "0.0001", "T": draw(ids)}
    else:  # snapshot
        fields = {"lastUpdateId": draw(ids), "bids": draw(levels), "asks": draw(levels)}
    if "e" in fields and draw(st.integers(0, 9)) == 0:
        fields["e"] = draw(st.sampled_from(["trade", "aggTrade", "depthUpdate", "kline"]))
    shuffled = draw(st.booleans())
    if shuffled:
        fields = dict(draw(st.permutations(list(fields.items()))))
    return market, f"btcusdt@{suffix}", {"fields": fields, "shuffled": shuffled}


@settings(max_examples=400)
@given(messages())
def test_scan_and_typed_decoder_agree_on_kind_and_ids(drawn: tuple[str, str, dict]) -> None:
    name, stream, spec = drawn
    market = MARKETS[name]
    payload = spec["fields"]
    line = format_record(1_723_161_255_000_000_000, stream, orjson.dumps(payload))
    (row,) = scan_block(line + b"\n", 1, market)
    scanned = dict(zip(FIELDS, row.tolist(), strict=True))
    message = _DECODER.decode(line)
    kind = market.classify(message.stream, message.data.e)
    contradicted = kind == "other"
    if not spec["shuffled"] and not contradicted:
        assert scanned["ok"] == 1
    if not scanned["ok"]:
        return
    assert KINDS[scanned["kind"]] == kind
    data = message.data
    typed = {
        "E": data.E,
        "T": data.T,
        "U": data.U,
        "u": data.u,
        "pu": data.pu,
        "id": market.trade_id(kind, payload_ids(data)),
    }
    for key in _READ.get(kind, ()):
        value = scanned[key]
        assert (None if value == _MISSING else value) == typed[key], key
