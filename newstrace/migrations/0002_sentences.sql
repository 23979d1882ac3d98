-- Sentences of live articles, with character offsets into articles.text.
CREATE TABLE sentences (
    article_id TEXT NOT NULL REFERENCES articles(id),
    idx        INTEGER NOT NULL,
    start      INTEGER NOT NULL,
    end        INTEGER NOT NULL,
    text       TEXT NOT NULL,
    PRIMARY KEY (article_id, idx)
) WITHOUT ROWID;
