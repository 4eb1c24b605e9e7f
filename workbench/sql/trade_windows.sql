-- Symbols and days with trades: the windows the regime explorer can compare.
SELECT symbol, dt, min(origin_time) AS first_time, max(origin_time) AS last_time,
       count(*) AS trades
FROM lake_trades
GROUP BY ALL
ORDER BY symbol, dt
