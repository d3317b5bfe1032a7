-- Consumer checkpoints: per stream and shard, the last sequence number whose records were
-- processed and committed downstream ('SHARD_END' once a closed shard was read to its end).
-- A restarted consumer resumes AFTER this number, so only an uncheckpointed batch is redelivered.
CREATE TABLE IF NOT EXISTS stream_checkpoints (
    stream          VARCHAR NOT NULL,
    shard_id        VARCHAR NOT NULL,
    sequence_number VARCHAR NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (stream, shard_id)
);
