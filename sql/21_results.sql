-- What each reconciliation concluded, kept per trade date: the matches, and one outcome row per
-- input record (matched or in a break) for control totals and for the anomaly model's labels.
CREATE TABLE IF NOT EXISTS matches (
    trade_date              DATE NOT NULL,
    recon                   VARCHAR NOT NULL,
    match_id                VARCHAR NOT NULL,
    match_type              VARCHAR NOT NULL,
    broker                  VARCHAR,
    account                 VARCHAR,
    instrument_id           VARCHAR,
    side                    VARCHAR,
    internal_ids            VARCHAR,
    broker_ids              VARCHAR,
    internal_quantity       NUMBER(38, 8),
    broker_quantity         NUMBER(38, 8),
    internal_price          NUMBER(38, 10),
    broker_price            NUMBER(38, 10),
    price_difference_amount NUMBER(38, 6),
    commission_difference   NUMBER(38, 6),
    run_id                  VARCHAR
);

CREATE TABLE IF NOT EXISTS record_outcomes (
    trade_date  DATE NOT NULL,
    recon       VARCHAR NOT NULL,
    source      VARCHAR NOT NULL,
    broker      VARCHAR,
    account     VARCHAR,
    record_id   VARCHAR NOT NULL,
    file        VARCHAR,
    line        BIGINT,
    outcome     VARCHAR NOT NULL,   -- matched | break
    result_id   VARCHAR NOT NULL,   -- the match_id or the break_id
    result_type VARCHAR NOT NULL,   -- match type or break type
    run_id      VARCHAR
);
