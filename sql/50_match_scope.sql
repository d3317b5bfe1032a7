-- Pass 0: the day's candidates for one reconciliation (internal vs :right_source), as a view over
-- w_source (tasks/match.py source_view: all of executions, or a run's broker/account scope; a stream
-- batch: only its keys). Nothing is copied: every execution has its uid from the insert, so each
-- pass reads the columns it needs where they are (copying the day first cost 1 s at 1M records,
-- 7x the bare join of the two sides). Every candidate ends in exactly one link (a match or a
-- break) by the last pass. Views take no binds: tasks/match.py writes the day and the source in.
CREATE OR REPLACE VIEW w_candidates AS
SELECT
    e.uid,
    CASE WHEN e.source = 'internal' THEN 'L' ELSE 'R' END AS side_of,
    e.source, e.record_id, e.broker, e.account, e.instrument_id, e.asset_class, e.side,
    e.trade_date, e.settle_date, e.transact_time, e.quantity, e.price, e.multiplier,
    e.currency, e.order_id, e.group_id, e.file, e.line,
    -- NULL when the source reports neither (a drop copy rarely carries commission)
    CASE WHEN e.commission IS NULL AND e.fees IS NULL THEN NULL
         ELSE COALESCE(e.commission, 0) + COALESCE(e.fees, 0) END AS charges
FROM w_source e
WHERE e.trade_date = :trade_date
  AND e.source IN ('internal', :right_source);

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
