-- Pass 6: pairs that agree on everything but one attribute become that break type, one break
-- with both sides, instead of two one-sided MISSING breaks:
--   QUANTITY_MISMATCH  same bucket, price within tolerance, quantity differs
--   PRICE_MISMATCH     same bucket and quantity, price beyond tolerance
--   SIDE_MISMATCH      same account, instrument, day, quantity and price; the side differs
--   ACCOUNT_MISMATCH   same instrument, side, day, quantity and price; another account
-- All four kinds are candidates at once. A record with one candidate is paired first (the fewer
-- alternatives the two records have, the surer the pairing), so one record's loose pairing cannot
-- take the partner another record can only have; then the kind order above, then the smallest
-- difference (sql/46_pair_round.sql, repeated until a round links nothing).
CREATE OR REPLACE TABLE w_cands AS
SELECT l.uid AS luid, r.uid AS ruid, 'QUANTITY_MISMATCH' AS kind, 1 AS kind_order, 1 AS by_options,
       ABS(l.quantity - r.quantity) AS d1, ABS(l.price - r.price) AS d2
FROM w_open l JOIN w_open r
  ON l.side_of = 'L' AND r.side_of = 'R' AND l.broker = r.broker AND l.account = r.account
 AND l.instrument_id = r.instrument_id AND l.side = r.side AND l.trade_date = r.trade_date
WHERE ABS(l.quantity - r.quantity) > r.qty_tol
  AND ABS(l.price - r.price) * 10000 <= r.price_tol_e4
UNION ALL
SELECT l.uid, r.uid, 'PRICE_MISMATCH', 2, 1, ABS(l.price - r.price), ABS(l.quantity - r.quantity)
FROM w_open l JOIN w_open r
  ON l.side_of = 'L' AND r.side_of = 'R' AND l.broker = r.broker AND l.account = r.account
 AND l.instrument_id = r.instrument_id AND l.side = r.side AND l.trade_date = r.trade_date
 AND l.quantity = r.quantity
WHERE ABS(l.price - r.price) * 10000 > r.price_tol_e4
UNION ALL
SELECT l.uid, r.uid, 'SIDE_MISMATCH', 3, 1, ABS(l.price - r.price), ABS(l.quantity - r.quantity)
FROM w_open l JOIN w_open r
  ON l.side_of = 'L' AND r.side_of = 'R' AND l.broker = r.broker AND l.account = r.account
 AND l.instrument_id = r.instrument_id AND l.trade_date = r.trade_date AND l.side <> r.side
 AND l.quantity = r.quantity
WHERE ABS(l.price - r.price) * 10000 <= r.price_tol_e4
UNION ALL
SELECT l.uid, r.uid, 'ACCOUNT_MISMATCH', 4, 1, ABS(l.price - r.price), ABS(l.quantity - r.quantity)
FROM w_open l JOIN w_open r
  ON l.side_of = 'L' AND r.side_of = 'R' AND l.broker = r.broker AND l.account <> r.account
 AND l.instrument_id = r.instrument_id AND l.side = r.side AND l.trade_date = r.trade_date
 AND l.quantity = r.quantity
WHERE ABS(l.price - r.price) * 10000 <= r.price_tol_e4;
