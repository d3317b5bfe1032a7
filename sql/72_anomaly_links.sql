-- Every scored link, kept: its features (a JSON list in the order of the model's feature schema),
-- the model that scored it and the verdict. What monitoring (PSI against the model's training
-- sample), retraining (the last N days, no re-matching) and analysts' feedback (a break's
-- resolution code joined by the link's record ids) read. Replaced per link on a rerun.
CREATE TABLE IF NOT EXISTS anomaly_links (
    trade_date    DATE NOT NULL,
    recon         VARCHAR NOT NULL,          -- broker | dropcopy
    link_key      VARCHAR NOT NULL,          -- internal_ids '|' broker_ids
    internal_ids  VARCHAR,
    broker_ids    VARCHAR,
    break_type    VARCHAR,                   -- NULL for a match
    model         VARCHAR,                   -- registry version, or day-fit:<detector>
    schema_hash   VARCHAR NOT NULL,
    raw_score     DOUBLE,
    anomaly_score DOUBLE,
    is_anomaly    BOOLEAN,
    top_feature   VARCHAR,
    features      VARCHAR NOT NULL,          -- JSON list of numbers, imputed values included
    imputed       VARCHAR                    -- JSON list of the names of the imputed features
);

-- One pair's scored links before they go into anomaly_links (tasks/anomaly.py stages them by link).
CREATE TABLE IF NOT EXISTS w_anomaly_stage (
    link_id       BIGINT NOT NULL,
    model         VARCHAR,
    schema_hash   VARCHAR NOT NULL,
    raw_score     DOUBLE,
    anomaly_score DOUBLE,
    is_anomaly    BOOLEAN,
    top_feature   VARCHAR,
    features      VARCHAR NOT NULL,
    imputed       VARCHAR
);

-- Registered models' verdicts on drift, one row per model and day (the incident key).
CREATE TABLE IF NOT EXISTS model_drift (
    trade_date  DATE NOT NULL,
    model       VARCHAR NOT NULL,
    links       NUMBER(38, 0) NOT NULL,
    max_psi     DOUBLE NOT NULL,
    drifted     VARCHAR,                     -- comma-separated names above the threshold
    threshold   DOUBLE NOT NULL,
    details     VARCHAR NOT NULL,            -- JSON rows {name, psi, drifted}
    checked_at  TIMESTAMP NOT NULL
);
