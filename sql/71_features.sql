-- Anomaly features: one row per link of the pair just matched (w_links / w_candidates), read by
-- recon/anomaly/features.py. A link is described by its internal records (the side we book), or by
-- its broker records when it has none. Values are DOUBLE: they feed a model, no match is decided
-- here. Every feature needs no reference file and uses one when it is there (70_anomaly_reference).
-- Binds: :trade_date, :history_days (the window for an account's and a broker's usual business,
-- today included, so a new deployment has the day itself). Names and meanings:
-- recon/anomaly/features.py and docs/anomaly.md.

-- The day's prints per instrument, both sides of the pair, one per order and side (the partial
-- fills of a block would otherwise crowd the median and shrink the MAD): median and MAD of ln(price).
CREATE OR REPLACE TABLE w_feat_prints AS
SELECT instrument_id, LN(AVG(CAST(price AS DOUBLE))) AS lp
FROM w_candidates
WHERE price > 0
GROUP BY instrument_id, side_of, COALESCE(order_id, CAST(uid AS VARCHAR));

CREATE OR REPLACE TABLE w_feat_price_stats AS
WITH med AS (
    SELECT instrument_id, MEDIAN(lp) AS m, COUNT(*) AS n FROM w_feat_prints GROUP BY instrument_id
)
SELECT med.instrument_id, med.m AS median_lp, med.n AS prints, MEDIAN(ABS(p.lp - med.m)) AS mad_lp
FROM med
JOIN w_feat_prints p ON p.instrument_id = med.instrument_id
GROUP BY med.instrument_id, med.m, med.n;

-- Centre and spread of ln(price): the vendor's VWAP and range (range / 6 as one sigma) when
-- landed, else the day's prints (1.4826 MAD; NULL below 6 prints). Floor: 5 bp.
CREATE OR REPLACE TABLE w_feat_market AS
SELECT s.instrument_id,
       CASE WHEN m.vwap > 0 THEN LN(CAST(m.vwap AS DOUBLE)) ELSE s.median_lp END AS center_lp,
       CASE WHEN m.vwap > 0 AND m.low > 0 AND m.high >= m.low
                THEN GREATEST(LN(CAST(m.high AS DOUBLE) / CAST(m.low AS DOUBLE)) / 6, 0.0005)
            WHEN s.prints >= 6 THEN GREATEST(1.4826 * s.mad_lp, 0.0005) END AS sigma_lp,
       CAST(m.low AS DOUBLE) AS low, CAST(m.high AS DOUBLE) AS high
FROM w_feat_price_stats s
LEFT JOIN market_data m ON m.instrument_id = s.instrument_id AND m.trade_date = :trade_date;

-- The internal bookings of the window: an account's usual business and a broker's charges.
CREATE OR REPLACE TABLE w_feat_history AS
SELECT account, asset_class, broker, currency,
       CAST(quantity AS DOUBLE) AS qty,
       ABS(CAST(quantity AS DOUBLE) * CAST(price AS DOUBLE) * CAST(COALESCE(multiplier, 1) AS DOUBLE)) AS notional,
       CAST(commission AS DOUBLE) AS commission
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

-- Trade sizes: the 90th percentile of ln notional per account, asset class and currency (no FX
-- rates needed: sizes are compared within a currency) over the window, and per instrument over the
-- day's trades of both sides.
CREATE OR REPLACE TABLE w_feat_notional AS
SELECT account, asset_class, currency, COUNT(*) AS n,
       PERCENTILE_CONT(0.9) WITHIN GROUP (ORDER BY LN(GREATEST(notional, 1.0))) AS q90_log_notional
FROM w_feat_history
GROUP BY account, asset_class, currency;

CREATE OR REPLACE TABLE w_feat_inst_size AS
SELECT instrument_id, COUNT(*) AS prints,
       PERCENTILE_CONT(0.9) WITHIN GROUP (
           ORDER BY LN(GREATEST(ABS(CAST(quantity AS DOUBLE) * CAST(price AS DOUBLE) * CAST(COALESCE(multiplier, 1) AS DOUBLE)), 1.0))
       ) AS q90_log_notional
FROM w_candidates
GROUP BY instrument_id;

-- Account novelty: the account's share of the internal records in the window (today included: a
-- share, so a busier day does not look like a different business) and days since first seen.
CREATE OR REPLACE TABLE w_feat_accounts AS
SELECT account,
       COUNT(CASE WHEN DATEDIFF(day, trade_date, :trade_date) BETWEEN 0 AND :history_days THEN 1 END) AS trades,
       LEAST(DATEDIFF(day, MIN(trade_date), :trade_date), :history_days) AS days_seen
FROM executions
WHERE source = 'internal' AND trade_date <= :trade_date
GROUP BY account;

-- Commission peers: per broker and asset class, the median commission per unit and in bps of
-- notional (logs) and their spreads; the basis with the smaller spread is the broker's schedule.
CREATE OR REPLACE TABLE w_feat_comm_obs AS
SELECT broker, asset_class, LN(commission / qty) AS l_unit, LN(commission / notional * 10000) AS l_bps
FROM w_feat_history
WHERE commission > 0 AND qty > 0 AND notional > 0;

CREATE OR REPLACE TABLE w_feat_comm_peers AS
WITH med AS (
    SELECT broker, asset_class, MEDIAN(l_unit) AS mu, MEDIAN(l_bps) AS mb, COUNT(*) AS n
    FROM w_feat_comm_obs GROUP BY broker, asset_class
)
SELECT med.broker, med.asset_class, med.mu, med.mb, med.n,
       MEDIAN(ABS(o.l_unit - med.mu)) AS mad_unit, MEDIAN(ABS(o.l_bps - med.mb)) AS mad_bps
FROM med
JOIN w_feat_comm_obs o ON o.broker = med.broker AND o.asset_class = med.asset_class
GROUP BY med.broker, med.asset_class, med.mu, med.mb, med.n;

CREATE OR REPLACE TABLE w_feat_schedule AS
SELECT broker, asset_class, MIN(basis) AS basis, MIN(rate) AS rate
FROM commission_schedules GROUP BY broker, asset_class;

-- The session each instrument trades in: its product's row, else its asset class's.
CREATE OR REPLACE TABLE w_feat_sessions AS
SELECT asset_class, product, MIN(open_minute) AS open_minute, MAX(close_minute) AS close_minute
FROM trading_sessions GROUP BY asset_class, product;

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

CREATE OR REPLACE TABLE w_feat_base AS
SELECT c.uid, c.side_of, c.source, c.account, c.asset_class, c.broker, c.instrument_id, c.order_id, c.currency,
       c.side, c.quantity, c.price, c.trade_date, c.settle_date, c.transact_time,
       CAST(c.quantity AS DOUBLE) AS qty,
       ABS(CAST(c.quantity AS DOUBLE) * CAST(c.price AS DOUBLE) * CAST(COALESCE(c.multiplier, 1) AS DOUBLE)) AS notional,
       CAST(e.commission AS DOUBLE) AS commission,
       CASE WHEN c.asset_class = 'future' AND LENGTH(e.symbol) > 2 THEN LEFT(e.symbol, LENGTH(e.symbol) - 2)
            ELSE e.mic END AS product,
       -- minutes after midnight; a drop copy's times are UTC, the files' New York time
       CASE WHEN c.source <> 'dropcopy' THEN EXTRACT(HOUR FROM c.transact_time) * 60
            + EXTRACT(MINUTE FROM c.transact_time) + EXTRACT(SECOND FROM c.transact_time) / 60.0 END AS minute_ny
FROM w_candidates c
JOIN executions e ON e.uid = c.uid;

CREATE OR REPLACE TABLE w_feat_records AS
SELECT b.uid, b.side_of,
       CASE WHEN b.price > 0 THEN ABS(LN(CAST(b.price AS DOUBLE)) - mk.center_lp) / mk.sigma_lp END AS price_dev,
       GREATEST(CAST(b.price AS DOUBLE) - mk.high, mk.low - CAST(b.price AS DOUBLE), 0)
           / NULLIF(mk.high - mk.low, 0) AS price_outside_day_range,
       -- expected: the schedule's amount when there is one, else the peers' median on their basis;
       -- rounded to the cent as brokers charge, plus 1.00 on both sides (a few cents more or less on a
       -- tiny charge is not news)
       (b.commission + 1.0) / (ROUND(CASE
            WHEN s.basis = 'per_unit' THEN CAST(s.rate AS DOUBLE) * b.qty
            WHEN s.basis = 'bps' THEN CAST(s.rate AS DOUBLE) * b.notional / 10000
            WHEN p.n >= 5 AND p.mad_unit <= p.mad_bps THEN EXP(p.mu) * b.qty
            WHEN p.n >= 5 THEN EXP(p.mb) * b.notional / 10000 END, 2) + 1.0) AS commission_ratio,
       -- how far past its usual sizes: ln(notional / q90) above 0, the smaller of the excess over
       -- the account's q90 in the asset class and over the instrument's q90 of the day, each where
       -- it has 10+ trades to say what is usual
       CASE WHEN nt.n >= 10 OR si.prints >= 10 THEN LEAST(
           CASE WHEN nt.n >= 10 THEN GREATEST(LN(GREATEST(b.notional, 1.0)) - nt.q90_log_notional, 0) ELSE 1e9 END,
           CASE WHEN si.prints >= 10 THEN GREATEST(LN(GREATEST(b.notional, 1.0)) - si.q90_log_notional, 0)
                ELSE 1e9 END) END AS notional_excess,
       CASE WHEN b.minute_ny IS NULL OR COALESCE(sp.open_minute, sa.open_minute) IS NULL THEN NULL
            WHEN COALESCE(sp.open_minute, sa.open_minute) <= COALESCE(sp.close_minute, sa.close_minute)
                 AND b.minute_ny BETWEEN COALESCE(sp.open_minute, sa.open_minute)
                                     AND COALESCE(sp.close_minute, sa.close_minute) THEN 0
            WHEN COALESCE(sp.open_minute, sa.open_minute) > COALESCE(sp.close_minute, sa.close_minute)
                 AND (b.minute_ny >= COALESCE(sp.open_minute, sa.open_minute)
                      OR b.minute_ny <= COALESCE(sp.close_minute, sa.close_minute)) THEN 0
            ELSE LEAST(
                CASE WHEN b.minute_ny > COALESCE(sp.close_minute, sa.close_minute)
                     THEN b.minute_ny - COALESCE(sp.close_minute, sa.close_minute)
                     ELSE b.minute_ny - COALESCE(sp.close_minute, sa.close_minute) + 1440 END,
                CASE WHEN b.minute_ny < COALESCE(sp.open_minute, sa.open_minute)
                     THEN COALESCE(sp.open_minute, sa.open_minute) - b.minute_ny
                     ELSE COALESCE(sp.open_minute, sa.open_minute) - b.minute_ny + 1440 END)
       END AS minutes_outside_session,
       CAST(COALESCE(ac.trades, 0) AS DOUBLE)
           / NULLIF(CAST((SELECT COUNT(*) FROM w_feat_history) AS DOUBLE), 0) AS account_share,
       CAST(COALESCE(ac.days_seen, 0) AS DOUBLE) AS account_days_seen,
       -LN((COALESCE(mx.n_account_class, 0) + 0.5) / (COALESCE(mx.n_account, 0) + 1.0)) AS account_asset_class,
       -LN((COALESCE(mb.n_account_class_broker, 0) + 0.5) / (COALESCE(mx.n_account_class, 0) + 1.0)) AS counterparty_rarity,
       GREATEST(LEAST(d.nl, d.nr) - 1, 0) AS duplicate_key,
       LEAST(COALESCE(o.seconds / 60.0, 390.0), 390.0) AS offsetting_trade_minutes,
       COUNT(*) OVER (PARTITION BY b.side_of, b.broker, COALESCE(b.order_id, CAST(b.uid AS VARCHAR))) AS fill_count,
       DATEDIFF(day, b.trade_date, b.settle_date) AS settle_lag
FROM w_feat_base b
LEFT JOIN w_feat_market mk ON mk.instrument_id = b.instrument_id
LEFT JOIN w_feat_schedule s ON s.broker = b.broker AND s.asset_class = b.asset_class
LEFT JOIN w_feat_comm_peers p ON p.broker = b.broker AND p.asset_class = b.asset_class
LEFT JOIN w_feat_sessions sp ON sp.asset_class = b.asset_class AND sp.product = b.product
LEFT JOIN w_feat_sessions sa ON sa.asset_class = b.asset_class AND sa.product = '*'
LEFT JOIN w_feat_accounts ac ON ac.account = b.account
LEFT JOIN (SELECT DISTINCT account, asset_class, n_account_class, n_account FROM w_feat_mix) mx
  ON mx.account = b.account AND mx.asset_class = b.asset_class
LEFT JOIN w_feat_mix mb ON mb.account = b.account AND mb.asset_class = b.asset_class AND mb.broker = b.broker
LEFT JOIN w_feat_dup d
  ON d.account = b.account AND d.instrument_id = b.instrument_id AND d.side = b.side
 AND d.quantity = b.quantity AND d.price = b.price
LEFT JOIN w_feat_offset o ON o.side_of = b.side_of AND o.order_key = COALESCE(b.order_id, CAST(b.uid AS VARCHAR))
LEFT JOIN w_feat_notional nt
  ON nt.account = b.account AND nt.asset_class = b.asset_class AND nt.currency = b.currency
LEFT JOIN w_feat_inst_size si ON si.instrument_id = b.instrument_id;

-- Settlement lag against the instrument's usual lag on the day (a forward settles on its value date).
CREATE OR REPLACE TABLE w_feat_settle AS
SELECT instrument_id, MEDIAN(DATEDIFF(day, trade_date, settle_date)) AS usual_lag
FROM w_candidates
GROUP BY instrument_id;

-- One row per link: the worst value over the records that describe it.
CREATE OR REPLACE TABLE w_features AS
SELECT r.link_id,
       MAX(r.price_dev) AS price_dev,
       MAX(r.price_outside_day_range) AS price_outside_day_range,
       MAX(r.commission_ratio) AS commission_ratio,
       MAX(r.notional_excess) AS notional_excess,
       MAX(r.minutes_outside_session) AS minutes_outside_session,
       MIN(r.account_share) AS account_share,
       MIN(r.account_days_seen) AS account_days_seen,
       MAX(r.account_asset_class) AS account_asset_class,
       MAX(r.counterparty_rarity) AS counterparty_rarity,
       MAX(r.duplicate_key) AS duplicate_key,
       MIN(r.offsetting_trade_minutes) AS offsetting_trade_minutes,
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
