-- RL readiness metrics (whole run), newest run first; detail holds the per-policy figures.
SELECT run_id, symbol, metric, value, unit, n, detail
FROM fidelity
WHERE period IS NULL AND metric IN ('sim_to_real_gap', 'state_coverage', 'transfer_gap')
ORDER BY run_id DESC, symbol, metric
