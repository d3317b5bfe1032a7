-- Pass 1: exact 1:1 on (broker, account, instrument_id, side, trade_date, quantity, price).
-- Most of a day matches here, so this pass is one join over all candidates; every later pass
-- works only on what it leaves (w_open). A key with one record per side is a pair as it stands;
-- where a key has several records on a side (repeated prints), they pair in time order.
CREATE OR REPLACE TABLE w_exact AS
SELECT l.uid AS luid, r.uid AS ruid
FROM w_candidates l
JOIN w_candidates r
  ON l.side_of = 'L' AND r.side_of = 'R'
 AND l.broker = r.broker AND l.account = r.account AND l.instrument_id = r.instrument_id
 AND l.side = r.side AND l.trade_date = r.trade_date AND l.quantity = r.quantity AND l.price = r.price;

-- Pairs of keys with several records on a side: each such pair repeats a uid.
CREATE OR REPLACE TABLE w_exact_tied AS
SELECT luid, ruid FROM w_exact
WHERE luid IN (SELECT luid FROM w_exact GROUP BY luid HAVING COUNT(*) > 1)
   OR ruid IN (SELECT ruid FROM w_exact GROUP BY ruid HAVING COUNT(*) > 1);

CREATE OR REPLACE TABLE w_step AS
WITH tied AS (
    SELECT c.uid, c.side_of, c.broker, c.account, c.instrument_id, c.side, c.trade_date, c.quantity, c.price,
           ROW_NUMBER() OVER (PARTITION BY c.side_of, c.broker, c.account, c.instrument_id, c.side, c.trade_date,
                                           c.quantity, c.price
                              ORDER BY c.transact_time, c.record_id, c.uid) AS rn
    FROM w_candidates c
    WHERE c.uid IN (SELECT luid FROM w_exact_tied UNION ALL SELECT ruid FROM w_exact_tied)
)
SELECT luid AS link_id, 'exact' AS pass, luid, ruid
FROM w_exact
WHERE luid NOT IN (SELECT luid FROM w_exact_tied) AND ruid NOT IN (SELECT ruid FROM w_exact_tied)
UNION ALL
SELECT l.uid, 'exact', l.uid, r.uid
FROM tied l
JOIN tied r
  ON l.side_of = 'L' AND r.side_of = 'R'
 AND l.broker = r.broker AND l.account = r.account AND l.instrument_id = r.instrument_id
 AND l.side = r.side AND l.trade_date = r.trade_date AND l.quantity = r.quantity AND l.price = r.price
 AND l.rn = r.rn;

INSERT INTO w_pairs (link_id, pass, luid, ruid) SELECT link_id, pass, luid, ruid FROM w_step;
INSERT INTO w_links (link_id, pass, uid)
SELECT link_id, pass, luid FROM w_step
UNION ALL
SELECT link_id, pass, ruid FROM w_step;

-- What the later passes work on: the unlinked records with their asset class's tolerances. Each
-- pass removes what it links (sql/47_link_pairs.sql for the 1:1 passes).
CREATE OR REPLACE TABLE w_open AS
SELECT c.uid, c.side_of, c.broker, c.account, c.instrument_id, c.side, c.trade_date,
       c.quantity, c.price, c.quantity * c.price AS qp, c.order_id, c.group_id,
       COALESCE(t.price_abs, 0) AS price_abs,
       COALESCE(t.price_bps, 0) AS price_bps,
       COALESCE(t.qty_tol, 0) AS qty_tol
FROM w_candidates c
LEFT JOIN w_tolerances t ON t.asset_class = c.asset_class
WHERE c.uid NOT IN (SELECT uid FROM w_links);
