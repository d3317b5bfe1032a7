-- Pass 6: pairs that agree on everything but one attribute become that break type, one break
-- with both sides, instead of two one-sided MISSING breaks:
--   QUANTITY_MISMATCH  same bucket, price within tolerance, quantity differs
--   PRICE_MISMATCH     same bucket and quantity, price beyond tolerance
--   SIDE_MISMATCH      same account, instrument, day, quantity and price; the side differs
--   ACCOUNT_MISMATCH   same instrument, side, day, quantity and price; another account
-- All four kinds are candidates at once. A record with one candidate is paired first (the fewer
-- alternatives the two records have, the surer the pairing), so one record's loose pairing cannot
-- take the partner another record can only have; then the kind order above, then the smallest
-- difference. Mutual best pairs are linked; the runner repeats this pass until it links nothing.
CREATE OR REPLACE TABLE w_step AS
WITH c AS (
    SELECT l.uid AS luid, r.uid AS ruid, 'QUANTITY_MISMATCH' AS kind, 1 AS kind_order,
           ABS(l.quantity - r.quantity) AS d1, ABS(l.price - r.price) AS d2
    FROM w_open l JOIN w_open r
      ON l.side_of = 'L' AND r.side_of = 'R' AND l.broker = r.broker AND l.account = r.account
     AND l.instrument_id = r.instrument_id AND l.side = r.side AND l.trade_date = r.trade_date
    WHERE ABS(l.quantity - r.quantity) > r.qty_tol
      AND ABS(l.price - r.price) * 10000 <= GREATEST(r.price_abs * 10000, r.price_bps * ABS(r.price))
    UNION ALL
    SELECT l.uid, r.uid, 'PRICE_MISMATCH', 2, ABS(l.price - r.price), ABS(l.quantity - r.quantity)
    FROM w_open l JOIN w_open r
      ON l.side_of = 'L' AND r.side_of = 'R' AND l.broker = r.broker AND l.account = r.account
     AND l.instrument_id = r.instrument_id AND l.side = r.side AND l.trade_date = r.trade_date
     AND l.quantity = r.quantity
    WHERE ABS(l.price - r.price) * 10000 > GREATEST(r.price_abs * 10000, r.price_bps * ABS(r.price))
    UNION ALL
    SELECT l.uid, r.uid, 'SIDE_MISMATCH', 3, ABS(l.price - r.price), ABS(l.quantity - r.quantity)
    FROM w_open l JOIN w_open r
      ON l.side_of = 'L' AND r.side_of = 'R' AND l.broker = r.broker AND l.account = r.account
     AND l.instrument_id = r.instrument_id AND l.trade_date = r.trade_date AND l.side <> r.side
     AND l.quantity = r.quantity
    WHERE ABS(l.price - r.price) * 10000 <= GREATEST(r.price_abs * 10000, r.price_bps * ABS(r.price))
    UNION ALL
    SELECT l.uid, r.uid, 'ACCOUNT_MISMATCH', 4, ABS(l.price - r.price), ABS(l.quantity - r.quantity)
    FROM w_open l JOIN w_open r
      ON l.side_of = 'L' AND r.side_of = 'R' AND l.broker = r.broker AND l.account <> r.account
     AND l.instrument_id = r.instrument_id AND l.side = r.side AND l.trade_date = r.trade_date
     AND l.quantity = r.quantity
    WHERE ABS(l.price - r.price) * 10000 <= GREATEST(r.price_abs * 10000, r.price_bps * ABS(r.price))
), counted AS (
    SELECT c.*,
           COUNT(*) OVER (PARTITION BY luid) AS l_options,
           COUNT(*) OVER (PARTITION BY ruid) AS r_options
    FROM c
), ranked AS (
    SELECT luid, ruid, kind,
           ROW_NUMBER() OVER (PARTITION BY luid ORDER BY r_options, kind_order, d1, d2, ruid) AS rl,
           ROW_NUMBER() OVER (PARTITION BY ruid ORDER BY l_options, kind_order, d1, d2, luid) AS rr
    FROM counted
)
SELECT luid, ruid, kind FROM ranked WHERE rl = 1 AND rr = 1;

INSERT INTO w_links (link_id, pass, uid)
SELECT kind || ':' || luid, kind, luid FROM w_step
UNION ALL
SELECT kind || ':' || luid, kind, ruid FROM w_step;
