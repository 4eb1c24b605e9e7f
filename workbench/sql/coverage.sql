-- Rows and files per dataset, exchange, symbol and day, from Parquet footers (no data read).
-- $prefix: the data root's address (rlxdata://); $glob: every Parquet file under it.
WITH files AS (
    SELECT substr(file_name, length($prefix) + 1) AS relative, num_rows, file_size_bytes
    FROM parquet_file_metadata($glob)
)
SELECT
    replace(regexp_extract(relative, '^(.+?)(/[^/]*=.*|/[^/]+)$', 1), '/', '_') AS dataset,
    nullif(regexp_extract(relative, 'exchange=([^/]+)', 1), '') AS exchange,
    nullif(regexp_extract(relative, 'symbol=([^/]+)', 1), '') AS symbol,
    TRY_CAST(nullif(regexp_extract(relative, 'dt=([^/]+)', 1), '') AS DATE) AS dt,
    count(*) AS files,
    sum(num_rows)::BIGINT AS rows,
    sum(file_size_bytes)::BIGINT AS bytes
FROM files
GROUP BY ALL
ORDER BY dataset, exchange, symbol, dt
