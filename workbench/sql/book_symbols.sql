-- Book sources and symbols with their time span and number of states.
SELECT source, symbol, min(origin_time) AS first_time, max(origin_time) AS last_time,
       count(*) AS states
FROM book_states
GROUP BY ALL
ORDER BY source, symbol
