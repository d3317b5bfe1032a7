-- Work tables of a stream batch (tasks/stream.py, tasks/stream_match.py), emptied and refilled by
-- every batch: the records' ids and hashes, the batch's new fills and the keys to re-match.
CREATE TABLE IF NOT EXISTS w_stream_ids (broker VARCHAR NOT NULL, record_id VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS w_stream_hashes (msg_hash VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS w_stream_fills (
    broker VARCHAR, record_id VARCHAR, account VARCHAR, instrument_id VARCHAR, trade_date DATE, first_arrival TIMESTAMP,
    first_seen TIMESTAMP
);
CREATE TABLE IF NOT EXISTS w_stream_keys (broker VARCHAR, instrument_id VARCHAR, trade_date DATE);
