-- Trades of one symbol in [$start, $end): price and quantity as DOUBLE for charts and
-- statistics, the taker sign (+1 buy, -1 sell) and the time since the previous trade.
SELECT
    origin_time,
    CAST(price AS DOUBLE) AS price,
    CAST(quantity AS DOUBLE) AS quantity,
    CASE side WHEN 'buy' THEN 1 ELSE -1 END AS sign,
    epoch_ns(origin_time) - epoch_ns(lag(origin_time) OVER (ORDER BY origin_time, trade_id))
        AS gap_ns
FROM lake_trades
WHERE symbol = $symbol AND origin_time >= $start AND origin_time < $end
ORDER BY origin_time, trade_id
