-- Crypto Lake coverage: rows, files and bytes per table, exchange, symbol and day, from Parquet
-- footers only (no data read). $prefix: the data root's address (rlxdata://); $glob: its
-- lake/**/*.parquet.
WITH files AS (
    SELECT substr(file_name, length($prefix) + 1) AS relative, num_rows, file_size_bytes
    FROM parquet_file_metadata($glob)
)
SELECT
    regexp_extract(relative, '^lake/([^/]+)/', 1) AS "table",
    regexp_extract(relative, 'exchange=([^/]+)', 1) AS exchange,
    regexp_extract(relative, 'symbol=([^/]+)', 1) AS symbol,
    CAST(regexp_extract(relative, 'dt=([^/]+)', 1) AS DATE) AS dt,
    count(*) AS files,
    sum(num_rows)::BIGINT AS rows,
    sum(file_size_bytes)::BIGINT AS bytes
FROM files
GROUP BY ALL
ORDER BY symbol, "table", dt
