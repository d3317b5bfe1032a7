-- Triage: a priority from the money at risk, the time left to the T+1 cut-off, the break's age
-- and its anomaly score. :hours_to_cutoff is computed by the caller (time zones stay in Python).
-- Money at risk is ranked in USD (the day's fx_rates): a yen amount is not 150 times a dollar one.
-- Without a rate for the currency the trade-currency amount stands in (ranked high, not lost).
CREATE OR REPLACE TABLE w_breaks_final AS
SELECT w.*,
       CASE WHEN w.priority_score >= 80 THEN 'P1'
            WHEN w.priority_score >= 60 THEN 'P2'
            WHEN w.priority_score >= 40 THEN 'P3'
            ELSE 'P4' END AS priority
FROM (
    SELECT w.*,
           CAST(
             (CASE WHEN COALESCE(w.difference_usd, w.difference_amount) >= 1000000 THEN 40
                   WHEN COALESCE(w.difference_usd, w.difference_amount) >= 100000 THEN 30
                   WHEN COALESCE(w.difference_usd, w.difference_amount) >= 10000 THEN 20
                   ELSE 10 END)
           + (CASE WHEN :hours_to_cutoff <= 0 THEN 40
                   WHEN :hours_to_cutoff <= 2 THEN 30
                   WHEN :hours_to_cutoff <= 6 THEN 20
                   ELSE 10 END)
           + (CASE WHEN DATEDIFF(day, COALESCE(b.first_seen, CAST(:now AS TIMESTAMP)), CAST(:now AS TIMESTAMP)) >= 3 THEN 20
                   WHEN DATEDIFF(day, COALESCE(b.first_seen, CAST(:now AS TIMESTAMP)), CAST(:now AS TIMESTAMP)) >= 1 THEN 10
                   ELSE 0 END)
           + COALESCE(w.anomaly_score, 0) * 20 AS DOUBLE) AS priority_score
    FROM (
        SELECT w.*,
               CAST(CASE WHEN w.currency = 'USD' THEN w.difference_amount
                         ELSE w.difference_amount * r.usd_per_unit END AS NUMBER(38, 6)) AS difference_usd
        FROM w_breaks w
        LEFT JOIN fx_rates r ON r.trade_date = w.trade_date AND r.currency = w.currency
    ) w
    LEFT JOIN breaks b ON b.break_id = w.break_id
) w;
