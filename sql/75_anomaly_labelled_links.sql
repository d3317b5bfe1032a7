-- The scored links analysts have judged: ANOMALY breaks with a resolution code, with the features
-- the scoring step kept (anomaly_links). What champion and challenger are compared on when no
-- labelled landing days are given. Binds: :first, :last (trade dates), :schema_hash.
SELECT a.trade_date, a.features, b.resolution_code
FROM anomaly_links a
JOIN breaks b
  ON b.trade_date = a.trade_date AND b.recon = a.recon
 AND COALESCE(b.internal_ids, '') = COALESCE(a.internal_ids, '')
 AND COALESCE(b.broker_ids, '') = COALESCE(a.broker_ids, '')
WHERE b.break_type = 'ANOMALY' AND b.resolution_code IS NOT NULL
  AND a.trade_date BETWEEN :first AND :last AND a.schema_hash = :schema_hash
ORDER BY a.trade_date, a.link_key
