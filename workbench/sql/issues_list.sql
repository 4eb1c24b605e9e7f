-- The first $limit findings, most severe first.
SELECT stage, "check", CAST(severity AS VARCHAR) AS severity, symbol, source, position,
       origin_time, update_id, detail
FROM issues
ORDER BY CASE CAST(severity AS VARCHAR) WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END,
         symbol, origin_time, position
LIMIT $limit
