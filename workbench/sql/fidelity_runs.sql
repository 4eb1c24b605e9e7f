-- Whole-run fidelity metrics (period is null), one row per run, symbol and metric.
SELECT run_id, symbol, metric, value, unit, n, passed
FROM fidelity
WHERE period IS NULL
ORDER BY run_id DESC, symbol, metric
