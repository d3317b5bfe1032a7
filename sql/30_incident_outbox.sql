-- The incident outbox: every ServiceNow write is first a row here, written in the same warehouse as
-- the break store, then delivered by a task. An unreachable ServiceNow delays incidents; it never
-- loses them and never blocks matching. One row per (break_id, run_id, op): reruns add no copies.
CREATE TABLE IF NOT EXISTS incident_outbox (
    outbox_id        VARCHAR NOT NULL PRIMARY KEY,  -- hash(break_id, run_id, op)
    seq              NUMBER(38, 0) NOT NULL,        -- delivery order; serialized per break_id
    break_id         VARCHAR NOT NULL,              -- the incident's correlation_id
    run_id           VARCHAR NOT NULL,
    op               VARCHAR NOT NULL,              -- upsert | resolve
    event            VARCHAR NOT NULL,              -- the break event that caused it
    payload          VARCHAR NOT NULL,              -- JSON: break snapshot + links, mapped at delivery
    status           VARCHAR NOT NULL,              -- pending | delivered | failed (refused, needs a human)
    attempts         NUMBER(38, 0) NOT NULL,
    next_attempt_at  TIMESTAMP,
    last_error       VARCHAR,
    created_at       TIMESTAMP NOT NULL,
    delivered_at     TIMESTAMP,
    incident_sys_id  VARCHAR,
    incident_number  VARCHAR
);

-- Rows staged by one enqueue before the idempotent insert (same columns, no key).
CREATE TABLE IF NOT EXISTS incident_outbox_stage (
    outbox_id        VARCHAR NOT NULL,
    seq              NUMBER(38, 0) NOT NULL,
    break_id         VARCHAR NOT NULL,
    run_id           VARCHAR NOT NULL,
    op               VARCHAR NOT NULL,
    event            VARCHAR NOT NULL,
    payload          VARCHAR NOT NULL,
    created_at       TIMESTAMP NOT NULL
);

-- The incident each break has (one per break, ever), as last seen by delivery or sync.
CREATE TABLE IF NOT EXISTS incident_links (
    break_id         VARCHAR NOT NULL PRIMARY KEY,
    sys_id           VARCHAR NOT NULL,
    number           VARCHAR,
    state            VARCHAR,
    updated_at       TIMESTAMP NOT NULL
);

-- Sync-back watermark: the last sys_updated_on read from ServiceNow (its own clock, as text).
CREATE TABLE IF NOT EXISTS incident_sync_state (
    name             VARCHAR NOT NULL PRIMARY KEY,
    watermark        VARCHAR,
    synced_at        TIMESTAMP NOT NULL
);

-- Deliveries confirmed by ServiceNow, written back to the outbox in batches (one UPDATE + one MERGE
-- per batch instead of two statements per incident). A crash before the write-back only means the
-- rows are delivered again: GET-first makes that an idempotent PATCH.
CREATE TABLE IF NOT EXISTS incident_outbox_done (
    outbox_id        VARCHAR NOT NULL,
    seq              NUMBER(38, 0) NOT NULL,
    break_id         VARCHAR NOT NULL,
    sys_id           VARCHAR,
    number           VARCHAR,
    state            VARCHAR,
    delivered_at     TIMESTAMP NOT NULL
);
