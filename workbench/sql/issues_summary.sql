-- Data-quality findings per stage, check, severity and symbol.
SELECT stage, "check", CAST(severity AS VARCHAR) AS severity, symbol, count(*) AS findings
FROM issues
GROUP BY ALL
ORDER BY findings DESC, stage, "check", symbol
