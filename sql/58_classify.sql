-- Pass 8: classify every link. Pairings from the matching passes are matches unless the sides
-- disagree on settlement date or on commission + fees (then that break type); the break passes'
-- links are breaks of their pass's type. Every candidate is in exactly one link.
CREATE OR REPLACE TABLE w_link_summary AS
WITH agg AS (
SELECT k.link_id, k.pass,
       MIN(CASE WHEN c.side_of = 'L' THEN c.record_id END) AS l_first_id,
       MIN(CASE WHEN c.side_of = 'R' THEN c.record_id END) AS r_first_id,
       COUNT(CASE WHEN c.side_of = 'L' THEN 1 END) AS nl,
       COUNT(CASE WHEN c.side_of = 'R' THEN 1 END) AS nr,
       MIN(c.broker) AS broker,
       MIN(CASE WHEN c.side_of = 'L' THEN c.account END) AS l_account,
       MIN(CASE WHEN c.side_of = 'R' THEN c.account END) AS r_account,
       MIN(c.instrument_id) AS instrument_id,
       MIN(c.asset_class) AS asset_class,
       MIN(CASE WHEN c.side_of = 'L' THEN c.side END) AS l_side,
       MIN(CASE WHEN c.side_of = 'R' THEN c.side END) AS r_side,
       MIN(c.trade_date) AS trade_date,
       MIN(c.currency) AS currency,
       MAX(c.multiplier) AS multiplier,
       CAST(SUM(CASE WHEN c.side_of = 'L' THEN c.quantity END) AS NUMBER(38, 8)) AS l_qty,
       CAST(SUM(CASE WHEN c.side_of = 'R' THEN c.quantity END) AS NUMBER(38, 8)) AS r_qty,
       CAST(SUM(CASE WHEN c.side_of = 'L' THEN c.qp END) AS NUMBER(38, 18)) AS l_qp,
       CAST(SUM(CASE WHEN c.side_of = 'R' THEN c.qp END) AS NUMBER(38, 18)) AS r_qp,
       MIN(CASE WHEN c.side_of = 'L' THEN c.price END) AS l_price_min,
       MIN(CASE WHEN c.side_of = 'R' THEN c.price END) AS r_price_min,
       CAST(SUM(CASE WHEN c.side_of = 'L' THEN c.charges END) AS NUMBER(38, 6)) AS l_charges,
       CAST(SUM(CASE WHEN c.side_of = 'R' THEN c.charges END) AS NUMBER(38, 6)) AS r_charges,
       MIN(CASE WHEN c.side_of = 'L' THEN c.settle_date END) AS l_settle_min,
       MAX(CASE WHEN c.side_of = 'L' THEN c.settle_date END) AS l_settle_max,
       MIN(CASE WHEN c.side_of = 'R' THEN c.settle_date END) AS r_settle_min,
       MAX(CASE WHEN c.side_of = 'R' THEN c.settle_date END) AS r_settle_max,
       MAX(c.commission_abs) AS commission_abs,
       MAX(c.settle_days) AS settle_days
FROM w_links k
JOIN w_candidates c ON c.uid = k.uid
GROUP BY k.link_id, k.pass
), lists AS (
    -- id lists only where a side has several records (aggregates, N:M): LISTAGG is the costly part
    SELECT k.link_id,
           LISTAGG(CASE WHEN c.side_of = 'L' THEN c.record_id END, ';') WITHIN GROUP (ORDER BY c.record_id) AS l_ids,
           LISTAGG(CASE WHEN c.side_of = 'R' THEN c.record_id END, ';') WITHIN GROUP (ORDER BY c.record_id) AS r_ids
    FROM w_links k
    JOIN w_candidates c ON c.uid = k.uid
    WHERE k.link_id IN (SELECT link_id FROM agg WHERE nl > 1 OR nr > 1)
    GROUP BY k.link_id
)
SELECT a.*,
       CASE WHEN a.nl > 1 THEN l.l_ids ELSE COALESCE(a.l_first_id, '') END AS internal_ids,
       CASE WHEN a.nr > 1 THEN l.r_ids ELSE COALESCE(a.r_first_id, '') END AS broker_ids
FROM agg a
LEFT JOIN lists l ON l.link_id = a.link_id;

CREATE OR REPLACE TABLE w_results AS
SELECT s.*,
       CASE
           WHEN s.pass NOT IN ('exact', 'tolerance', 'aggregate', 'many_to_many') THEN s.pass
           WHEN s.l_settle_min IS NOT NULL AND s.r_settle_min IS NOT NULL
                AND (ABS(DATEDIFF(day, s.l_settle_min, s.r_settle_min)) > s.settle_days
                     OR ABS(DATEDIFF(day, s.l_settle_max, s.r_settle_max)) > s.settle_days)
               THEN 'SETTLEMENT_DATE_MISMATCH'
           WHEN s.l_charges IS NOT NULL AND s.r_charges IS NOT NULL
                AND ABS(s.l_charges - s.r_charges) > s.commission_abs * GREATEST(s.nl, s.nr)
               THEN 'COMMISSION_MISMATCH'
       END AS break_type,
       -- A side's price: the record's own for one record, the VWAP (display only) for several.
       CASE WHEN s.nl = 1 THEN s.l_price_min WHEN s.nl > 1 THEN CAST(s.l_qp / s.l_qty AS NUMBER(38, 10)) END AS l_price,
       CASE WHEN s.nr = 1 THEN s.r_price_min WHEN s.nr > 1 THEN CAST(s.r_qp / s.r_qty AS NUMBER(38, 10)) END AS r_price
FROM w_link_summary s;

-- Scores from the anomaly step (tasks/anomaly); empty when no model scored this run.
CREATE OR REPLACE TABLE w_scores (
    link_id             VARCHAR NOT NULL,
    anomaly_score       DOUBLE,
    anomaly_explanation VARCHAR,
    is_anomaly          BOOLEAN
);
