-- Stylized facts of one symbol's trades in [$start, $end): rate, size tail, 1-second return
-- kurtosis, volatility clustering (lag-1 autocorrelation of absolute returns) and trade-sign
-- memory (lag-1 autocorrelation of taker signs).
WITH trades AS (
    SELECT origin_time, trade_id, CAST(price AS DOUBLE) AS price,
           CAST(quantity AS DOUBLE) AS quantity, CASE side WHEN 'buy' THEN 1 ELSE -1 END AS sign
    FROM lake_trades
    WHERE symbol = $symbol AND origin_time >= $start AND origin_time < $end
),
signs AS (
    SELECT sign, lag(sign) OVER (ORDER BY origin_time, trade_id) AS previous_sign FROM trades
),
seconds AS (
    SELECT time_bucket(INTERVAL 1 SECOND, CAST(origin_time AS TIMESTAMPTZ)) AS second,
           last(price ORDER BY origin_time, trade_id) AS price
    FROM trades
    GROUP BY ALL
),
returns AS (
    SELECT second, ln(price / lag(price) OVER (ORDER BY second)) AS r FROM seconds
),
pairs AS (
    SELECT abs(r) AS size_now, abs(lag(r) OVER (ORDER BY second)) AS size_before, r FROM returns
)
SELECT
    (SELECT count(*) FROM trades) AS trades,
    (SELECT count(*) / greatest((epoch_ns(max(origin_time)) - epoch_ns(min(origin_time))) / 1e9, 1) FROM trades)
        AS trades_per_second,
    (SELECT avg(quantity) FROM trades) AS mean_size,
    (SELECT quantile_cont(quantity, 0.99) / nullif(median(quantity), 0) FROM trades)
        AS size_p99_over_median,
    (SELECT kurtosis(r) FROM returns) AS return_kurtosis,
    (SELECT corr(size_now, size_before) FROM pairs) AS abs_return_autocorrelation,
    (SELECT corr(sign, previous_sign) FROM signs) AS sign_autocorrelation
