-- Pass 3: tolerance 1:1 within (broker, account, instrument_id, side, trade_date).
-- Prices agree when |a - b| <= max(price_abs, price_bps/10000 * |b|), written without division
-- so the test stays in exact decimals. The candidate pairs are built once; rounds of mutual best
-- choice (sql/46_pair_round.sql: smallest quantity, then price difference) link them.
-- Most of what the exact pass left was linked by the aggregates: w_open is rewritten to what is
-- left, so the 1:1 pairings scan only that, with each record's price tolerance x 10,000 computed
-- once (pairs compare |a - b| * 10000 with it, no division; once per pair cost more than the join).
CREATE OR REPLACE TABLE w_open AS
SELECT o.*, GREATEST(o.price_abs * 10000, o.price_bps * ABS(o.price)) AS price_tol_e4
FROM w_open o;

CREATE OR REPLACE TABLE w_cands AS
-- quantities must agree exactly (the usual rule): quantity is a join key, so big buckets stay cheap
SELECT l.uid AS luid, r.uid AS ruid, 'tolerance' AS kind, 0 AS kind_order, 0 AS by_options,
       ABS(l.quantity - r.quantity) AS d1, ABS(l.price - r.price) AS d2
FROM w_open l
JOIN w_open r
  ON l.side_of = 'L' AND r.side_of = 'R'
 AND l.broker = r.broker AND l.account = r.account AND l.instrument_id = r.instrument_id
 AND l.side = r.side AND l.trade_date = r.trade_date AND l.quantity = r.quantity
WHERE r.qty_tol = 0
  AND ABS(l.price - r.price) * 10000 <= r.price_tol_e4
UNION ALL
-- asset classes with a quantity tolerance: a band on quantity within the bucket
SELECT l.uid, r.uid, 'tolerance', 0, 0, ABS(l.quantity - r.quantity), ABS(l.price - r.price)
FROM w_open l
JOIN w_open r
  ON l.side_of = 'L' AND r.side_of = 'R'
 AND l.broker = r.broker AND l.account = r.account AND l.instrument_id = r.instrument_id
 AND l.side = r.side AND l.trade_date = r.trade_date
WHERE r.qty_tol > 0
  AND ABS(l.quantity - r.quantity) <= r.qty_tol
  AND ABS(l.price - r.price) * 10000 <= r.price_tol_e4;
