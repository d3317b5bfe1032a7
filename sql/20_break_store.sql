-- The break store: one row per break, keyed by a deterministic break_id (a hash of the break's
-- identifying keys), MERGEd by every run so reruns are idempotent; plus an append-only history.
CREATE TABLE IF NOT EXISTS breaks (
    break_id            VARCHAR NOT NULL PRIMARY KEY,
    break_type          VARCHAR NOT NULL,
    recon               VARCHAR NOT NULL,      -- which pair: 'broker' (files) or 'dropcopy'
    broker              VARCHAR,
    account             VARCHAR,
    instrument_id       VARCHAR,
    asset_class         VARCHAR,
    side                VARCHAR,
    trade_date          DATE,
    currency            VARCHAR,
    internal_ids        VARCHAR,               -- record_ids joined by ';'
    broker_ids          VARCHAR,
    internal_quantity   NUMBER(38, 8),
    broker_quantity     NUMBER(38, 8),
    internal_price      NUMBER(38, 10),
    broker_price        NUMBER(38, 10),
    internal_settle     DATE,
    broker_settle       DATE,
    internal_commission NUMBER(38, 6),
    broker_commission   NUMBER(38, 6),
    difference_amount   NUMBER(38, 6),         -- money at stake, in currency
    notional            NUMBER(38, 6),
    anomaly_score       DOUBLE,
    anomaly_explanation VARCHAR,
    priority            VARCHAR,
    priority_score      DOUBLE,
    status              VARCHAR NOT NULL,      -- open, assigned, investigating, resolved, written_off, closed
    assignee            VARCHAR,
    resolution_code     VARCHAR,
    first_seen          TIMESTAMP NOT NULL,
    last_seen           TIMESTAMP NOT NULL,
    closed_at           TIMESTAMP,
    last_run_id         VARCHAR
);

CREATE TABLE IF NOT EXISTS break_events (
    event_id     VARCHAR NOT NULL PRIMARY KEY,  -- hash(break_id, run_id, event): reruns add no copies
    break_id     VARCHAR NOT NULL,
    event_at     TIMESTAMP NOT NULL,
    actor        VARCHAR NOT NULL,              -- 'system' or a user
    event        VARCHAR NOT NULL,              -- opened, seen, changed, closed, reopened, assigned, ...
    from_status  VARCHAR,
    to_status    VARCHAR,
    reason       VARCHAR,
    run_id       VARCHAR,
    details      VARCHAR                        -- JSON text
);

-- USD per unit of each currency on a trade date (the day's reference/fx_rates.csv, landed by
-- tasks/anomaly.land_reference): triage ranks money at risk in USD; the break keeps its amounts
-- in trade currency.
CREATE TABLE IF NOT EXISTS fx_rates (
    trade_date   DATE NOT NULL,
    currency     VARCHAR NOT NULL,
    usd_per_unit NUMBER(38, 12) NOT NULL
);

-- The store's breaks with their money in USD at the rate of their trade date (NULL without one):
-- what the exports, the report and `recon breaks list` read.
CREATE VIEW IF NOT EXISTS breaks_usd AS
SELECT b.*,
       CAST(CASE WHEN b.currency = 'USD' THEN b.difference_amount
                 ELSE b.difference_amount * r.usd_per_unit END AS NUMBER(38, 6)) AS difference_usd,
       CAST(CASE WHEN b.currency = 'USD' THEN b.notional
                 ELSE b.notional * r.usd_per_unit END AS NUMBER(38, 6)) AS notional_usd
FROM breaks b
LEFT JOIN fx_rates r ON r.trade_date = b.trade_date AND r.currency = b.currency;
