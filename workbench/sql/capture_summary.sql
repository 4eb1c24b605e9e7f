-- Live capture totals per stream kind for one symbol: messages, mean rate and latency
-- quantiles (capture time minus exchange time, ms; includes the capture clock offset).
-- $symbol: Lake-style symbol (BTC-USDT).
SELECT
    regexp_replace(stream, '^[a-z0-9]+@', '') AS stream,
    count(*) AS messages,
    count(*) / greatest((max(capture_ns) - min(capture_ns)) / 1e9, 1) AS per_second,
    median(capture_ns / 1e6 - TRY_CAST(data ->> 'E' AS BIGINT)) AS latency_ms_median,
    quantile_cont(capture_ns / 1e6 - TRY_CAST(data ->> 'E' AS BIGINT), 0.99) AS latency_ms_p99
FROM golden
WHERE symbol = $symbol AND stream <> '_session'
GROUP BY ALL
ORDER BY stream
