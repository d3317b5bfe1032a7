-- Delivery (tasks/incidents.py): pending outbox rows in order, their retry schedule (the outbox's
-- own, persistent across runs), and what ServiceNow confirmed written back. Named statements.

-- name: pending_count
SELECT COUNT(*) FROM incident_outbox WHERE status = 'pending'

-- name: pending_rows
SELECT outbox_id, seq, break_id, run_id, op, event, payload, attempts, next_attempt_at
FROM incident_outbox WHERE status = 'pending' ORDER BY seq LIMIT :max_batch

-- name: retry_later
UPDATE incident_outbox SET attempts = :attempts, next_attempt_at = :next, last_error = :error
WHERE outbox_id = :id

-- name: refused
-- ServiceNow refused the row as invalid: parked for a human (status 'failed').
UPDATE incident_outbox SET status = 'failed', attempts = attempts + 1, last_error = :error
WHERE outbox_id = :id

-- name: clear_done
DELETE FROM incident_outbox_done

-- name: mark_delivered
UPDATE incident_outbox SET status = 'delivered', attempts = attempts + 1, delivered_at = d.delivered_at,
       last_error = NULL, incident_sys_id = d.sys_id, incident_number = d.number
FROM incident_outbox_done d WHERE incident_outbox.outbox_id = d.outbox_id

-- name: link_delivered
-- Each break's incident, from its latest delivered row.
MERGE INTO incident_links l
USING (SELECT break_id, sys_id, number, state, delivered_at FROM incident_outbox_done
       QUALIFY ROW_NUMBER() OVER (PARTITION BY break_id ORDER BY seq DESC) = 1) s
ON l.break_id = s.break_id
WHEN MATCHED THEN UPDATE SET sys_id = s.sys_id, number = s.number, state = s.state, updated_at = s.delivered_at
WHEN NOT MATCHED THEN INSERT (break_id, sys_id, number, state, updated_at)
    VALUES (s.break_id, s.sys_id, s.number, s.state, s.delivered_at)

-- name: record_link
MERGE INTO incident_links l
USING (SELECT :break_id AS break_id, :sys_id AS sys_id, :number AS number, :state AS state,
              CAST(:now AS TIMESTAMP) AS updated_at) s
ON l.break_id = s.break_id
WHEN MATCHED THEN UPDATE SET sys_id = s.sys_id, number = s.number, state = s.state, updated_at = s.updated_at
WHEN NOT MATCHED THEN INSERT (break_id, sys_id, number, state, updated_at)
    VALUES (s.break_id, s.sys_id, s.number, s.state, s.updated_at)
