-- Golden samples per symbol, day and stream kind: messages and capture time span.
SELECT
    symbol,
    dt,
    regexp_replace(stream, '^[a-z0-9]+@', '') AS stream,
    count(*) AS messages,
    make_timestamp_ns(min(capture_ns)) AS first_capture,
    make_timestamp_ns(max(capture_ns)) AS last_capture
FROM golden
GROUP BY ALL
ORDER BY symbol, dt, stream
