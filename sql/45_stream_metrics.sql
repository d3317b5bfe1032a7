-- Per-batch metrics (tasks/stream_metrics.py): one stream_batches row per micro-batch, and the lag
-- of every fill the batch decided. Named statements.

-- name: decided_fills
SELECT outcome, first_arrival, first_seen, decided_at FROM stream_fills
WHERE decided_batch = :b AND outcome IN ('matched', 'break')

-- name: forget_batch
-- A redelivered batch replaces its row.
DELETE FROM stream_batches WHERE batch_id = :batch_id

-- name: insert_batch
INSERT INTO stream_batches (batch_id, stream, started_at, finished_at, records, redelivered, parsed, rejects,
    executions, removed, keys_matched, matched, breaks, opened, closed, pending, lag_p50_ms, lag_p99_ms, lag_max_ms,
    seconds, records_per_s)
VALUES (:batch_id, :stream, :started_at, :finished_at, :records, :redelivered, :parsed, :rejects,
    :executions, :removed, :keys_matched, :matched, :breaks, :opened, :closed, :pending, :lag_p50_ms, :lag_p99_ms,
    :lag_max_ms, :seconds, :records_per_s)

-- name: recent_batches
-- The latest batches, newest first (of one stream, or of all when :stream is NULL).
SELECT * FROM stream_batches WHERE (:stream IS NULL OR stream = :stream) ORDER BY finished_at DESC LIMIT :limit
