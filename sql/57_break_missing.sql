-- Pass 7: whatever is still unlinked is one-sided: missing at the broker or missing internally.
INSERT INTO w_links (link_id, pass, uid)
SELECT uid, CASE WHEN side_of = 'L' THEN 'MISSING_AT_BROKER' ELSE 'MISSING_INTERNALLY' END, uid
FROM w_open;
DELETE FROM w_open;
