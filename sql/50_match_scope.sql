-- Pass 0: the day's candidates for one reconciliation (internal vs :right_source), drawn from the
-- view w_source (tasks/match.py source_view: all of executions, or a run's broker/account scope;
-- a stream batch: only its keys).
-- Every candidate gets a uid and ends in exactly one link (a match or a break) by the last pass.
-- Internal rows are written first and the other side after, so a scan of one side reads only that
-- side's row groups. uid: a run-local integer (ids that leave the run are built from record ids).
CREATE OR REPLACE TABLE w_candidates AS
SELECT
    ROW_NUMBER() OVER (ORDER BY NULL) AS uid,
    'L' AS side_of,
    e.source, e.record_id, e.broker, e.account, e.instrument_id, e.asset_class, e.side,
    e.trade_date, e.settle_date, e.transact_time, e.quantity, e.price, e.multiplier,
    e.currency, e.order_id, e.group_id, e.file, e.line,
    -- NULL when the source reports neither (a drop copy rarely carries commission)
    CASE WHEN e.commission IS NULL AND e.fees IS NULL THEN NULL
         ELSE COALESCE(e.commission, 0) + COALESCE(e.fees, 0) END AS charges
FROM w_source e
WHERE e.trade_date = :trade_date
  AND e.source = 'internal';

INSERT INTO w_candidates
SELECT
    (SELECT COUNT(*) FROM w_candidates) + ROW_NUMBER() OVER (ORDER BY NULL),
    'R',
    e.source, e.record_id, e.broker, e.account, e.instrument_id, e.asset_class, e.side,
    e.trade_date, e.settle_date, e.transact_time, e.quantity, e.price, e.multiplier,
    e.currency, e.order_id, e.group_id, e.file, e.line,
    CASE WHEN e.commission IS NULL AND e.fees IS NULL THEN NULL
         ELSE COALESCE(e.commission, 0) + COALESCE(e.fees, 0) END
FROM w_source e
WHERE e.trade_date = :trade_date
  AND e.source = :right_source;

-- Links: (link_id, pass, uid). A 1:1 pair is two rows; an N:M group is N+M rows. A link's id is
-- the uid of one of its records, so it is unique without hashing anything.
CREATE OR REPLACE TABLE w_links (
    link_id BIGINT NOT NULL,
    pass    VARCHAR NOT NULL,
    uid     BIGINT NOT NULL
);
-- The 1:1 links again as one row each (classification reads both records of a pair by uid).
CREATE OR REPLACE TABLE w_pairs (
    link_id BIGINT NOT NULL,
    pass    VARCHAR NOT NULL,
    luid    BIGINT NOT NULL,
    ruid    BIGINT NOT NULL
);
