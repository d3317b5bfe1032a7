-- Work tables the matching passes read: tolerances per asset class and the run's scope.
CREATE OR REPLACE TABLE w_tolerances (
    asset_class    VARCHAR NOT NULL,
    price_abs      NUMBER(38, 10) NOT NULL,
    price_bps      NUMBER(38, 6) NOT NULL,
    qty_tol        NUMBER(38, 8) NOT NULL,
    net_abs        NUMBER(38, 6) NOT NULL,
    commission_abs NUMBER(38, 6) NOT NULL,
    settle_days    INTEGER NOT NULL
);
CREATE OR REPLACE TABLE w_scope_brokers (broker VARCHAR NOT NULL);
CREATE OR REPLACE TABLE w_scope_accounts (account VARCHAR NOT NULL);
