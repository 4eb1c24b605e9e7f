-- Session events of the live capture (connected, disconnected, resync), oldest first.
SELECT
    symbol,
    make_timestamp_ns(capture_ns) AS capture_time,
    data ->> 'event' AS event,
    CAST(data AS VARCHAR) AS detail
FROM golden
WHERE stream = '_session'
ORDER BY capture_ns
