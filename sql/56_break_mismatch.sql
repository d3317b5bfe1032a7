-- Pass 6: pairs that agree on everything but one attribute become that break type, one break
-- with both sides, instead of two one-sided MISSING breaks. Each pairing is 1:1 mutual best and
-- runs in order; a record consumed by one is not offered to the next.
-- 6a QUANTITY_MISMATCH: same bucket, price within tolerance, quantity differs.
CREATE OR REPLACE TABLE w_step AS
WITH c AS (
    SELECT l.uid AS luid, r.uid AS ruid, ABS(l.quantity - r.quantity) AS d1, ABS(l.price - r.price) AS d2
    FROM w_open l JOIN w_open r
      ON l.side_of = 'L' AND r.side_of = 'R' AND l.broker = r.broker AND l.account = r.account
     AND l.instrument_id = r.instrument_id AND l.side = r.side AND l.trade_date = r.trade_date
    WHERE ABS(l.price - r.price) * 10000 <= GREATEST(r.price_abs * 10000, r.price_bps * ABS(r.price))
), ranked AS (
    SELECT luid, ruid,
           ROW_NUMBER() OVER (PARTITION BY luid ORDER BY d1, d2, ruid) AS rl,
           ROW_NUMBER() OVER (PARTITION BY ruid ORDER BY d1, d2, luid) AS rr
    FROM c
)
SELECT luid, ruid FROM ranked WHERE rl = 1 AND rr = 1;

INSERT INTO w_links (link_id, pass, uid)
SELECT 'QUANTITY_MISMATCH:' || luid, 'QUANTITY_MISMATCH', luid FROM w_step
UNION ALL
SELECT 'QUANTITY_MISMATCH:' || luid, 'QUANTITY_MISMATCH', ruid FROM w_step;

-- 6b PRICE_MISMATCH: same bucket and quantity, price beyond tolerance.
CREATE OR REPLACE TABLE w_step AS
WITH c AS (
    SELECT l.uid AS luid, r.uid AS ruid, ABS(l.price - r.price) AS d1
    FROM w_open l JOIN w_open r
      ON l.side_of = 'L' AND r.side_of = 'R' AND l.broker = r.broker AND l.account = r.account
     AND l.instrument_id = r.instrument_id AND l.side = r.side AND l.trade_date = r.trade_date
    WHERE ABS(l.quantity - r.quantity) <= r.qty_tol
), ranked AS (
    SELECT luid, ruid,
           ROW_NUMBER() OVER (PARTITION BY luid ORDER BY d1, ruid) AS rl,
           ROW_NUMBER() OVER (PARTITION BY ruid ORDER BY d1, luid) AS rr
    FROM c
)
SELECT luid, ruid FROM ranked WHERE rl = 1 AND rr = 1;

INSERT INTO w_links (link_id, pass, uid)
SELECT 'PRICE_MISMATCH:' || luid, 'PRICE_MISMATCH', luid FROM w_step
UNION ALL
SELECT 'PRICE_MISMATCH:' || luid, 'PRICE_MISMATCH', ruid FROM w_step;

-- 6c SIDE_MISMATCH: same account, instrument, day, quantity and price; the side differs.
CREATE OR REPLACE TABLE w_step AS
WITH c AS (
    SELECT l.uid AS luid, r.uid AS ruid, ABS(l.price - r.price) AS d1
    FROM w_open l JOIN w_open r
      ON l.side_of = 'L' AND r.side_of = 'R' AND l.broker = r.broker AND l.account = r.account
     AND l.instrument_id = r.instrument_id AND l.trade_date = r.trade_date AND l.side <> r.side
    WHERE ABS(l.quantity - r.quantity) <= r.qty_tol
      AND ABS(l.price - r.price) * 10000 <= GREATEST(r.price_abs * 10000, r.price_bps * ABS(r.price))
), ranked AS (
    SELECT luid, ruid,
           ROW_NUMBER() OVER (PARTITION BY luid ORDER BY d1, ruid) AS rl,
           ROW_NUMBER() OVER (PARTITION BY ruid ORDER BY d1, luid) AS rr
    FROM c
)
SELECT luid, ruid FROM ranked WHERE rl = 1 AND rr = 1;

INSERT INTO w_links (link_id, pass, uid)
SELECT 'SIDE_MISMATCH:' || luid, 'SIDE_MISMATCH', luid FROM w_step
UNION ALL
SELECT 'SIDE_MISMATCH:' || luid, 'SIDE_MISMATCH', ruid FROM w_step;

-- 6d ACCOUNT_MISMATCH: same instrument, side, day, quantity and price; booked to another account.
CREATE OR REPLACE TABLE w_step AS
WITH c AS (
    SELECT l.uid AS luid, r.uid AS ruid, ABS(l.price - r.price) AS d1
    FROM w_open l JOIN w_open r
      ON l.side_of = 'L' AND r.side_of = 'R' AND l.broker = r.broker AND l.account <> r.account
     AND l.instrument_id = r.instrument_id AND l.side = r.side AND l.trade_date = r.trade_date
    WHERE ABS(l.quantity - r.quantity) <= r.qty_tol
      AND ABS(l.price - r.price) * 10000 <= GREATEST(r.price_abs * 10000, r.price_bps * ABS(r.price))
), ranked AS (
    SELECT luid, ruid,
           ROW_NUMBER() OVER (PARTITION BY luid ORDER BY d1, ruid) AS rl,
           ROW_NUMBER() OVER (PARTITION BY ruid ORDER BY d1, luid) AS rr
    FROM c
)
SELECT luid, ruid FROM ranked WHERE rl = 1 AND rr = 1;

INSERT INTO w_links (link_id, pass, uid)
SELECT 'ACCOUNT_MISMATCH:' || luid, 'ACCOUNT_MISMATCH', luid FROM w_step
UNION ALL
SELECT 'ACCOUNT_MISMATCH:' || luid, 'ACCOUNT_MISMATCH', ruid FROM w_step;
