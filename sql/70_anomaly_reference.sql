-- Reference data the anomaly features compare against. Every table is optional: without market
-- data the day's own prints (both sides) stand in, without commission schedules the broker /
-- asset-class peers of the day and of history do (sql/71_features.sql). Landed from the day's
-- reference/ directory when present (tasks/anomaly.land_reference).
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

-- Regular trading sessions in New York time, minutes after midnight (close < open: the session
-- runs overnight, e.g. CME Globex 18:00-17:00). product is the MIC (equities, ETFs, options), the
-- future's root (ES, CL, ...) or '*' for the asset class as a whole; the most specific row wins.
-- Edit the rows to change a calendar; the defaults below are written only into an empty table.
CREATE TABLE IF NOT EXISTS trading_sessions (
    asset_class  VARCHAR NOT NULL,
    product      VARCHAR NOT NULL,
    open_minute  INTEGER NOT NULL,
    close_minute INTEGER NOT NULL,
    description  VARCHAR
);

INSERT INTO trading_sessions (asset_class, product, open_minute, close_minute, description)
SELECT v.asset_class, v.product, v.open_minute, v.close_minute, v.description
FROM (VALUES
    ('equity', '*', 570, 960, 'US equities regular session 09:30-16:00 ET'),
    ('equity', 'XNYS', 570, 960, 'NYSE 09:30-16:00 ET'),
    ('equity', 'XNAS', 570, 960, 'Nasdaq 09:30-16:00 ET'),
    ('etf', '*', 570, 960, 'US ETFs 09:30-16:00 ET'),
    ('etf', 'ARCX', 570, 960, 'NYSE Arca 09:30-16:00 ET'),
    ('option', '*', 570, 960, 'US equity options 09:30-16:00 ET'),
    ('future', '*', 1080, 1020, 'CME Globex 18:00-17:00 ET'),
    ('future', 'ES', 1080, 1020, 'E-mini S&P 500, CME Globex 18:00-17:00 ET'),
    ('future', 'NQ', 1080, 1020, 'E-mini Nasdaq-100, CME Globex 18:00-17:00 ET'),
    ('future', 'CL', 1080, 1020, 'WTI crude, CME Globex 18:00-17:00 ET'),
    ('future', 'ZN', 1080, 1020, '10-year note, CBOT Globex 18:00-17:00 ET'),
    ('bond', '*', 480, 1020, 'US bonds, SIFMA recommended hours 08:00-17:00 ET'),
    ('fx', '*', 0, 1440, 'FX spot and forwards: around the clock on weekdays')
) AS v (asset_class, product, open_minute, close_minute, description)
WHERE NOT EXISTS (SELECT 1 FROM trading_sessions);
