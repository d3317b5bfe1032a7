-- A model's drift on a day: its row in model_drift (replaced on a rerun) and, when it drifted, one
-- P2 incident through the outbox (30_incident_outbox.sql), keyed by (model, day) so a rerun adds
-- no second one. Binds: :trade_date, :model, :links, :max_psi, :drifted, :threshold, :details, :now,
-- :raise (TRUE when drifted), :outbox_id, :correlation_id, :run_id, :payload.
DELETE FROM model_drift WHERE trade_date = :trade_date AND model = :model;

INSERT INTO model_drift (trade_date, model, links, max_psi, drifted, threshold, details, checked_at)
VALUES (:trade_date, :model, :links, :max_psi, :drifted, :threshold, :details, :now);

INSERT INTO incident_outbox (outbox_id, seq, break_id, run_id, op, event, payload, status, attempts, created_at)
SELECT :outbox_id, COALESCE((SELECT MAX(seq) FROM incident_outbox), 0) + 1, :correlation_id, :run_id,
       'upsert', 'opened', :payload, 'pending', 0, :now
WHERE :raise AND NOT EXISTS (SELECT 1 FROM incident_outbox WHERE outbox_id = :outbox_id);
