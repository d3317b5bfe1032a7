-- The break lifecycle for people (tasks/break_lifecycle.py): list, look up, assign, resolve, and
-- maker-checker approvals. Named statements; every change also writes a break_events row.

-- name: list_breaks
-- Breaks matching every filter given (a NULL filter matches all), most urgent first. min_notional
-- is in USD; a currency without a rate for the day compares as it stands.
SELECT b.*, l.number AS incident FROM breaks_usd b
LEFT JOIN incident_links l ON l.break_id = b.break_id
WHERE b.status IN (:statuses)
  AND (:broker IS NULL OR b.broker = :broker)
  AND (:account IS NULL OR b.account = :account)
  AND (:trade_date IS NULL OR b.trade_date = :trade_date)
  AND (:priority IS NULL OR b.priority = :priority)
  AND (:assignee IS NULL OR b.assignee = :assignee)
  AND (:break_type IS NULL OR b.break_type = :break_type)
  AND (:min_notional IS NULL OR ABS(COALESCE(b.notional_usd, b.notional)) >= :min_notional)
  AND (NOT :awaiting_approval
       OR EXISTS (SELECT 1 FROM break_approvals a WHERE a.break_id = b.break_id AND a.status = 'pending'))
ORDER BY b.priority_score DESC NULLS LAST, ABS(COALESCE(b.notional_usd, b.notional)) DESC NULLS LAST, b.break_id
LIMIT :limit

-- name: break_by_prefix
-- At most two: one is the break, two means the prefix is ambiguous.
SELECT b.*, l.number AS incident, l.state AS incident_state FROM breaks b
LEFT JOIN incident_links l ON l.break_id = b.break_id
WHERE b.break_id LIKE :prefix ORDER BY b.break_id
LIMIT 2

-- name: history
SELECT event_at, actor, event, from_status, to_status, reason, run_id, details FROM break_events
WHERE break_id = :b ORDER BY event_at, event_id

-- name: approvals
SELECT * FROM break_approvals
WHERE (:b IS NULL OR break_id = :b) AND (:s IS NULL OR status = :s)
ORDER BY requested_at, approval_id

-- name: approval
SELECT * FROM break_approvals WHERE approval_id = :id

-- name: last_event_at
SELECT MAX(event_at) FROM break_events WHERE break_id = :b

-- name: insert_event
INSERT INTO break_events (event_id, break_id, event_at, actor, event, from_status, to_status, reason, run_id, details)
VALUES (:id, :b, :at, :actor, :event, :f, :t, :reason, NULL, :details)

-- name: assign
UPDATE breaks SET status = :t, assignee = :a WHERE break_id = :b

-- name: investigate
UPDATE breaks SET status = 'investigating', assignee = COALESCE(assignee, :a) WHERE break_id = :b

-- name: resolve
UPDATE breaks SET status = 'resolved', resolution_code = :c WHERE break_id = :b

-- name: close_with_code
-- An approved write-off or manual match: the break's new status and resolution code.
UPDATE breaks SET status = :t, resolution_code = :c WHERE break_id = :b

-- name: request_approval
INSERT INTO break_approvals (approval_id, break_id, action, resolution_code, reason, details, requested_by,
                             requested_at, status)
VALUES (:id, :b, :action, :code, :reason, :details, :by, :at, 'pending')

-- name: decide_approval
UPDATE break_approvals SET status = :s, decided_by = :by, decided_at = :at, decision_reason = :r
WHERE approval_id = :id AND status = 'pending'
