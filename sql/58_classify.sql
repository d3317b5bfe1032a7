-- Pass 8: classify every link. Pairings from the matching passes are matches unless the sides
-- disagree on settlement date or on commission + fees (then that break type); the break passes'
-- links are breaks of their pass's type. Every candidate is in exactly one link.
-- Groups (aggregate, N:M; both sides always present) are summed per side first: aggregating
-- per (link, side) is several times cheaper than one row per link with a CASE per side.
CREATE OR REPLACE TABLE w_group_sides AS
SELECT k.link_id, k.pass, c.side_of,
       COUNT(*) AS n,
       MIN(c.broker) AS broker, MIN(c.account) AS account, MIN(c.instrument_id) AS instrument_id,
       MIN(c.asset_class) AS asset_class, MIN(c.side) AS side, MIN(c.trade_date) AS trade_date,
       MIN(c.currency) AS currency, MAX(c.multiplier) AS multiplier,
       CAST(SUM(c.quantity) AS NUMBER(38, 8)) AS q,
       CAST(SUM(c.quantity * c.price) AS NUMBER(38, 18)) AS qp,
       MIN(c.price) AS price_min,
       CAST(SUM(c.charges) AS NUMBER(38, 6)) AS charges,
       MIN(c.settle_date) AS settle_min, MAX(c.settle_date) AS settle_max,
       LISTAGG(c.record_id, ';') WITHIN GROUP (ORDER BY c.record_id) AS ids
FROM w_links k
JOIN w_candidates c ON c.uid = k.uid
WHERE k.pass IN ('aggregate', 'many_to_many')
GROUP BY k.link_id, k.pass, c.side_of;

-- One row per link, in three shapes: 1:1 pairs (most of a day) read their two records by uid,
-- one-sided breaks their one record, and only groups (aggregate, N:M) are summed (above).
-- LEAST/GREATEST are wrapped in COALESCE: Snowflake's return NULL when an argument is NULL.
CREATE OR REPLACE TABLE w_results AS
WITH s AS (
SELECT p.link_id, p.pass,
       1 AS nl, 1 AS nr,
       l.broker,
       l.account AS l_account, r.account AS r_account,
       l.instrument_id,
       COALESCE(LEAST(l.asset_class, r.asset_class), l.asset_class, r.asset_class) AS asset_class,
       l.side AS l_side, r.side AS r_side,
       l.trade_date,
       COALESCE(LEAST(l.currency, r.currency), l.currency, r.currency) AS currency,
       COALESCE(GREATEST(l.multiplier, r.multiplier), l.multiplier, r.multiplier) AS multiplier,
       l.quantity AS l_qty, r.quantity AS r_qty,
       CAST(l.quantity * l.price AS NUMBER(38, 18)) AS l_qp, CAST(r.quantity * r.price AS NUMBER(38, 18)) AS r_qp,
       l.price AS l_price_min, r.price AS r_price_min,
       l.charges AS l_charges, r.charges AS r_charges,
       l.settle_date AS l_settle_min, l.settle_date AS l_settle_max,
       r.settle_date AS r_settle_min, r.settle_date AS r_settle_max,
       l.record_id AS internal_ids, r.record_id AS broker_ids
FROM w_pairs p
JOIN w_candidates l ON l.uid = p.luid
JOIN w_candidates r ON r.uid = p.ruid
UNION ALL
SELECT k.link_id, k.pass,
       CASE WHEN c.side_of = 'L' THEN 1 ELSE 0 END, CASE WHEN c.side_of = 'R' THEN 1 ELSE 0 END,
       c.broker,
       CASE WHEN c.side_of = 'L' THEN c.account END, CASE WHEN c.side_of = 'R' THEN c.account END,
       c.instrument_id, c.asset_class,
       CASE WHEN c.side_of = 'L' THEN c.side END, CASE WHEN c.side_of = 'R' THEN c.side END,
       c.trade_date, c.currency, c.multiplier,
       CASE WHEN c.side_of = 'L' THEN c.quantity END, CASE WHEN c.side_of = 'R' THEN c.quantity END,
       CAST(CASE WHEN c.side_of = 'L' THEN c.quantity * c.price END AS NUMBER(38, 18)),
       CAST(CASE WHEN c.side_of = 'R' THEN c.quantity * c.price END AS NUMBER(38, 18)),
       CASE WHEN c.side_of = 'L' THEN c.price END, CASE WHEN c.side_of = 'R' THEN c.price END,
       CASE WHEN c.side_of = 'L' THEN c.charges END, CASE WHEN c.side_of = 'R' THEN c.charges END,
       CASE WHEN c.side_of = 'L' THEN c.settle_date END, CASE WHEN c.side_of = 'L' THEN c.settle_date END,
       CASE WHEN c.side_of = 'R' THEN c.settle_date END, CASE WHEN c.side_of = 'R' THEN c.settle_date END,
       CASE WHEN c.side_of = 'L' THEN c.record_id ELSE '' END, CASE WHEN c.side_of = 'R' THEN c.record_id ELSE '' END
FROM w_links k
JOIN w_candidates c ON c.uid = k.uid
WHERE k.pass IN ('DUPLICATE', 'MISSING_AT_BROKER', 'MISSING_INTERNALLY')
UNION ALL
SELECT l.link_id, l.pass,
       l.n, r.n,
       COALESCE(LEAST(l.broker, r.broker), l.broker, r.broker),
       l.account, r.account,
       COALESCE(LEAST(l.instrument_id, r.instrument_id), l.instrument_id, r.instrument_id),
       COALESCE(LEAST(l.asset_class, r.asset_class), l.asset_class, r.asset_class),
       l.side, r.side,
       COALESCE(LEAST(l.trade_date, r.trade_date), l.trade_date, r.trade_date),
       COALESCE(LEAST(l.currency, r.currency), l.currency, r.currency),
       COALESCE(GREATEST(l.multiplier, r.multiplier), l.multiplier, r.multiplier),
       l.q, r.q, l.qp, r.qp, l.price_min, r.price_min, l.charges, r.charges,
       l.settle_min, l.settle_max, r.settle_min, r.settle_max,
       l.ids, r.ids
FROM w_group_sides l
JOIN w_group_sides r ON r.link_id = l.link_id AND l.side_of = 'L' AND r.side_of = 'R'
)
SELECT s.*, COALESCE(t.commission_abs, 0) AS commission_abs, COALESCE(t.settle_days, 0) AS settle_days,
       CASE
           WHEN s.pass NOT IN ('exact', 'tolerance', 'aggregate', 'many_to_many') THEN s.pass
           WHEN s.l_settle_min IS NOT NULL AND s.r_settle_min IS NOT NULL
                AND (ABS(DATEDIFF(day, s.l_settle_min, s.r_settle_min)) > COALESCE(t.settle_days, 0)
                     OR ABS(DATEDIFF(day, s.l_settle_max, s.r_settle_max)) > COALESCE(t.settle_days, 0))
               THEN 'SETTLEMENT_DATE_MISMATCH'
           WHEN s.l_charges IS NOT NULL AND s.r_charges IS NOT NULL
                AND ABS(s.l_charges - s.r_charges) > COALESCE(t.commission_abs, 0) * GREATEST(s.nl, s.nr)
               THEN 'COMMISSION_MISMATCH'
       END AS break_type,
       -- A side's price: the record's own for one record, the VWAP (display only) for several.
       CASE WHEN s.nl = 1 THEN s.l_price_min WHEN s.nl > 1 THEN CAST(s.l_qp / s.l_qty AS NUMBER(38, 10)) END AS l_price,
       CASE WHEN s.nr = 1 THEN s.r_price_min WHEN s.nr > 1 THEN CAST(s.r_qp / s.r_qty AS NUMBER(38, 10)) END AS r_price
FROM s
LEFT JOIN w_tolerances t ON t.asset_class = s.asset_class;

-- Scores from the anomaly step (tasks/anomaly); empty when no model scored this run.
CREATE OR REPLACE TABLE w_scores (
    link_id             BIGINT NOT NULL,
    anomaly_score       DOUBLE,
    anomaly_explanation VARCHAR,
    is_anomaly          BOOLEAN
);
