-- A stream batch's records -> drop-copy executions (tasks/stream.py). Named statements. The batch's
-- writes (from dirty_from_busted to the stream_messages load) run in one transaction.

-- name: instruments
SELECT * FROM instruments

-- name: book_messages
-- Every committed message of a (stream, broker), in processing order: rebuilds the FIX book.
SELECT data, shard_id, sequence_number FROM stream_messages WHERE stream = :s AND broker = :b ORDER BY ord

-- name: clear_hashes
DELETE FROM w_stream_hashes

-- name: known_hashes
-- The batch's records already processed (a redelivery, a replay of the same bytes).
SELECT h.msg_hash FROM w_stream_hashes h JOIN stream_messages m ON m.msg_hash = h.msg_hash AND m.stream = :s

-- name: last_ord
SELECT COALESCE(MAX(ord), 0) FROM stream_messages WHERE stream = :s

-- name: clear_ids
DELETE FROM w_stream_ids

-- name: dirty_from_busted
-- Keys of fills the batch corrects or busts must be re-matched (their break, if any, then closes).
INSERT INTO stream_dirty (broker, instrument_id, trade_date, batch_id)
SELECT DISTINCT f.broker, f.instrument_id, f.trade_date, :batch FROM stream_fills f
JOIN w_stream_ids i ON i.broker = f.broker AND i.record_id = f.record_id
WHERE f.instrument_id IS NOT NULL

-- name: delete_replaced_executions
DELETE FROM executions WHERE source = 'dropcopy' AND EXISTS (
    SELECT 1 FROM w_stream_ids i WHERE i.broker = executions.broker AND i.record_id = executions.record_id
)

-- name: clear_fills
DELETE FROM w_stream_fills

-- name: insert_new_fills
-- A fill keeps its first arrival: a correction of a known fill adds nothing here.
INSERT INTO stream_fills (broker, record_id, account, instrument_id, trade_date, first_arrival, first_seen)
SELECT broker, record_id, MIN(account), MIN(instrument_id), MIN(trade_date), MIN(first_arrival), MIN(first_seen)
FROM w_stream_fills w
WHERE NOT EXISTS (SELECT 1 FROM stream_fills f WHERE f.broker = w.broker AND f.record_id = w.record_id)
GROUP BY broker, record_id

-- name: dirty_from_fills
INSERT INTO stream_dirty (broker, instrument_id, trade_date, batch_id)
SELECT DISTINCT broker, instrument_id, trade_date, :batch FROM w_stream_fills

-- name: mark_busted
-- After the executions are back: only a busted fill is gone (a corrected one was re-inserted).
UPDATE stream_fills SET decided_at = :now, outcome = 'busted', decided_batch = :batch
WHERE decided_at IS NULL
  AND EXISTS (SELECT 1 FROM w_stream_ids i WHERE i.broker = stream_fills.broker AND i.record_id = stream_fills.record_id)
  AND NOT EXISTS (SELECT 1 FROM executions e WHERE e.source = 'dropcopy' AND e.broker = stream_fills.broker
                  AND e.record_id = stream_fills.record_id)
