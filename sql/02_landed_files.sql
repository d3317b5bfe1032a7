-- Every landed file, identified by its content: file_id is the SHA-256 of its bytes, and the key
-- its rows carry (executions.file, rejects.file, control_totals.file, raw_<mapping>._file). The
-- same bytes from another path are the same file: landing them again replaces its rows. A rerun
-- skips a file already landed the same way (same id, mapping and broker) unless forced, and
-- reuses its control totals.
CREATE TABLE IF NOT EXISTS landed_files (
    file_id    VARCHAR NOT NULL PRIMARY KEY,
    name       VARCHAR NOT NULL,   -- the file name, for display
    uri        VARCHAR NOT NULL,   -- where it was last landed from (resolved path)
    size_bytes BIGINT NOT NULL,
    source     VARCHAR NOT NULL,   -- internal | broker | dropcopy
    mapping    VARCHAR NOT NULL,   -- the mapping it was read with (fix for a drop copy)
    broker     VARCHAR,
    raw_table  VARCHAR,            -- raw_<mapping> holding its rejected rows (none for a drop copy)
    trade_date DATE,
    run_id     VARCHAR,
    totals     VARCHAR NOT NULL,   -- JSON of the file's control totals
    landed_at  TIMESTAMP NOT NULL
);

-- Every location a file was landed from (lineage). A new version landed from a location replaces
-- the versions landed from there before: an OMS export that grew, a broker's corrected file.
CREATE TABLE IF NOT EXISTS landed_file_uris (
    file_id   VARCHAR NOT NULL,
    uri       VARCHAR NOT NULL,
    landed_at TIMESTAMP NOT NULL
);
