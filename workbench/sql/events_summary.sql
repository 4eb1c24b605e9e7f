-- What the unified event stream holds for one symbol, by source and kind.
-- $symbol: BTC-USDT.
SELECT
    source,
    kind,
    count(*) AS events,
    min(origin_time) AS first,
    max(origin_time) AS last
FROM events
WHERE symbol = $symbol
GROUP BY ALL
ORDER BY ALL
