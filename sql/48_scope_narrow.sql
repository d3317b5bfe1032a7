-- A run scoped to some brokers and/or accounts keeps only their candidates (tasks/match.py runs
-- this after 50_match_scope.sql when a scope is given; an empty scope table means all). A record
-- with no broker is outside any broker scope.
DELETE FROM w_candidates
WHERE (EXISTS (SELECT 1 FROM w_scope_brokers)
       AND (broker IS NULL OR broker NOT IN (SELECT broker FROM w_scope_brokers)))
   OR (EXISTS (SELECT 1 FROM w_scope_accounts) AND account NOT IN (SELECT account FROM w_scope_accounts));
