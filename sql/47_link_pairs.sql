-- Record the 1:1 pairs a pass (or a round of one) chose in w_step(link_id, pass, luid, ruid), and
-- take their records out of w_open. Run by tasks/match.py after each 1:1 pass.
INSERT INTO w_pairs (link_id, pass, luid, ruid) SELECT link_id, pass, luid, ruid FROM w_step;
INSERT INTO w_links (link_id, pass, uid)
SELECT link_id, pass, luid FROM w_step
UNION ALL
SELECT link_id, pass, ruid FROM w_step;
DELETE FROM w_open WHERE uid IN (SELECT luid FROM w_step UNION ALL SELECT ruid FROM w_step);
