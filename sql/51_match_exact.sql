-- Pass 1: exact 1:1 on (broker, account, instrument_id, side, trade_date, quantity, price).
-- Identical records on one side pair in time order (row numbers), so each is consumed once.
CREATE OR REPLACE TABLE w_step AS
WITH l AS (
    SELECT uid, broker, account, instrument_id, side, trade_date, quantity, price,
           ROW_NUMBER() OVER (PARTITION BY broker, account, instrument_id, side, trade_date, quantity, price
                              ORDER BY transact_time, record_id, uid) AS rn
    FROM w_open WHERE side_of = 'L'
), r AS (
    SELECT uid, broker, account, instrument_id, side, trade_date, quantity, price,
           ROW_NUMBER() OVER (PARTITION BY broker, account, instrument_id, side, trade_date, quantity, price
                              ORDER BY transact_time, record_id, uid) AS rn
    FROM w_open WHERE side_of = 'R'
)
SELECT l.uid AS luid, r.uid AS ruid
FROM l JOIN r
  ON l.broker = r.broker AND l.account = r.account AND l.instrument_id = r.instrument_id
 AND l.side = r.side AND l.trade_date = r.trade_date AND l.quantity = r.quantity
 AND l.price = r.price AND l.rn = r.rn;

INSERT INTO w_links (link_id, pass, uid)
SELECT 'exact:' || luid, 'exact', luid FROM w_step
UNION ALL
SELECT 'exact:' || luid, 'exact', ruid FROM w_step;
