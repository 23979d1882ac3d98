-- Core tables: articles, their URLs, the ingest ledger, and per-stage progress.
-- Times are ISO-8601 strings in UTC ("2016-10-17T09:30:00+00:00") or NULL when unknown.

CREATE TABLE articles (
    id            TEXT PRIMARY KEY,          -- content hash of normalised title + text
    title         TEXT NOT NULL DEFAULT '',
    text          TEXT NOT NULL,
    published_at  TEXT,                      -- UTC, NULL when unknown (never guessed)
    outlet        TEXT,                      -- given, or the registered domain of the URL
    language      TEXT,
    author        TEXT,
    url           TEXT,                      -- first canonical URL seen
    metadata      TEXT NOT NULL DEFAULT '{}',-- JSON: fields of the input we do not model
    source        TEXT,                      -- file the article was first read from
    parent_id     TEXT REFERENCES articles(id), -- page this article was segmented from
    segment_index INTEGER,
    status        TEXT NOT NULL DEFAULT 'new', -- new | live | split (a page split into parts)
    ingested_at   TEXT NOT NULL
);
CREATE INDEX articles_status ON articles(status);
CREATE INDEX articles_published ON articles(published_at);
CREATE INDEX articles_outlet ON articles(outlet);
CREATE INDEX articles_parent ON articles(parent_id);

-- Every URL an article was seen under, raw and canonical.
CREATE TABLE article_urls (
    article_id    TEXT NOT NULL REFERENCES articles(id),
    url           TEXT NOT NULL,
    canonical_url TEXT NOT NULL,
    PRIMARY KEY (article_id, url)
);
CREATE INDEX article_urls_canonical ON article_urls(canonical_url);

-- One row per input file (keyed by content hash, so a renamed copy is the same input).
CREATE TABLE ingest_sources (
    source_key    TEXT PRIMARY KEY,          -- sha256 of the file's bytes
    path          TEXT NOT NULL,
    format        TEXT NOT NULL,
    size_bytes    INTEGER NOT NULL,
    complete      INTEGER NOT NULL DEFAULT 0,
    started_at    TEXT NOT NULL,
    finished_at   TEXT
);

-- The ledger: one row per record seen. seen = stored + rejected by construction, and a
-- resumed run skips the records already here, so a killed ingest never duplicates.
CREATE TABLE ingest_records (
    source_key    TEXT NOT NULL REFERENCES ingest_sources(source_key),
    locator       TEXT NOT NULL,             -- line number, record index, WARC offset ...
    outcome       TEXT NOT NULL,             -- stored | duplicate | rejected
    article_id    TEXT,
    reason        TEXT,                      -- why it was rejected (for the user)
    detail        TEXT,
    PRIMARY KEY (source_key, locator)
);
CREATE INDEX ingest_records_outcome ON ingest_records(outcome);

-- Which live articles each stage has processed, for incremental runs.
CREATE TABLE stage_done (
    stage         TEXT NOT NULL,
    article_id    TEXT NOT NULL,
    PRIMARY KEY (stage, article_id)
) WITHOUT ROWID;

CREATE TABLE stage_runs (
    id            INTEGER PRIMARY KEY,
    stage         TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    summary       TEXT                       -- JSON counts reported by the stage
);
