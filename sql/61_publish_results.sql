-- Replace this day's (and scope's) matches and record outcomes with the run's.
DELETE FROM matches
WHERE trade_date = :trade_date AND recon = :recon
  AND (NOT EXISTS (SELECT 1 FROM w_scope_brokers) OR broker IN (SELECT broker FROM w_scope_brokers))
  AND (NOT EXISTS (SELECT 1 FROM w_scope_accounts) OR account IN (SELECT account FROM w_scope_accounts));

INSERT INTO matches (trade_date, recon, match_id, match_type, broker, account, instrument_id, side,
                     internal_ids, broker_ids, internal_quantity, broker_quantity, internal_price,
                     broker_price, price_difference_amount, commission_difference, run_id)
SELECT trade_date, :recon, match_id, match_type, broker, account, instrument_id, side,
       internal_ids, broker_ids, internal_quantity, broker_quantity, internal_price,
       broker_price, price_difference_amount, commission_difference, :run_id
FROM w_matches;

DELETE FROM record_outcomes
WHERE trade_date = :trade_date AND recon = :recon
  AND (NOT EXISTS (SELECT 1 FROM w_scope_brokers) OR broker IN (SELECT broker FROM w_scope_brokers))
  AND (NOT EXISTS (SELECT 1 FROM w_scope_accounts) OR account IN (SELECT account FROM w_scope_accounts));

INSERT INTO record_outcomes (trade_date, recon, source, broker, account, record_id, file, line, outcome,
                             result_id, result_type, run_id)
SELECT c.trade_date, :recon, c.source, c.broker, c.account, c.record_id, c.file, c.line,
       CASE WHEN r.break_type IS NULL THEN 'matched' ELSE 'break' END,
       COALESCE(m.match_id, b.break_id), COALESCE(r.break_type, r.pass), :run_id
FROM w_candidates c
JOIN w_links k ON k.uid = c.uid
JOIN w_results r ON r.link_id = k.link_id
LEFT JOIN w_matches m ON m.link_id = k.link_id
LEFT JOIN w_breaks b ON b.link_id = k.link_id;
