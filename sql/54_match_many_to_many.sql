-- Pass 4: N:M by sums. What is left of an (account, instrument_id, side, trade_date) bucket at a
-- broker matches as a whole when summed quantities agree and the VWAPs agree within tolerance.
CREATE OR REPLACE TABLE w_step AS
WITH b AS (
    SELECT broker, account, instrument_id, side, trade_date, MIN(uid) AS link_id,
           COUNT(CASE WHEN side_of = 'L' THEN 1 END) AS nl,
           COUNT(CASE WHEN side_of = 'R' THEN 1 END) AS nr,
           CAST(SUM(CASE WHEN side_of = 'L' THEN quantity ELSE 0 END) AS NUMBER(38, 8)) AS ql,
           CAST(SUM(CASE WHEN side_of = 'R' THEN quantity ELSE 0 END) AS NUMBER(38, 8)) AS qr,
           CAST(SUM(CASE WHEN side_of = 'L' THEN qp ELSE 0 END) AS NUMBER(38, 18)) AS sl,
           CAST(SUM(CASE WHEN side_of = 'R' THEN qp ELSE 0 END) AS NUMBER(38, 18)) AS sr,
           MAX(qty_tol) AS qty_tol, MAX(price_abs) AS price_abs, MAX(price_bps) AS price_bps
    FROM w_open
    GROUP BY broker, account, instrument_id, side, trade_date
)
SELECT link_id, broker, account, instrument_id, side, trade_date
FROM b
WHERE nl >= 1 AND nr >= 1 AND (nl > 1 OR nr > 1)
  AND ABS(ql - qr) <= qty_tol
  AND ABS(sl - sr) * 10000 <= GREATEST(price_abs * 10000 * qr, price_bps * ABS(sr));

INSERT INTO w_links (link_id, pass, uid)
SELECT b.link_id, 'many_to_many', o.uid
FROM w_open o
JOIN w_step b
  ON o.broker = b.broker AND o.account = b.account AND o.instrument_id = b.instrument_id
 AND o.side = b.side AND o.trade_date = b.trade_date;

DELETE FROM w_open WHERE uid IN (SELECT uid FROM w_links WHERE pass = 'many_to_many');
