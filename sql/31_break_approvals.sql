-- Maker-checker: a manual match or a write-off is a request by one user that a second, different
-- user approves (or rejects). Only an approval changes the break; both steps are break_events.
CREATE TABLE IF NOT EXISTS break_approvals (
    approval_id      VARCHAR NOT NULL PRIMARY KEY,
    break_id         VARCHAR NOT NULL,
    action           VARCHAR NOT NULL,       -- write_off | manual_match
    resolution_code  VARCHAR NOT NULL,
    reason           VARCHAR NOT NULL,
    details          VARCHAR,                -- JSON: e.g. the record ids a manual match pairs
    requested_by     VARCHAR NOT NULL,
    requested_at     TIMESTAMP NOT NULL,
    status           VARCHAR NOT NULL,       -- pending | approved | rejected
    decided_by       VARCHAR,
    decided_at       TIMESTAMP,
    decision_reason  VARCHAR
);
