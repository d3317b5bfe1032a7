-- Enqueue (tasks/incidents.py): outbox rows for a run's break changes and for manual resolutions.
-- Named statements. Idempotent per (break_id, run_id, op): outbox_id hashes them.

-- name: run_changes
-- Every break this run opened, changed, reopened or closed, with the break's row.
SELECT e.event AS change_event, e.event_at AS change_at, b.* FROM break_events e
JOIN breaks b ON b.break_id = e.break_id
WHERE e.run_id = :run_id AND e.event IN ('opened', 'changed', 'reopened', 'closed')
ORDER BY e.event_at, e.break_id

-- name: last_seq
SELECT COALESCE(MAX(seq), 0) FROM incident_outbox

-- name: clear_stage
DELETE FROM incident_outbox_stage

-- name: new_in_stage
SELECT COUNT(*) FROM incident_outbox_stage s
WHERE NOT EXISTS (SELECT 1 FROM incident_outbox o WHERE o.outbox_id = s.outbox_id)

-- name: insert_from_stage
INSERT INTO incident_outbox (outbox_id, seq, break_id, run_id, op, event, payload, status, attempts, created_at)
SELECT s.outbox_id, s.seq, s.break_id, s.run_id, s.op, s.event, s.payload, 'pending', 0, s.created_at
FROM incident_outbox_stage s
WHERE NOT EXISTS (SELECT 1 FROM incident_outbox o WHERE o.outbox_id = s.outbox_id)

-- name: break_row
SELECT * FROM breaks WHERE break_id = :b

-- name: insert_manual_resolution
-- A person resolved or wrote off the break: resolve its incident (once per resolution event).
INSERT INTO incident_outbox (outbox_id, seq, break_id, run_id, op, event, payload, status, attempts, created_at)
SELECT :id, COALESCE((SELECT MAX(seq) FROM incident_outbox), 0) + 1, :b, :run_id, 'resolve', 'manual', :payload,
       'pending', 0, :now
WHERE NOT EXISTS (SELECT 1 FROM incident_outbox WHERE outbox_id = :id)
