-- The records a run draws its candidates from (50_match_scope.sql filters them by day and source):
-- all of executions. The stream's per-batch runs define w_source as only the keys they re-match
-- (tasks/stream_match.py), so a batch never copies the whole day.
CREATE OR REPLACE VIEW w_source AS SELECT * FROM executions;
