-- Stories: live articles grouped by the event they report (newstrace/stories.py).
-- A story's id is "s-" + the id of the article that started it and never changes while it
-- grows; when two stories merge the older id survives and story_merges maps the other to it.

CREATE TABLE stories (
    id            TEXT PRIMARY KEY,
    title         TEXT NOT NULL DEFAULT '',   -- title (or first sentence) of its earliest article
    size          INTEGER NOT NULL,           -- number of articles
    first_seen    TEXT,                       -- earliest published_at (UTC), NULL when none known
    last_seen     TEXT,                       -- latest published_at (UTC), NULL when none known
    outlets       TEXT NOT NULL DEFAULT '[]', -- JSON list of distinct outlets, sorted
    outlet_count  INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX stories_size ON stories(size);
CREATE INDEX stories_first_seen ON stories(first_seen);

-- Which story each article belongs to, and on what evidence it joined.
CREATE TABLE story_articles (
    article_id    TEXT PRIMARY KEY REFERENCES articles(id),
    story_id      TEXT NOT NULL,
    joined_at     TEXT NOT NULL,              -- when the stage assigned it (UTC)
    score         REAL NOT NULL,              -- clustering score when it joined (1.0 for reuse, 0 for new)
    joined_by     TEXT NOT NULL               -- new | similar | reuse
);
CREATE INDEX story_articles_story ON story_articles(story_id);

-- Merges: the absorbed story's id resolves to the kept one (follow chains).
CREATE TABLE story_merges (
    absorbed_id   TEXT PRIMARY KEY,
    kept_id       TEXT NOT NULL,
    merged_at     TEXT NOT NULL,
    article_id    TEXT                        -- the article whose evidence bridged them
);
CREATE INDEX story_merges_kept ON story_merges(kept_id);

-- The clusterer's state per live story, so that an incremental run resumes where it stopped.
CREATE TABLE story_state (
    story_id      TEXT PRIMARY KEY,
    vector_sum    BLOB NOT NULL,              -- float32 sum of member title+lead embeddings
    entity_counts TEXT NOT NULL DEFAULT '{}', -- JSON: entity -> number of members naming it
    number_counts TEXT NOT NULL DEFAULT '{}',
    term_sum      TEXT NOT NULL DEFAULT '{}', -- JSON: word -> sum of members' unit TF-IDF weights
    term_norm_sq  REAL NOT NULL DEFAULT 0,    -- squared length of term_sum
    first_time    REAL,                       -- days since 1970, NULL when no member has a date
    last_time     REAL,
    created_order INTEGER NOT NULL
);
CREATE INDEX story_state_last ON story_state(last_time);

-- Cached per-article evidence: the embedding of title + lead, entities and numbers.
CREATE TABLE story_features (
    article_id    TEXT PRIMARY KEY REFERENCES articles(id),
    model         TEXT NOT NULL,
    vector        BLOB NOT NULL,              -- float32, unit length
    entities      TEXT NOT NULL DEFAULT '[]',
    numbers       TEXT NOT NULL DEFAULT '[]',
    words         TEXT NOT NULL DEFAULT '{}'  -- JSON: content word -> count in title + lead
);

-- How many clustered articles contain each entity, or each word (keys "w:word"), for IDF.
CREATE TABLE story_df (
    term          TEXT PRIMARY KEY,
    df            INTEGER NOT NULL
) WITHOUT ROWID;
