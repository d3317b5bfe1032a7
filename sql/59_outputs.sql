-- The pair's outputs: matches and breaks (re-derived after scoring, which may turn an anomalous
-- match into an ANOMALY break).
CREATE OR REPLACE TABLE w_matches AS
SELECT MD5(:recon || '|' || pass || '|' || COALESCE(broker, '') || '|' || internal_ids || '|' || broker_ids) AS match_id,
       link_id, pass AS match_type, internal_ids, broker_ids, broker,
       COALESCE(l_account, r_account) AS account, instrument_id, COALESCE(l_side, r_side) AS side,
       trade_date, nl, nr, l_qty AS internal_quantity, r_qty AS broker_quantity,
       l_price AS internal_price, r_price AS broker_price,
       CAST(ABS(l_qp - r_qp) * multiplier AS NUMBER(38, 6)) AS price_difference_amount,
       CAST(COALESCE(l_charges, 0) - COALESCE(r_charges, 0) AS NUMBER(38, 6)) AS commission_difference
FROM w_results
WHERE break_type IS NULL;

CREATE OR REPLACE TABLE w_breaks AS
SELECT
    MD5(:recon || '|' || break_type || '|' || COALESCE(broker, '') || '|' || COALESCE(l_account, r_account, '')
        || '|' || COALESCE(instrument_id, '') || '|' || COALESCE(l_side, r_side, '') || '|'
        || CAST(trade_date AS VARCHAR) || '|' || internal_ids || '|' || broker_ids) AS break_id,
    r.link_id, r.break_type, :recon AS recon, broker,
    COALESCE(l_account, r_account) AS account, instrument_id, asset_class,
    COALESCE(l_side, r_side) AS side, trade_date, currency, internal_ids, broker_ids,
    l_qty AS internal_quantity, r_qty AS broker_quantity, l_price AS internal_price, r_price AS broker_price,
    l_settle_min AS internal_settle, r_settle_min AS broker_settle,
    l_charges AS internal_commission, r_charges AS broker_commission,
    CAST(CASE break_type
        WHEN 'QUANTITY_MISMATCH' THEN ABS(l_qty - r_qty) * COALESCE(r_price, l_price) * multiplier
        WHEN 'PRICE_MISMATCH' THEN ABS(l_qp - r_qp) * multiplier
        WHEN 'COMMISSION_MISMATCH' THEN ABS(COALESCE(l_charges, 0) - COALESCE(r_charges, 0))
        ELSE ABS(COALESCE(l_qp, r_qp)) * multiplier
    END AS NUMBER(38, 6)) AS difference_amount,
    CAST(ABS(COALESCE(l_qp, r_qp)) * multiplier AS NUMBER(38, 6)) AS notional,
    sc.anomaly_score,
    sc.anomaly_explanation
FROM w_results r
LEFT JOIN w_scores sc ON sc.link_id = r.link_id
WHERE r.break_type IS NOT NULL;
