-- Mid price and spread after each book state of one source and symbol.
-- $source: lake_snapshot (Lake book snapshots), lake or golden (reconstructions); $symbol: BTC-USDT.
SELECT
    origin_time,
    update_id,
    (CAST(bid_0_price AS DOUBLE) + CAST(ask_0_price AS DOUBLE)) / 2 AS mid,
    CAST(ask_0_price - bid_0_price AS DOUBLE) AS spread
FROM book_states
WHERE source = $source AND symbol = $symbol AND bid_0_price IS NOT NULL
    AND ask_0_price IS NOT NULL
ORDER BY origin_time, update_id
