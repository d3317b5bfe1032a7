-- Publish: events first (they compare this run with the store), then MERGE by break_id, then
-- close what this run no longer finds. Event ids hash (break_id, run_id, event): rerunning the
-- same run adds nothing; a new run of the same day adds one 'seen' per unchanged break, 'changed'
-- when the same records now differ by other values (e.g. a corrected quantity still off). Priority
-- alone moves with the clock (cut-off, age): it is updated in place, not an event.
INSERT INTO break_events (event_id, break_id, event_at, actor, event, from_status, to_status, reason, run_id, details)
SELECT MD5(e.break_id || '|' || :run_id || '|' || e.event), e.break_id, CAST(:now AS TIMESTAMP), 'system',
       e.event, e.from_status, e.to_status, e.reason, :run_id, NULL
FROM (
    SELECT w.break_id,
           CASE WHEN b.break_id IS NULL THEN 'opened'
                WHEN b.status = 'closed' THEN 'reopened'
                -- same break (same records), new values: the incident must follow
                WHEN b.difference_amount <> w.difference_amount
                  OR COALESCE(b.internal_quantity, -1) <> COALESCE(w.internal_quantity, -1)
                  OR COALESCE(b.broker_quantity, -1) <> COALESCE(w.broker_quantity, -1)
                  OR COALESCE(b.internal_price, -1) <> COALESCE(w.internal_price, -1)
                  OR COALESCE(b.broker_price, -1) <> COALESCE(w.broker_price, -1)
                  OR COALESCE(b.anomaly_score, -1) <> COALESCE(w.anomaly_score, -1) THEN 'changed'
                ELSE 'seen' END AS event,
           b.status AS from_status,
           CASE WHEN b.break_id IS NULL OR b.status = 'closed' THEN 'open' ELSE b.status END AS to_status,
           w.break_type AS reason
    FROM w_breaks_final w
    LEFT JOIN breaks b ON b.break_id = w.break_id
    UNION ALL
    SELECT b.break_id, 'closed', b.status, 'closed', 'no longer found by reconciliation'
    FROM breaks b
    WHERE b.trade_date = :trade_date AND b.recon = :recon AND b.status <> 'closed'
      AND (NOT EXISTS (SELECT 1 FROM w_scope_brokers) OR b.broker IN (SELECT broker FROM w_scope_brokers))
      AND (NOT EXISTS (SELECT 1 FROM w_scope_accounts) OR b.account IN (SELECT account FROM w_scope_accounts))
      AND NOT EXISTS (SELECT 1 FROM w_breaks_final w WHERE w.break_id = b.break_id)
) e
WHERE NOT EXISTS (  -- a retried run (same run_id) records each break once
    SELECT 1 FROM break_events x WHERE x.break_id = e.break_id AND x.run_id = :run_id
);

UPDATE breaks
SET status = 'closed', closed_at = CAST(:now AS TIMESTAMP), last_run_id = :run_id
WHERE trade_date = :trade_date AND recon = :recon AND status <> 'closed'
  AND (NOT EXISTS (SELECT 1 FROM w_scope_brokers) OR broker IN (SELECT broker FROM w_scope_brokers))
  AND (NOT EXISTS (SELECT 1 FROM w_scope_accounts) OR account IN (SELECT account FROM w_scope_accounts))
  AND break_id NOT IN (SELECT break_id FROM w_breaks_final);

MERGE INTO breaks b
USING w_breaks_final w
ON b.break_id = w.break_id
WHEN MATCHED THEN UPDATE SET
    last_seen = CAST(:now AS TIMESTAMP),
    last_run_id = :run_id,
    status = CASE WHEN b.status = 'closed' THEN 'open' ELSE b.status END,
    closed_at = CASE WHEN b.status = 'closed' THEN NULL ELSE b.closed_at END,
    internal_quantity = w.internal_quantity,
    broker_quantity = w.broker_quantity,
    internal_price = w.internal_price,
    broker_price = w.broker_price,
    internal_settle = w.internal_settle,
    broker_settle = w.broker_settle,
    internal_commission = w.internal_commission,
    broker_commission = w.broker_commission,
    difference_amount = w.difference_amount,
    notional = w.notional,
    priority = w.priority,
    priority_score = w.priority_score,
    anomaly_score = w.anomaly_score,
    anomaly_explanation = w.anomaly_explanation
WHEN NOT MATCHED THEN INSERT (
    break_id, break_type, recon, broker, account, instrument_id, asset_class, side, trade_date, currency,
    internal_ids, broker_ids, internal_quantity, broker_quantity, internal_price, broker_price,
    internal_settle, broker_settle, internal_commission, broker_commission, difference_amount, notional,
    anomaly_score, anomaly_explanation, priority, priority_score, status, first_seen, last_seen, last_run_id
) VALUES (
    w.break_id, w.break_type, w.recon, w.broker, w.account, w.instrument_id, w.asset_class, w.side, w.trade_date,
    w.currency, w.internal_ids, w.broker_ids, w.internal_quantity, w.broker_quantity, w.internal_price,
    w.broker_price, w.internal_settle, w.broker_settle, w.internal_commission, w.broker_commission,
    w.difference_amount, w.notional, w.anomaly_score, w.anomaly_explanation, w.priority, w.priority_score,
    'open', CAST(:now AS TIMESTAMP), CAST(:now AS TIMESTAMP), :run_id
);
