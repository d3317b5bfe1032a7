-- A stream batch's matching (tasks/stream_match.py): which keys (broker, instrument, trade date) to
-- re-match, the batch's candidates drawn from those keys only, and when a break is published.
-- Named statements; the passes themselves are the daily ones (sql/46-59).

-- name: dirty_keys
SELECT DISTINCT broker, instrument_id, trade_date, batch_id FROM stream_dirty

-- name: due_keys
-- Keys with a fill whose window has passed.
SELECT DISTINCT broker, instrument_id, trade_date FROM stream_fills
WHERE decided_at IS NULL AND instrument_id IS NOT NULL AND first_seen <= CAST(:due AS TIMESTAMP)

-- name: internal_marks
SELECT * FROM stream_internal_marks

-- name: fingerprints
-- The internal side of every stream key now: count, quantity and notional. A key whose
-- fingerprint differs from its mark (a late OMS booking landed) is re-matched.
SELECT k.broker, k.instrument_id, k.trade_date,
       COALESCE(CAST(COUNT(e.record_id) AS VARCHAR) || ':' || CAST(CAST(SUM(e.quantity) AS NUMBER(38, 8)) AS VARCHAR)
         || ':' || CAST(CAST(SUM(e.quantity * e.price) AS NUMBER(38, 6)) AS VARCHAR), '0') AS fingerprint
FROM (SELECT DISTINCT broker, instrument_id, trade_date FROM stream_fills WHERE instrument_id IS NOT NULL) k
LEFT JOIN executions e ON e.source = 'internal' AND e.broker = k.broker AND e.instrument_id = k.instrument_id
     AND e.trade_date = k.trade_date
GROUP BY k.broker, k.instrument_id, k.trade_date

-- name: clear_keys
DELETE FROM w_stream_keys

-- name: forget_marks_of_keys
DELETE FROM stream_internal_marks WHERE EXISTS (
    SELECT 1 FROM w_stream_keys k WHERE k.broker = stream_internal_marks.broker
    AND k.instrument_id = stream_internal_marks.instrument_id AND k.trade_date = stream_internal_marks.trade_date
)

-- name: source_keys
-- The batch's candidates come only from its keys (a join with the small keys table), never the
-- whole day. Copied once per batch: the passes read their candidates about ten times, and a view
-- would repeat the join over the day's executions each time (the day's book can be a million rows).
CREATE OR REPLACE TABLE w_stream_source AS
SELECT e.* FROM executions e
JOIN w_stream_keys k ON k.broker = e.broker AND k.instrument_id = e.instrument_id AND k.trade_date = e.trade_date;
CREATE OR REPLACE VIEW w_source AS SELECT * FROM w_stream_source

-- name: hold_back
-- Young breaks wait; one-sided internal breaks are kept only while already open (never opened here).
DELETE FROM w_breaks WHERE link_id IN (
    SELECT k.link_id FROM w_links k
    JOIN w_candidates c ON c.uid = k.uid AND c.side_of = 'R'
    JOIN stream_fills f ON f.broker = c.broker AND f.record_id = c.record_id
    WHERE f.first_seen > CAST(:due_before AS TIMESTAMP)
);
DELETE FROM w_breaks WHERE COALESCE(broker_ids, '') = ''
  AND NOT EXISTS (SELECT 1 FROM breaks b WHERE b.break_id = w_breaks.break_id AND b.status <> 'closed');

-- name: carry_over
-- Standing breaks of keys outside this batch: carried over as they are, so the store keeps them.
INSERT INTO w_breaks (break_id, break_type, recon, broker, account, instrument_id, asset_class, side, trade_date,
    currency, internal_ids, broker_ids, internal_quantity, broker_quantity, internal_price, broker_price,
    internal_settle, broker_settle, internal_commission, broker_commission, difference_amount, notional,
    anomaly_score, anomaly_explanation)
SELECT break_id, break_type, recon, broker, account, instrument_id, asset_class, side, trade_date,
    currency, internal_ids, broker_ids, internal_quantity, broker_quantity, internal_price, broker_price,
    internal_settle, broker_settle, internal_commission, broker_commission, difference_amount, notional,
    anomaly_score, anomaly_explanation
FROM breaks b
WHERE b.recon = 'dropcopy' AND b.trade_date = :trade_date AND b.status <> 'closed'
  AND b.broker IN (SELECT broker FROM w_scope_brokers)
  AND NOT EXISTS (SELECT 1 FROM w_stream_keys k WHERE k.broker = b.broker AND k.instrument_id = b.instrument_id
                  AND k.trade_date = b.trade_date)

-- name: forget_seen_events
-- A micro-batch re-evaluates standing breaks constantly: 'seen' per batch is noise.
DELETE FROM break_events WHERE run_id = :r AND event = 'seen'

-- name: decide
-- The batch's drop-copy fills that got a match, or a break that is published now.
UPDATE stream_fills SET decided_at = CAST(:now AS TIMESTAMP), outcome = d.outcome, decided_batch = :batch
FROM (
    SELECT c.broker, c.record_id, MIN(CASE WHEN r.break_type IS NULL THEN 'matched' ELSE 'break' END) AS outcome
    FROM w_candidates c
    JOIN w_links k ON k.uid = c.uid
    JOIN w_results r ON r.link_id = k.link_id
    WHERE c.side_of = 'R' AND (r.break_type IS NULL OR r.link_id IN (SELECT link_id FROM w_breaks))
    GROUP BY c.broker, c.record_id
) d
WHERE stream_fills.broker = d.broker AND stream_fills.record_id = d.record_id AND stream_fills.decided_at IS NULL

-- name: consume_dirty
-- The dirty keys this batch read (only those: a later batch may have added more meanwhile).
DELETE FROM stream_dirty WHERE batch_id IN (:batch_ids)

-- name: decided_in_batch
SELECT outcome, COUNT(*) AS n FROM stream_fills WHERE decided_batch = :b GROUP BY outcome

-- name: pending_fills
SELECT COUNT(*) FROM stream_fills WHERE decided_at IS NULL
