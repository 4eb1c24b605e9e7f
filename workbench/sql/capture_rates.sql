-- Live capture health per second and stream kind for one symbol: messages, and the median
-- capture time minus exchange time (network latency plus clock offset) in milliseconds.
-- $symbol: Lake-style symbol (BTC-USDT).
SELECT
    time_bucket(INTERVAL 1 SECOND, make_timestamp_ns(capture_ns)) AS second,
    regexp_replace(stream, '^[a-z0-9]+@', '') AS stream,
    count(*) AS messages,
    median(capture_ns / 1e6 - TRY_CAST(data ->> 'E' AS BIGINT)) AS latency_ms
FROM golden
WHERE symbol = $symbol AND stream <> '_session'
GROUP BY ALL
ORDER BY second, stream
