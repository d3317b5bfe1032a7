-- Pass 5: duplicates. An unlinked record identical (bucket, quantity, price) to a record on the
-- same side that already matched is a second report of one trade: a DUPLICATE break, not a
-- one-sided MISSING break. Runs before the mismatch pairings so a duplicate is not mistaken for
-- the other half of a mismatch.
CREATE OR REPLACE TABLE w_step AS
SELECT DISTINCT o.uid
FROM w_open o
JOIN w_candidates m
  ON m.side_of = o.side_of AND m.broker = o.broker AND m.account = o.account
 AND m.instrument_id = o.instrument_id AND m.side = o.side AND m.trade_date = o.trade_date
 AND m.quantity = o.quantity AND m.price = o.price
-- matched already: only the matching passes have run, so linked means matched
WHERE m.uid NOT IN (SELECT uid FROM w_open);

INSERT INTO w_links (link_id, pass, uid)
SELECT uid, 'DUPLICATE', uid FROM w_step;
DELETE FROM w_open WHERE uid IN (SELECT uid FROM w_step);
