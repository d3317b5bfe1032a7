-- w_source: the executions a matching run draws its candidates from (tasks/match.py source_view).
-- Named statements, one per scope. A run scoped to brokers and/or accounts joins the small scope
-- tables (filtered while reading); a whole-day run has no join at all (an IN-list test on every
-- row cost a whole-day run as much as copying the day). A record with no broker is in no broker
-- scope. A stream batch uses its own source (44_stream_match.sql, source_keys).

-- name: all
CREATE OR REPLACE VIEW w_source AS SELECT e.* FROM executions e

-- name: brokers
CREATE OR REPLACE VIEW w_source AS SELECT e.* FROM executions e
JOIN (SELECT DISTINCT broker FROM w_scope_brokers) sb ON sb.broker = e.broker

-- name: accounts
CREATE OR REPLACE VIEW w_source AS SELECT e.* FROM executions e
JOIN (SELECT DISTINCT account FROM w_scope_accounts) sa ON sa.account = e.account

-- name: brokers_and_accounts
CREATE OR REPLACE VIEW w_source AS SELECT e.* FROM executions e
JOIN (SELECT DISTINCT broker FROM w_scope_brokers) sb ON sb.broker = e.broker
JOIN (SELECT DISTINCT account FROM w_scope_accounts) sa ON sa.account = e.account
