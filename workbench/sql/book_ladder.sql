-- The price ladder of the last book state at or before $at: one row per side and level,
-- with the cumulative size from the touch (the depth chart).
-- $source, $symbol as in book_series; $at: a timestamp.
WITH state AS (
    SELECT * FROM book_states
    WHERE source = $source AND symbol = $symbol AND origin_time <= $at
    ORDER BY origin_time DESC, update_id DESC
    LIMIT 1
),
cells AS (
    UNPIVOT (SELECT origin_time, update_id, COLUMNS('^(bid|ask)_\d+_(price|size)$') FROM state)
    ON COLUMNS('^(bid|ask)_\d+_(price|size)$') INTO NAME cell VALUE amount
),
levels AS (
    SELECT
        origin_time,
        update_id,
        split_part(cell, '_', 1) AS side,
        CAST(split_part(cell, '_', 2) AS INTEGER) AS level,
        max(amount) FILTER (WHERE split_part(cell, '_', 3) = 'price') AS price,
        max(amount) FILTER (WHERE split_part(cell, '_', 3) = 'size') AS size
    FROM cells
    GROUP BY ALL
)
SELECT
    origin_time,
    update_id,
    side,
    level,
    price,
    size,
    sum(size) OVER (PARTITION BY side ORDER BY level) AS cumulative_size
FROM levels
WHERE price IS NOT NULL
ORDER BY side DESC, level
