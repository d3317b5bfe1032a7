-- The anomaly steps' own statements (tasks/anomaly.py, anomaly_train.py, anomaly_monitor.py).
-- Named statements, read through blocks.warehouse.SqlStatements.

-- name: clear_market_data
DELETE FROM market_data WHERE trade_date = :d

-- name: clear_fx_rates
DELETE FROM fx_rates WHERE trade_date = :d

-- name: clear_scores
DELETE FROM w_scores

-- name: clear_stage
DELETE FROM w_anomaly_stage

-- name: flag_anomalous_matches
-- A match the model flags becomes an ANOMALY break; a break keeps its own type (and its score).
UPDATE w_results SET break_type = 'ANOMALY'
WHERE break_type IS NULL AND link_id IN (SELECT link_id FROM w_scores WHERE is_anomaly)

-- name: count_anomalies
SELECT COUNT(*) FROM w_results WHERE break_type = 'ANOMALY'

-- name: count_breaks_scored_anomalous
SELECT COUNT(*) FROM w_results r JOIN w_scores s ON s.link_id = r.link_id
WHERE s.is_anomaly AND r.break_type <> 'ANOMALY'

-- name: count_matches
SELECT COUNT(*) FROM w_matches

-- name: count_breaks
SELECT COUNT(*) FROM w_breaks

-- name: link_records
-- Each link's records, to name a link by its records (labels, feedback).
SELECT link_id, internal_ids, broker_ids FROM w_results

-- name: resolved_anomaly_breaks
-- Analysts' verdicts on a day's ANOMALY breaks (resolution codes become labels).
SELECT internal_ids, broker_ids, resolution_code FROM breaks
WHERE trade_date = :d AND recon = :r AND break_type = 'ANOMALY' AND resolution_code IS NOT NULL

-- name: recent_trade_dates
-- The trade dates with internal bookings up to today, newest first (the caller takes the last N).
SELECT DISTINCT trade_date FROM executions
WHERE source = 'internal' AND trade_date <= :today
ORDER BY trade_date DESC

-- name: day_links
-- The features and raw scores of a day's links one model scored (both pairs), in a stable order.
SELECT features, raw_score FROM anomaly_links
WHERE trade_date = :d AND model = :m
ORDER BY recon, link_key
