-- Pass 2: aggregate N:1 and 1:N, run twice by tasks/match.py: :group_side 'L' (internal fills of one
-- order against one broker allocation), then 'R' (one internal record against the broker rows of a
-- split allocation). Records that share an order (internal: order_id, else group_id) or an
-- allocation (broker: group_id, else order_id) are summed and compared with one record on the
-- other side: quantity within tolerance, VWAP within the price tolerance. VWAP is compared without
-- division: |sum(q*p) - p_other * sum(q)| <= tol * sum(q).
CREATE OR REPLACE TABLE w_groups AS
SELECT side_of, broker, account, instrument_id, side, trade_date, grp,
       MIN(uid) AS gid,
       COUNT(*) AS n,
       CAST(SUM(quantity) AS NUMBER(38, 8)) AS q,
       CAST(SUM(qp) AS NUMBER(38, 18)) AS sqp
FROM (
    SELECT o.*,
           CASE WHEN side_of = 'L' THEN COALESCE(order_id, group_id) ELSE COALESCE(group_id, order_id) END AS grp
    FROM w_open o
    WHERE side_of = :group_side
) g
WHERE grp IS NOT NULL
GROUP BY side_of, broker, account, instrument_id, side, trade_date, grp
HAVING COUNT(*) >= 2;

CREATE OR REPLACE TABLE w_step AS
WITH c AS (
    -- quantities must agree exactly: the summed quantity is a join key
    SELECT g.side_of, g.grp, g.gid, g.broker, g.account, g.instrument_id, g.side, g.trade_date, s.uid AS suid,
           ABS(g.q - s.quantity) AS dq, ABS(g.sqp - s.price * g.q) AS dv
    FROM w_groups g
    JOIN w_open s
      ON s.side_of <> :group_side AND s.broker = g.broker AND s.account = g.account
     AND s.instrument_id = g.instrument_id AND s.side = g.side AND s.trade_date = g.trade_date
     AND s.quantity = g.q
    WHERE s.qty_tol = 0
      AND ABS(g.sqp - s.price * g.q) * 10000
          <= GREATEST(s.price_abs * 10000 * g.q, s.price_bps * ABS(s.price) * g.q)
    UNION ALL
    -- asset classes with a quantity tolerance: a band within the bucket
    SELECT g.side_of, g.grp, g.gid, g.broker, g.account, g.instrument_id, g.side, g.trade_date, s.uid AS suid,
           ABS(g.q - s.quantity) AS dq, ABS(g.sqp - s.price * g.q) AS dv
    FROM w_groups g
    JOIN w_open s
      ON s.side_of <> :group_side AND s.broker = g.broker AND s.account = g.account
     AND s.instrument_id = g.instrument_id AND s.side = g.side AND s.trade_date = g.trade_date
    WHERE s.qty_tol > 0
      AND ABS(g.q - s.quantity) <= s.qty_tol
      AND ABS(g.sqp - s.price * g.q) * 10000
          <= GREATEST(s.price_abs * 10000 * g.q, s.price_bps * ABS(s.price) * g.q)
), ranked AS (
    SELECT c.*,
           ROW_NUMBER() OVER (PARTITION BY gid ORDER BY dq, dv, suid) AS rg,
           ROW_NUMBER() OVER (PARTITION BY suid ORDER BY dq, dv, grp) AS rs
    FROM c
)
SELECT * FROM ranked WHERE rg = 1 AND rs = 1;

INSERT INTO w_links (link_id, pass, uid)
SELECT st.suid, 'aggregate', st.suid FROM w_step st
UNION ALL
SELECT st.suid, 'aggregate', o.uid
FROM w_step st
JOIN w_open o
  ON o.side_of = st.side_of AND o.broker = st.broker AND o.account = st.account
 AND o.instrument_id = st.instrument_id AND o.side = st.side AND o.trade_date = st.trade_date
 AND CASE WHEN o.side_of = 'L' THEN COALESCE(o.order_id, o.group_id) ELSE COALESCE(o.group_id, o.order_id) END
     = st.grp;

-- The next run (and pass) must not see what this run linked. sql/53 then rewrites w_open once.
DELETE FROM w_open WHERE uid IN (SELECT uid FROM w_links WHERE pass = 'aggregate');
