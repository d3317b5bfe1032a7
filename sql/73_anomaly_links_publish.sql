-- The pair's scored links (w_anomaly_stage, staged by tasks/anomaly.py) into anomaly_links,
-- replacing the same links of an earlier run. Binds: :trade_date, :recon.
DELETE FROM anomaly_links
WHERE trade_date = :trade_date AND recon = :recon
  AND link_key IN (
      SELECT COALESCE(r.internal_ids, '') || '|' || COALESCE(r.broker_ids, '')
      FROM w_anomaly_stage s JOIN w_results r ON r.link_id = s.link_id
  );

INSERT INTO anomaly_links (trade_date, recon, link_key, internal_ids, broker_ids, break_type, model, schema_hash,
                           raw_score, anomaly_score, is_anomaly, top_feature, features, imputed)
SELECT :trade_date, :recon, COALESCE(r.internal_ids, '') || '|' || COALESCE(r.broker_ids, ''),
       r.internal_ids, r.broker_ids, r.break_type, s.model, s.schema_hash, s.raw_score, s.anomaly_score,
       s.is_anomaly, s.top_feature, s.features, s.imputed
FROM w_anomaly_stage s
JOIN w_results r ON r.link_id = s.link_id;
