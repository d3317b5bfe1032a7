-- Pass 2: tolerance 1:1 within (broker, account, instrument_id, side, trade_date).
-- Prices agree when |a - b| <= max(price_abs, price_bps/10000 * |b|), written without division
-- so the test stays in exact decimals. Pairs are mutual best (smallest differences); the runner
-- repeats this pass until it links nothing new.
CREATE OR REPLACE TABLE w_step AS
WITH c AS (
    -- quantities must agree exactly (the usual rule): quantity is a join key, so big buckets stay cheap
    SELECT l.uid AS luid, r.uid AS ruid, ABS(l.quantity - r.quantity) AS dq, ABS(l.price - r.price) AS dp
    FROM w_open l
    JOIN w_open r
      ON l.side_of = 'L' AND r.side_of = 'R'
     AND l.broker = r.broker AND l.account = r.account AND l.instrument_id = r.instrument_id
     AND l.side = r.side AND l.trade_date = r.trade_date AND l.quantity = r.quantity
    WHERE r.qty_tol = 0
      AND ABS(l.price - r.price) * 10000 <= GREATEST(r.price_abs * 10000, r.price_bps * ABS(r.price))
    UNION ALL
    -- asset classes with a quantity tolerance: a band on quantity within the bucket
    SELECT l.uid, r.uid, ABS(l.quantity - r.quantity), ABS(l.price - r.price)
    FROM w_open l
    JOIN w_open r
      ON l.side_of = 'L' AND r.side_of = 'R'
     AND l.broker = r.broker AND l.account = r.account AND l.instrument_id = r.instrument_id
     AND l.side = r.side AND l.trade_date = r.trade_date
    WHERE r.qty_tol > 0
      AND ABS(l.quantity - r.quantity) <= r.qty_tol
      AND ABS(l.price - r.price) * 10000 <= GREATEST(r.price_abs * 10000, r.price_bps * ABS(r.price))
), ranked AS (
    SELECT luid, ruid,
           ROW_NUMBER() OVER (PARTITION BY luid ORDER BY dq, dp, ruid) AS rl,
           ROW_NUMBER() OVER (PARTITION BY ruid ORDER BY dq, dp, luid) AS rr
    FROM c
)
SELECT luid, ruid FROM ranked WHERE rl = 1 AND rr = 1;

INSERT INTO w_links (link_id, pass, uid)
SELECT 'tolerance:' || luid, 'tolerance', luid FROM w_step
UNION ALL
SELECT 'tolerance:' || luid, 'tolerance', ruid FROM w_step;
