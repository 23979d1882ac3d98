-- Fact-check imports and article ingest keep apart in the ledger. Both keyed an input by the
-- SHA-256 of its bytes, so a file ingested as articles was skipped by a later fact-check import
-- (and the other way round). Fact-check imports now use the key 'factcheck:' followed by the
-- SHA-256. Rows written before this migration by a fact-check import (format 'factcheck-*') move
-- to the new key, and every other old row still means the file was ingested as articles.
INSERT INTO ingest_sources(source_key, path, format, size_bytes, complete, started_at, finished_at)
SELECT 'factcheck:' || source_key, path, format, size_bytes, complete, started_at, finished_at
FROM ingest_sources WHERE format LIKE 'factcheck-%' AND source_key NOT LIKE 'factcheck:%';

UPDATE ingest_records SET source_key = 'factcheck:' || source_key
WHERE source_key IN (SELECT source_key FROM ingest_sources
                     WHERE format LIKE 'factcheck-%' AND source_key NOT LIKE 'factcheck:%');

DELETE FROM ingest_sources WHERE format LIKE 'factcheck-%' AND source_key NOT LIKE 'factcheck:%';
