-- Streaming reconciliation state (tasks/stream.py). Idempotent DDL; run before every batch.

-- Every stream record processed, keyed by a hash of its bytes: a redelivered record (after a
-- crash, before its checkpoint) or a replay of the same bytes is recognised and skipped. The raw
-- text is kept so a new process can rebuild the FIX lifecycle book (corrections/busts of fills
-- seen in earlier batches) exactly as it was.
CREATE TABLE IF NOT EXISTS stream_messages (
    stream          VARCHAR NOT NULL,
    msg_hash        VARCHAR NOT NULL,           -- md5 of the raw bytes
    broker          VARCHAR,
    shard_id        VARCHAR,
    sequence_number VARCHAR,
    partition_key   VARCHAR,
    arrival         TIMESTAMP NOT NULL,         -- put time (Kinesis arrival) or receipt time, UTC
    batch_id        VARCHAR NOT NULL,
    ord             BIGINT NOT NULL,            -- processing order, for the book rebuild
    data            VARCHAR NOT NULL,           -- raw message, latin-1 text
    PRIMARY KEY (stream, msg_hash)
);

-- Drop-copy executions seen on the stream: when each first arrived, and the first decision made
-- on it (a match, or a break published once its window passed). Lag metrics come from here.
CREATE TABLE IF NOT EXISTS stream_fills (
    broker          VARCHAR NOT NULL,
    record_id       VARCHAR NOT NULL,           -- ExecID (the original one for a corrected fill)
    account         VARCHAR,
    instrument_id   VARCHAR,
    trade_date      DATE,
    first_arrival   TIMESTAMP NOT NULL,             -- put time (Kinesis arrival; the producer's clock)
    first_seen      TIMESTAMP NOT NULL,             -- receipt on recon's clock: the window counts from here
    decided_at      TIMESTAMP,                  -- NULL: pending (unmatched, window not passed)
    outcome         VARCHAR,                    -- matched | break | busted
    decided_batch   VARCHAR,
    PRIMARY KEY (broker, record_id)
);

-- Keys (broker, instrument, trade date: every matching pass pairs within one instrument) whose
-- drop-copy side changed and must be re-matched; written in the same transaction as the
-- executions, deleted after the keys were matched and published (a crash in between leaves them
-- here for the next batch).
CREATE TABLE IF NOT EXISTS stream_dirty (
    broker        VARCHAR NOT NULL,
    instrument_id VARCHAR NOT NULL,
    trade_date    DATE NOT NULL,
    batch_id      VARCHAR NOT NULL
);

-- What the internal side looked like when last matched, per key: a late internal booking (a
-- re-landed OMS file) changes the fingerprint and the key is re-matched.
CREATE TABLE IF NOT EXISTS stream_internal_marks (
    broker        VARCHAR NOT NULL,
    instrument_id VARCHAR NOT NULL,
    trade_date    DATE NOT NULL,
    fingerprint   VARCHAR NOT NULL
);

-- One row per micro-batch: counts, lag (arrival -> decision) and throughput.
CREATE TABLE IF NOT EXISTS stream_batches (
    batch_id        VARCHAR NOT NULL PRIMARY KEY,
    stream          VARCHAR NOT NULL,
    started_at      TIMESTAMP NOT NULL,
    finished_at     TIMESTAMP NOT NULL,
    records         BIGINT NOT NULL,            -- delivered by the consumer
    redelivered     BIGINT NOT NULL,            -- already processed (same bytes): skipped
    parsed          BIGINT NOT NULL,
    rejects         BIGINT NOT NULL,
    executions      BIGINT NOT NULL,            -- drop-copy executions created or corrected
    removed         BIGINT NOT NULL,            -- busted
    keys_matched    BIGINT NOT NULL,
    matched         BIGINT NOT NULL,            -- fills decided 'matched' in this batch
    breaks          BIGINT NOT NULL,            -- fills decided 'break' in this batch
    opened          BIGINT NOT NULL,            -- break store events of this batch
    closed          BIGINT NOT NULL,
    pending         BIGINT NOT NULL,            -- fills still waiting for their window
    lag_p50_ms      DOUBLE,
    lag_p99_ms      DOUBLE,
    lag_max_ms      DOUBLE,
    seconds         DOUBLE NOT NULL,
    records_per_s   DOUBLE NOT NULL
);
