-- The landing and canonical tables every source writes into (run first; idempotent).
-- Raw landing tables raw_<mapping name> are created per layout by recon/mapping/load.py:
-- every file column as VARCHAR named f_<sanitized header>, plus _file and _line.

-- Canonical executions: columns exactly recon.model.EXECUTION_SCHEMA (same order), then uid.
CREATE TABLE IF NOT EXISTS executions (
    source        VARCHAR NOT NULL,        -- internal | broker | dropcopy
    record_id     VARCHAR NOT NULL,        -- the source's own id (trade id, ExecID, broker ref)
    account       VARCHAR NOT NULL,
    instrument_id VARCHAR NOT NULL,        -- master id, or '<TYPE>:<value>' when unknown
    asset_class   VARCHAR,
    side          VARCHAR NOT NULL,        -- buy | sell | sell_short | buy_to_cover
    quantity      NUMBER(38, 8) NOT NULL,  -- always positive; direction is in side
    price         NUMBER(38, 10) NOT NULL,
    trade_date    DATE NOT NULL,
    broker        VARCHAR,
    record_kind   VARCHAR,                 -- fill | allocation | trade
    symbol        VARCHAR,
    mic           VARCHAR,
    isin          VARCHAR,
    cusip         VARCHAR,
    sedol         VARCHAR,
    multiplier    NUMBER(38, 8),
    gross         NUMBER(38, 6),           -- quantity * price * multiplier
    commission    NUMBER(38, 6),
    fees          NUMBER(38, 6),
    net           NUMBER(38, 6),           -- as the source states it (NULL when it does not)
    accrued       NUMBER(38, 6),
    currency      VARCHAR,
    settle_date   DATE,
    transact_time TIMESTAMP,
    order_id      VARCHAR,
    group_id      VARCHAR,                 -- allocation / block id tying N records together
    exec_type     VARCHAR,
    ref_id        VARCHAR,
    version       INTEGER,
    file          VARCHAR,                 -- the input file (key for idempotent re-ingestion)
    line          BIGINT,                  -- 1-based physical row in the file (header = 1)
    -- The warehouse's own id for the row, given on insert (writers never set it): matching reads
    -- executions in place by uid instead of copying the day into a work table first.
    uid           BIGINT AUTOINCREMENT
);

-- Every input row that could not become canonical, with the reason. Nothing is dropped silently.
CREATE TABLE IF NOT EXISTS rejects (
    source    VARCHAR NOT NULL,
    file      VARCHAR NOT NULL,
    line      BIGINT NOT NULL,             -- 0 for a file-level error (e.g. a missing trailer)
    reason    VARCHAR NOT NULL,            -- '<class>: <detail>', e.g. "bad number: qty='12a'"
    record_id VARCHAR,
    raw       VARCHAR                      -- the row as the file had it
);

-- The instrument master (recon.instruments.MASTER_COLUMNS) and its identifier index.
CREATE TABLE IF NOT EXISTS instruments (
    instrument_id VARCHAR NOT NULL,
    asset_class   VARCHAR NOT NULL,
    symbol        VARCHAR,
    mic           VARCHAR,
    isin          VARCHAR,
    cusip         VARCHAR,
    sedol         VARCHAR,
    occ_symbol    VARCHAR,
    future_code   VARCHAR,
    fx_pair       VARCHAR,
    multiplier    NUMBER(38, 8),
    currency      VARCHAR,
    description   VARCHAR
);

CREATE TABLE IF NOT EXISTS instrument_ids (
    id_type       VARCHAR NOT NULL,        -- isin, cusip, sedol, ticker, ticker_mic, occ, future, fx_pair, instrument_id
    id_value      VARCHAR NOT NULL,
    instrument_id VARCHAR NOT NULL
);

-- Control totals per ingested file: rows_read = canonical + rejected, always.
CREATE TABLE IF NOT EXISTS control_totals (
    run_id           VARCHAR,
    trade_date       DATE,
    source           VARCHAR NOT NULL,
    mapping          VARCHAR NOT NULL,
    broker           VARCHAR,
    file             VARCHAR NOT NULL,
    rows_read        BIGINT NOT NULL,      -- data rows (header and trailer excluded)
    canonical        BIGINT NOT NULL,
    rejected         BIGINT NOT NULL,
    rejected_by_reason VARCHAR,            -- JSON object: reason class -> rows
    trailer_count    BIGINT,               -- what the trailer row says (NULL: no trailer in the layout)
    trailer_status   VARCHAR,              -- ok | mismatch | missing | unreadable | none
    file_errors      BIGINT NOT NULL,      -- file-level rejects (trailer problems)
    ingested_at      TIMESTAMP NOT NULL
);
