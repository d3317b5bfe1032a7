-- Which file content each landing produced: a rerun skips a file whose bytes have not changed
-- (unless forced) and reuses its control totals.
CREATE TABLE IF NOT EXISTS landed_files (
    file      VARCHAR NOT NULL PRIMARY KEY,
    sha256    VARCHAR NOT NULL,
    totals    VARCHAR NOT NULL,   -- JSON of the file's control totals
    landed_at TIMESTAMP NOT NULL
);
