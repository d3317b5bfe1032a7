-- One round of mutual-best 1:1 pairing over the candidate pairs in w_cands, built by a pass
-- (tolerance, mismatch): a pair is chosen when each record is the other's first choice. Choices
-- go by fewer alternatives first where the pass asks for it (by_options = 1: the fewer partners
-- the two records have, the surer the pairing), then kind, then the smallest differences.
-- tasks/match.py repeats the round (and 47_link_pairs.sql) until it chooses nothing.
CREATE OR REPLACE TABLE w_step AS
WITH counted AS (
    SELECT c.*,
           COUNT(*) OVER (PARTITION BY luid) AS l_options,
           COUNT(*) OVER (PARTITION BY ruid) AS r_options
    FROM w_cands c
), ranked AS (
    SELECT luid, ruid, kind,
           ROW_NUMBER() OVER (PARTITION BY luid ORDER BY r_options * by_options, kind_order, d1, d2, ruid) AS rl,
           ROW_NUMBER() OVER (PARTITION BY ruid ORDER BY l_options * by_options, kind_order, d1, d2, luid) AS rr
    FROM counted
)
SELECT luid AS link_id, kind AS pass, luid, ruid FROM ranked WHERE rl = 1 AND rr = 1;

-- Candidate pairs that lost a record to this round cannot be chosen any more.
DELETE FROM w_cands
WHERE luid IN (SELECT luid FROM w_step) OR ruid IN (SELECT ruid FROM w_step);
