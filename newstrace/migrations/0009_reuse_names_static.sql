-- Proper names of two or more words per processed article (event_names.proper_names): two
-- reports that name the same people and bodies within days are evidence of one event.
CREATE TABLE reuse_names (
    name       TEXT NOT NULL,
    article_id TEXT NOT NULL REFERENCES articles(id),
    PRIMARY KEY (name, article_id)
) WITHOUT ROWID;
CREATE INDEX reuse_names_article ON reuse_names(article_id);

-- The names a pair shares (JSON list), when they counted towards its relation.
ALTER TABLE pairs ADD COLUMN shared_names TEXT;

-- Static (model2vec) title+lead vector per processed article, float16: the first pass that
-- chooses which pairs get MiniLM's lead cosine and sentence alignment.
CREATE TABLE reuse_static (
    article_id TEXT PRIMARY KEY REFERENCES articles(id),
    vector     BLOB NOT NULL
) WITHOUT ROWID;
