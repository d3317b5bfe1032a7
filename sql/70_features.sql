-- Anomaly features: one row per link of the pair just matched (w_links / w_candidates), read by
-- tasks/anomaly.py. A link is described by its internal records (the side we book), or by its
-- broker records when it has none. Values are DOUBLE: they feed a model, no match is decided here.
-- Binds: :trade_date, :history_days (window for an account's usual mix). Names and meanings:
-- recon/anomaly/features.py and docs/anomaly.md.

-- Reference data the features compare against; landed from the day's reference/ directory when
-- present (tasks/anomaly.py). Without it the day's own internal prints stand in (weaker).
CREATE TABLE IF NOT EXISTS market_data (
    trade_date    DATE NOT NULL,
    instrument_id VARCHAR NOT NULL,
    vwap          NUMBER(38, 10) NOT NULL,
    low           NUMBER(38, 10) NOT NULL,
    high          NUMBER(38, 10) NOT NULL
);
CREATE TABLE IF NOT EXISTS commission_schedules (
    broker      VARCHAR NOT NULL,
    asset_class VARCHAR NOT NULL,
    basis       VARCHAR NOT NULL,         -- per_unit (currency per share/contract) | bps (of gross)
    rate        NUMBER(38, 10) NOT NULL
);

-- The day's VWAP and range per instrument: the vendor's, else the internal prints of the day.
CREATE OR REPLACE TABLE w_feat_market AS
WITH own AS (
    SELECT instrument_id,
           CAST(SUM(quantity * price) AS NUMBER(38, 18)) AS qp,
           CAST(SUM(quantity) AS NUMBER(38, 8)) AS q,
           MIN(price) AS low, MAX(price) AS high
    FROM executions
    WHERE trade_date = :trade_date AND source = 'internal'
    GROUP BY instrument_id
), insts AS (
    SELECT DISTINCT instrument_id FROM w_candidates
)
SELECT i.instrument_id,
       CAST(COALESCE(m.vwap, o.qp / NULLIF(o.q, 0)) AS DOUBLE) AS vwap,
       CAST(COALESCE(m.low, o.low) AS DOUBLE) AS low,
       CAST(COALESCE(m.high, o.high) AS DOUBLE) AS high
FROM insts i
LEFT JOIN own o ON o.instrument_id = i.instrument_id
LEFT JOIN market_data m ON m.instrument_id = i.instrument_id AND m.trade_date = :trade_date;

-- An account's usual business over the window: asset classes, brokers, notional per class.
CREATE OR REPLACE TABLE w_feat_history AS
SELECT account, asset_class, broker,
       LN(GREATEST(CAST(ABS(quantity * price * COALESCE(multiplier, 1)) AS DOUBLE), 1.0)) AS log_notional
FROM executions
WHERE source = 'internal'
  AND DATEDIFF(day, trade_date, :trade_date) BETWEEN 0 AND :history_days;

CREATE OR REPLACE TABLE w_feat_mix AS
SELECT a.account, a.asset_class, a.broker, a.n_account_class_broker,
       SUM(a.n_account_class_broker) OVER (PARTITION BY a.account, a.asset_class) AS n_account_class,
       SUM(a.n_account_class_broker) OVER (PARTITION BY a.account) AS n_account
FROM (
    SELECT account, asset_class, broker, COUNT(*) AS n_account_class_broker
    FROM w_feat_history GROUP BY account, asset_class, broker
) a;

CREATE OR REPLACE TABLE w_feat_notional AS
WITH med AS (
    SELECT account, asset_class, MEDIAN(log_notional) AS m
    FROM w_feat_history GROUP BY account, asset_class
)
SELECT med.account, med.asset_class, med.m AS median_log_notional,
       MEDIAN(ABS(h.log_notional - med.m)) AS mad_log_notional
FROM med
JOIN w_feat_history h ON h.account = med.account AND h.asset_class = med.asset_class
GROUP BY med.account, med.asset_class, med.m;

-- Nearest offsetting order: same side of the pair, account, instrument and total quantity, opposite
-- direction (buy / buy_to_cover against sell / sell_short). Orders, not fills: the partial fills
-- of a block are round lots and would meet an opposite round lot by chance all day.
CREATE OR REPLACE TABLE w_feat_orders AS
SELECT side_of, account, instrument_id, COALESCE(order_id, CAST(uid AS VARCHAR)) AS order_key,
       MAX(CASE WHEN side IN ('buy', 'buy_to_cover') THEN 1 ELSE 0 END) AS is_buy,
       CAST(SUM(quantity) AS NUMBER(38, 8)) AS quantity, MIN(transact_time) AS first_time
FROM w_candidates
GROUP BY side_of, account, instrument_id, COALESCE(order_id, CAST(uid AS VARCHAR));

CREATE OR REPLACE TABLE w_feat_offset AS
SELECT a.side_of, a.order_key, MIN(ABS(DATEDIFF(second, a.first_time, b.first_time))) AS seconds
FROM w_feat_orders a
JOIN w_feat_orders b
  ON b.side_of = a.side_of AND b.account = a.account AND b.instrument_id = a.instrument_id
 AND b.quantity = a.quantity AND b.order_key <> a.order_key AND b.is_buy <> a.is_buy
GROUP BY a.side_of, a.order_key;

-- The same economics booked more than once on BOTH sides (one side twice is a DUPLICATE break).
CREATE OR REPLACE TABLE w_feat_dup AS
SELECT account, instrument_id, side, quantity, price,
       COUNT(CASE WHEN side_of = 'L' THEN 1 END) AS nl,
       COUNT(CASE WHEN side_of = 'R' THEN 1 END) AS nr
FROM w_candidates
GROUP BY account, instrument_id, side, quantity, price;

CREATE OR REPLACE TABLE w_feat_records AS
SELECT c.uid, c.side_of,
       ABS(CAST(c.price AS DOUBLE) - mk.vwap) / NULLIF((mk.high - mk.low) / 2, 0) AS price_vs_vwap,
       GREATEST(CAST(c.price AS DOUBLE) - mk.high, mk.low - CAST(c.price AS DOUBLE), 0)
           / NULLIF(mk.high - mk.low, 0) AS price_outside_day_range,
       -- the schedule's amount rounded to the cent as brokers charge it, plus a cent on both
       -- sides, keeps tiny per-share commissions near 1
       (CAST(e.commission AS DOUBLE) + 0.01)
           / (ROUND(CAST(CASE s.basis WHEN 'per_unit' THEN s.rate * c.quantity
                                      WHEN 'bps' THEN s.rate * ABS(e.gross) / 10000 END AS DOUBLE), 2) + 0.01)
           AS commission_rate,
       -LN((COALESCE(mx.n_account_class, 0) + 0.5) / (COALESCE(mx.n_account, 0) + 1.0)) AS account_asset_class,
       -LN((COALESCE(mb.n_account_class_broker, 0) + 0.5) / (COALESCE(mx.n_account_class, 0) + 1.0)) AS counterparty_rarity,
       GREATEST(LEAST(d.nl, d.nr) - 1, 0) AS duplicate_key,
       LEAST(COALESCE(o.seconds / 60.0, 390.0), 390.0) AS offsetting_trade_minutes,
       ABS(LN(GREATEST(CAST(ABS(c.quantity * c.price * COALESCE(c.multiplier, 1)) AS DOUBLE), 1.0))
           - nt.median_log_notional) / NULLIF(1.4826 * nt.mad_log_notional, 0) AS notional_z,
       COUNT(*) OVER (PARTITION BY c.side_of, c.broker, COALESCE(c.order_id, CAST(c.uid AS VARCHAR))) AS fill_count,
       DATEDIFF(day, c.trade_date, c.settle_date) AS settle_lag
FROM w_candidates c
LEFT JOIN executions e
  ON e.source = c.source AND e.record_id = c.record_id AND e.trade_date = c.trade_date
 AND COALESCE(e.file, '') = COALESCE(c.file, '') AND COALESCE(e.line, 0) = COALESCE(c.line, 0)
LEFT JOIN w_feat_market mk ON mk.instrument_id = c.instrument_id
LEFT JOIN commission_schedules s ON s.broker = c.broker AND s.asset_class = c.asset_class
LEFT JOIN (SELECT DISTINCT account, asset_class, n_account_class, n_account FROM w_feat_mix) mx
  ON mx.account = c.account AND mx.asset_class = c.asset_class
LEFT JOIN w_feat_mix mb ON mb.account = c.account AND mb.asset_class = c.asset_class AND mb.broker = c.broker
LEFT JOIN w_feat_dup d
  ON d.account = c.account AND d.instrument_id = c.instrument_id AND d.side = c.side
 AND d.quantity = c.quantity AND d.price = c.price
LEFT JOIN w_feat_offset o ON o.side_of = c.side_of AND o.order_key = COALESCE(c.order_id, CAST(c.uid AS VARCHAR))
LEFT JOIN w_feat_notional nt ON nt.account = c.account AND nt.asset_class = c.asset_class;

-- Settlement lag against the instrument's usual lag on the day (a forward settles on its value date).
CREATE OR REPLACE TABLE w_feat_settle AS
SELECT instrument_id, MEDIAN(DATEDIFF(day, trade_date, settle_date)) AS usual_lag
FROM w_candidates
GROUP BY instrument_id;

-- One row per link: the worst value over the records that describe it.
CREATE OR REPLACE TABLE w_features AS
SELECT r.link_id,
       MAX(r.price_vs_vwap) AS price_vs_vwap,
       MAX(r.price_outside_day_range) AS price_outside_day_range,
       MAX(r.commission_rate) AS commission_rate,
       MAX(r.account_asset_class) AS account_asset_class,
       MAX(r.counterparty_rarity) AS counterparty_rarity,
       MAX(r.duplicate_key) AS duplicate_key,
       MIN(r.offsetting_trade_minutes) AS offsetting_trade_minutes,
       MAX(r.notional_z) AS notional_z,
       MAX(r.fill_count) AS fill_count,
       MAX(ABS(r.settle_lag - st.usual_lag)) AS settle_lag_days
FROM (
    SELECT k.link_id, c.instrument_id, f.*,
           MIN(f.side_of) OVER (PARTITION BY k.link_id) AS link_side  -- 'L' before 'R'
    FROM w_links k
    JOIN w_candidates c ON c.uid = k.uid
    JOIN w_feat_records f ON f.uid = k.uid
) r
LEFT JOIN w_feat_settle st ON st.instrument_id = r.instrument_id
WHERE r.side_of = r.link_side
GROUP BY r.link_id;
