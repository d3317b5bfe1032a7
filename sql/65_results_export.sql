-- What a run reports (tasks/results.py, tasks/artifacts.py): control totals per source, the run's
-- open breaks, the day's matches. Named statements; money at risk in USD comes from breaks_usd.

-- name: source_totals
-- Per reconciliation and source: canonical records of the day vs matched + in breaks.
SELECT o.recon, o.source, o.broker,
       COUNT(*) AS canonical,
       COUNT(CASE WHEN o.outcome = 'matched' THEN 1 END) AS matched,
       COUNT(CASE WHEN o.outcome = 'break' THEN 1 END) AS in_breaks
FROM record_outcomes o
WHERE o.trade_date = :d
GROUP BY o.recon, o.source, o.broker
ORDER BY o.recon, o.source, o.broker

-- name: open_breaks_by_type
SELECT break_type, COUNT(*) AS n FROM breaks
WHERE trade_date = :d AND last_run_id = :r AND status <> 'closed'
GROUP BY break_type

-- name: run_breaks
-- The run's open breaks, most urgent first, with the money at risk in USD (NULL without a rate).
SELECT * FROM breaks_usd WHERE trade_date = :d AND last_run_id = :r AND status <> 'closed'
ORDER BY priority_score DESC, difference_amount DESC, break_id

-- name: day_matches
SELECT * FROM matches WHERE trade_date = :d ORDER BY recon, match_type, match_id

-- name: open_breaks_by_broker_and_type
-- The Prefect artifact's table: per broker and type, count and money at risk in USD (breaks in a
-- currency without a rate for the day are counted in no_usd_rate, not added in).
SELECT broker, break_type, COUNT(*) AS breaks, CAST(SUM(difference_usd) AS NUMBER(38, 2)) AS money_at_risk_usd,
       COUNT(*) - COUNT(difference_usd) AS no_usd_rate
FROM breaks_usd WHERE trade_date = :d AND last_run_id = :r AND status <> 'closed'
GROUP BY broker, break_type ORDER BY broker, break_type
