-- What a matching run counts (tasks/match.py, tasks/break_store.py, tasks/stream_match.py): the
-- pairing rounds' progress, the control totals, the per-pass and per-side summary. Named statements.

-- name: broker_side_candidates
-- Records on the broker side of the pair (none: a drop copy that did not come, nothing to match).
SELECT COUNT(*) FROM w_candidates WHERE side_of = 'R'

-- name: round_steps
SELECT COUNT(*) FROM w_step

-- name: candidates_left
SELECT COUNT(*) FROM w_cands

-- name: control_totals
-- Every candidate must end in exactly one classified link.
SELECT (SELECT SUM(nl + nr) FROM w_results) AS linked, (SELECT COUNT(*) FROM w_candidates) AS candidates

-- name: links_per_pass
SELECT pass, COUNT(*) AS n FROM w_links GROUP BY pass

-- name: outcomes_per_side
SELECT CASE WHEN break_type IS NULL THEN 'matched' ELSE 'break' END AS outcome,
       SUM(nl) AS l_n, SUM(nr) AS r_n
FROM w_results GROUP BY 1

-- name: candidates_per_side
SELECT side_of, COUNT(*) AS n FROM w_candidates GROUP BY 1

-- name: matches_count
SELECT COUNT(*) FROM w_matches

-- name: breaks_count
SELECT COUNT(*) FROM w_breaks

-- name: run_events
-- A run's break store events by kind (opened, seen, reopened, closed, ...).
SELECT event, COUNT(*) AS n FROM break_events WHERE run_id = :run_id GROUP BY event
