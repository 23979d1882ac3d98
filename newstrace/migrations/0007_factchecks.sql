-- Fact-checks and their matches to claims, stories and articles.
-- Import is recorded in the shared ingest ledger (ingest_sources / ingest_records, with
-- formats named "factcheck-*" and ingest_records.article_id holding the fact-check id).

CREATE TABLE factchecks (
    id            TEXT PRIMARY KEY,          -- content hash of normalised claim + review URL (or title)
    claim         TEXT NOT NULL,             -- the claim reviewed
    title         TEXT NOT NULL DEFAULT '',  -- headline of the fact-check
    verdict       TEXT NOT NULL,             -- false | misleading | mixed | true | unproven | other
    rating        TEXT,                      -- the rating as the publisher wrote it, NULL if none
    url           TEXT,                      -- the fact-check page
    publisher     TEXT,
    published_at  TEXT,                      -- UTC, NULL when unknown (never guessed)
    claimant      TEXT,                      -- who made the claim, when the source says
    claim_date    TEXT,                      -- when the claim was made, when the source says
    language      TEXT,
    source_format TEXT NOT NULL,             -- claimreview | google-factcheck-api | euvsdisinfo | clef2020 | clef2022
    source        TEXT,                      -- file first imported from
    metadata      TEXT NOT NULL DEFAULT '{}',-- JSON: appearances, keywords, fields we do not model
    imported_at   TEXT NOT NULL
);
CREATE INDEX factchecks_verdict ON factchecks(verdict);
CREATE INDEX factchecks_published ON factchecks(published_at);

-- Ranked candidates per target. target_kind is claim (claims.id), article (articles.id, the
-- title and lead, used when no claims exist) or story (a story-level summary: the best match
-- of any of its claims or articles).
CREATE TABLE factcheck_matches (
    factcheck_id  TEXT NOT NULL REFERENCES factchecks(id),
    target_kind   TEXT NOT NULL,
    target_id     TEXT NOT NULL,
    story_id      TEXT,                      -- story of the target, NULL before stories exist
    query         TEXT NOT NULL,             -- the text that was matched
    score         REAL NOT NULL,             -- re-ranker score in [0, 1]
    rank          INTEGER NOT NULL,          -- 1 = best for this target
    matched       INTEGER NOT NULL,          -- 1 when score >= the calibrated threshold
    bm25          REAL,
    cosine        REAL,
    matched_at    TEXT NOT NULL,
    PRIMARY KEY (target_kind, target_id, factcheck_id)
) WITHOUT ROWID;
CREATE INDEX factcheck_matches_story ON factcheck_matches(story_id);
CREATE INDEX factcheck_matches_factcheck ON factcheck_matches(factcheck_id);

-- For every matched fact-check, every article of the story: published before or after the
-- fact-check (unknown when either date is missing, or both fall on the same day and one of
-- them is known to the day only).
CREATE TABLE factcheck_article_flags (
    story_id      TEXT NOT NULL,
    article_id    TEXT NOT NULL,
    factcheck_id  TEXT NOT NULL REFERENCES factchecks(id),
    relation      TEXT NOT NULL,             -- before | after | unknown
    PRIMARY KEY (story_id, article_id, factcheck_id)
) WITHOUT ROWID;
CREATE INDEX factcheck_article_flags_article ON factcheck_article_flags(article_id);

-- MiniLM embeddings of each fact-check's claim and title (float32 bytes, 384 values), computed
-- once by the factcheck_match stage so that later runs only encode new fact-checks.
CREATE TABLE factcheck_embeddings (
    factcheck_id  TEXT PRIMARY KEY REFERENCES factchecks(id),
    claim_vec     BLOB NOT NULL,
    title_vec     BLOB NOT NULL
) WITHOUT ROWID;

-- What the stage's last complete run matched against (the fact-check set and the re-ranker),
-- so that importing new fact-checks makes the next run match every target again.
CREATE TABLE factcheck_match_state (
    key           TEXT PRIMARY KEY,
    value         TEXT NOT NULL
) WITHOUT ROWID;
