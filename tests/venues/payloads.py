"""A corpus of Binance payloads, hand-written from Binance's documented shapes.

Each entry: a name, the market, the stream it arrives on, the year the shape applies to, the
raw payload text, its kind, and the ids and clocks a reader must take from it (``id`` is a
trade's ``t`` or an aggTrade's ``a``; ``pu`` a futures diff's previous final id).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Payload:
    name: str
    market: str
    stream: str
    year: str
    raw: bytes
    kind: str
    ids: dict[str, int] = field(default_factory=dict)


CORPUS = (
    Payload(
        "spot trade (2024-06-18 on: no b/a)",
        "spot",
        "btcusdt@trade",
        "2024-",
        b'{"e":"trade","E":1723161255010,"s":"BTCUSDT","t":3744306300,"p":"61837.63000000",'
        b'"q":"0.00100000","T":1723161255009,"m":true,"M":true}',
        "trade",
        {"E": 1723161255010, "T": 1723161255009, "id": 3744306300},
    ),
    Payload(
        "spot trade (before 2024-06-18: buyer b and seller a order ids)",
        "spot",
        "btcusdt@trade",
        "2017-2024",
        b'{"e":"trade","E":1672515782136,"s":"BTCUSDT","t":2451620001,"p":"16541.77000000",'
        b'"q":"0.00300000","b":17892011234,"a":17892011199,"T":1672515782135,"m":true,"M":true}',
        "trade",
        {"E": 1672515782136, "T": 1672515782135, "id": 2451620001},
    ),
    Payload(
        "spot trade without M (documented as 'ignore')",
        "spot",
        "ethusdt@trade",
        "2026",
        b'{"e":"trade","E":1781000000100,"s":"ETHUSDT","t":99,"p":"2500.01000000",'
        b'"q":"1.00000000","T":1781000000099,"m":false}',
        "trade",
        {"E": 1781000000100, "T": 1781000000099, "id": 99},
    ),
    Payload(
        "spot aggTrade",
        "spot",
        "btcusdt@aggTrade",
        "2017-",
        b'{"e":"aggTrade","E":1723161255010,"s":"BTCUSDT","a":3106542117,"p":"61837.63000000",'
        b'"q":"0.00100000","f":3744306300,"l":3744306302,"T":1723161255009,"m":true,"M":true}',
        "agg_trade",
        {"E": 1723161255010, "T": 1723161255009, "id": 3106542117},
    ),
    Payload(
        "spot depthUpdate at 100 ms",
        "spot",
        "btcusdt@depth@100ms",
        "2019-",
        b'{"e":"depthUpdate","E":1723161255100,"s":"BTCUSDT","U":50093239208,"u":50093239224,'
        b'"b":[["61837.62000000","1.20000000"]],"a":[["61837.63000000","0.00000000"]]}',
        "depth",
        {"E": 1723161255100, "U": 50093239208, "u": 50093239224},
    ),
    Payload(
        "spot depthUpdate at 1000 ms",
        "spot",
        "btcusdt@depth",
        "2017-",
        b'{"e":"depthUpdate","E":1723161256000,"s":"BTCUSDT","U":50093239225,"u":50093239400,'
        b'"b":[],"a":[["61840.00000000","2.00000000"]]}',
        "depth",
        {"E": 1723161256000, "U": 50093239225, "u": 50093239400},
    ),
    Payload(
        "spot bookTicker (no e, E, T)",
        "spot",
        "btcusdt@bookTicker",
        "2017-",
        b'{"u":50093239224,"s":"BTCUSDT","b":"61837.62000000","B":"1.20000000",'
        b'"a":"61837.64000000","A":"0.50000000"}',
        "book_ticker",
        {"u": 50093239224},
    ),
    Payload(
        "spot REST snapshot /api/v3/depth (no E, T)",
        "spot",
        "btcusdt@depthSnapshot",
        "2017-",
        b'{"lastUpdateId":50093239218,"bids":[["61837.62000000","1.00000000"]],'
        b'"asks":[["61837.63000000","2.00000000"]]}',
        "snapshot",
    ),
    Payload(
        "futures depthUpdate with pu (@depth@0ms)",
        "usdm",
        "btcusdt@depth@0ms",
        "2020-",
        b'{"e":"depthUpdate","E":1723161255101,"T":1723161255099,"s":"BTCUSDT",'
        b'"U":5123107850310,"u":5123107853551,"pu":5123107850290,'
        b'"b":[["61800.10","3.512"]],"a":[["61800.20","0.000"]]}',
        "depth",
        {
            "E": 1723161255101,
            "T": 1723161255099,
            "U": 5123107850310,
            "u": 5123107853551,
            "pu": 5123107850290,
        },
    ),
    Payload(
        "futures depthUpdate at 100 ms",
        "usdm",
        "btcusdt@depth@100ms",
        "2020-",
        b'{"e":"depthUpdate","E":1723161255200,"T":1723161255198,"s":"BTCUSDT",'
        b'"U":5123107853600,"u":5123107853700,"pu":5123107853551,"b":[],"a":[]}',
        "depth",
        {
            "E": 1723161255200,
            "T": 1723161255198,
            "U": 5123107853600,
            "u": 5123107853700,
            "pu": 5123107853551,
        },
    ),
    Payload(
        "futures trade with X",
        "usdm",
        "btcusdt@trade",
        "2023-",
        b'{"e":"trade","E":1723161255300,"T":1723161255299,"s":"BTCUSDT","t":5213000001,'
        b'"p":"61800.10","q":"0.002","X":"MARKET","m":true}',
        "trade",
        {"E": 1723161255300, "T": 1723161255299, "id": 5213000001},
    ),
    Payload(
        "futures aggTrade (no M)",
        "usdm",
        "btcusdt@aggTrade",
        "2020-",
        b'{"e":"aggTrade","E":1723161255300,"a":2290000001,"s":"BTCUSDT","p":"61800.10",'
        b'"q":"0.002","f":5213000001,"l":5213000001,"T":1723161255299,"m":true}',
        "agg_trade",
        {"E": 1723161255300, "T": 1723161255299, "id": 2290000001},
    ),
    Payload(
        "futures bookTicker with e, E, T",
        "usdm",
        "btcusdt@bookTicker",
        "2020-",
        b'{"e":"bookTicker","u":5123107853551,"s":"BTCUSDT","b":"61800.10","B":"3.512",'
        b'"a":"61800.20","A":"0.100","T":1723161255099,"E":1723161255101}',
        "book_ticker",
        {"u": 5123107853551, "E": 1723161255101, "T": 1723161255099},
    ),
    Payload(
        "futures REST snapshot /fapi/v1/depth (with E, T)",
        "usdm",
        "btcusdt@depthSnapshot",
        "2020-",
        b'{"lastUpdateId":5123107852948,"E":1723161255050,"T":1723161255048,'
        b'"bids":[["61800.10","3.000"]],"asks":[["61800.20","1.000"]]}',
        "snapshot",
    ),
    Payload(
        "futures markPrice@1s",
        "usdm",
        "btcusdt@markPrice@1s",
        "2020-",
        b'{"e":"markPriceUpdate","E":1723161256000,"s":"BTCUSDT","p":"61801.23456789",'
        b'"P":"61790.00000000","i":"61795.50000000","r":"0.00010000","T":1723190400000}',
        "mark_price",
        {"E": 1723161256000, "T": 1723190400000},
    ),
    Payload(
        "unknown stream: kline",
        "spot",
        "btcusdt@kline_1m",
        "2017-",
        b'{"e":"kline","E":1723161256000,"s":"BTCUSDT","k":{"t":1,"T":2,"i":"1m"}}',
        "other",
    ),
    Payload(
        "unknown stream: partial depth (no symbol, no time)",
        "spot",
        "btcusdt@depth5@100ms",
        "2019-",
        b'{"lastUpdateId":160,"bids":[["0.0024","10"]],"asks":[["0.0026","100"]]}',
        "other",
    ),
    Payload(
        "a trade stream whose e says aggTrade (contradiction)",
        "spot",
        "btcusdt@trade",
        "-",
        b'{"e":"aggTrade","E":1,"s":"BTCUSDT","a":7,"p":"1.0","q":"1.0","f":1,"l":1,"T":1,'
        b'"m":true}',
        "other",
    ),
)
