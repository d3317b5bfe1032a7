-- Pass 0: the day's candidates for one reconciliation (internal vs :right_source), in scope.
-- Every candidate gets a uid and ends in exactly one link (a match or a break) by the last pass.
-- Scope tables w_scope_brokers / w_scope_accounts are empty when the whole day is in scope.
CREATE OR REPLACE TABLE w_candidates AS
SELECT
    -- a run-local id: cheap to make (no hashing of 2M rows), unique within the run; match and break
    -- ids are built from record ids, never from uids
    CAST(ROW_NUMBER() OVER () AS VARCHAR) AS uid,
    CASE WHEN e.source = 'internal' THEN 'L' ELSE 'R' END AS side_of,
    e.source, e.record_id, e.broker, e.account, e.instrument_id, e.asset_class, e.side,
    e.trade_date, e.settle_date, e.transact_time, e.quantity, e.price, e.multiplier,
    e.currency, e.order_id, e.group_id, e.record_kind, e.file, e.line,
    -- NULL when the source reports neither (a drop copy rarely carries commission)
    CASE WHEN e.commission IS NULL AND e.fees IS NULL THEN NULL
         ELSE COALESCE(e.commission, 0) + COALESCE(e.fees, 0) END AS charges,
    e.quantity * e.price AS qp,
    COALESCE(t.price_abs, 0) AS price_abs,
    COALESCE(t.price_bps, 0) AS price_bps,
    COALESCE(t.qty_tol, 0) AS qty_tol,
    COALESCE(t.commission_abs, 0) AS commission_abs,
    COALESCE(t.settle_days, 0) AS settle_days
FROM executions e
LEFT JOIN w_tolerances t ON t.asset_class = e.asset_class
WHERE e.trade_date = :trade_date
  AND e.source IN ('internal', :right_source)
  AND (NOT EXISTS (SELECT 1 FROM w_scope_brokers) OR e.broker IN (SELECT broker FROM w_scope_brokers))
  AND (NOT EXISTS (SELECT 1 FROM w_scope_accounts) OR e.account IN (SELECT account FROM w_scope_accounts));

-- Links: (link_id, pass, uid). A 1:1 pair is two rows; an N:M group is N+M rows.
CREATE OR REPLACE TABLE w_links (
    link_id VARCHAR NOT NULL,
    pass    VARCHAR NOT NULL,
    uid     VARCHAR NOT NULL
);

-- What is still unlinked; each pass reads only this.
CREATE OR REPLACE VIEW w_open AS
SELECT c.* FROM w_candidates c
WHERE NOT EXISTS (SELECT 1 FROM w_links k WHERE k.uid = c.uid);
