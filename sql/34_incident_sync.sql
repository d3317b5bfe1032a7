-- Sync back (tasks/incident_sync.py): incident states onto open breaks, from a watermark.
-- Named statements.

-- name: watermark
SELECT watermark FROM incident_sync_state WHERE name = :n

-- name: open_breaks
SELECT break_id, status, assignee FROM breaks WHERE status IN ('open', 'assigned', 'investigating')

-- name: move_break
-- Breaks only move forward and only from the status the sync read (a concurrent change wins).
UPDATE breaks SET status = :status, assignee = :assignee, resolution_code = COALESCE(:resolution, resolution_code)
WHERE break_id = :id AND status = :from_status

-- name: insert_event
-- The move's event; its id hashes (break, incident, update time, event), so a re-read adds nothing.
INSERT INTO break_events (event_id, break_id, event_at, actor, event, from_status, to_status, reason, run_id, details)
SELECT :event_id, :break_id, :at, :actor, :event, :from_status, :to_status, :reason, NULL, :details
WHERE NOT EXISTS (SELECT 1 FROM break_events WHERE event_id = :event_id)

-- name: save_watermark
MERGE INTO incident_sync_state s
USING (SELECT :n AS name, :w AS watermark, CAST(:now AS TIMESTAMP) AS synced_at) x
ON s.name = x.name
WHEN MATCHED THEN UPDATE SET watermark = x.watermark, synced_at = x.synced_at
WHEN NOT MATCHED THEN INSERT (name, watermark, synced_at) VALUES (x.name, x.watermark, x.synced_at)
