-- Text reuse: related article pairs, the passages that show it, and what the reuse stage keeps
-- to compare new articles with stored ones without recomputing every pair.

-- One row per related unordered pair (a_id < b_id). Unrelated candidates get no row.
CREATE TABLE pairs (
    a_id              TEXT NOT NULL REFERENCES articles(id),
    b_id              TEXT NOT NULL REFERENCES articles(id),
    relation          TEXT NOT NULL,         -- copy | partial | rewrite | same-event
    direction         TEXT NOT NULL,         -- a->b (a earlier) | b->a | unknown (never guessed)
    earlier_id        TEXT,                  -- NULL when direction is unknown
    later_id          TEXT,
    lexical_jaccard   REAL,                  -- MinHash estimate of 5-word-shingle Jaccard
    lead_cosine       REAL,                  -- cosine of the title+lead embeddings
    semantic_score    REAL,                  -- mean cosine of the aligned sentence pairs
    coverage_a        REAL NOT NULL,         -- share of a's words inside verbatim passages
    coverage_b        REAL NOT NULL,
    verbatim_passages INTEGER NOT NULL,
    aligned_sentences INTEGER NOT NULL,
    aligned_share     REAL,                  -- aligned pairs / alignable sentences of the shorter
    aligned_order     REAL,                  -- share of aligned pairs in one common order
    updated_at        TEXT NOT NULL,
    PRIMARY KEY (a_id, b_id),
    CHECK (a_id < b_id)
) WITHOUT ROWID;
CREATE INDEX pairs_b ON pairs(b_id);
CREATE INDEX pairs_relation ON pairs(relation);

-- The evidence of a pair: verbatim passages and aligned sentence pairs, offsets into the
-- texts of articles a_id and b_id ([start, end) characters).
CREATE TABLE passages (
    a_id     TEXT NOT NULL,
    b_id     TEXT NOT NULL,
    kind     TEXT NOT NULL,                  -- verbatim | aligned
    a_start  INTEGER NOT NULL,
    a_end    INTEGER NOT NULL,
    b_start  INTEGER NOT NULL,
    b_end    INTEGER NOT NULL,
    score    REAL NOT NULL,                  -- verbatim: matched-word share, aligned: cosine
    FOREIGN KEY (a_id, b_id) REFERENCES pairs(a_id, b_id) ON DELETE CASCADE
);
CREATE INDEX passages_pair ON passages(a_id, b_id);

-- MinHash signature (uint32 x num_perm) of each processed article, for incremental LSH.
CREATE TABLE reuse_signatures (
    article_id TEXT PRIMARY KEY REFERENCES articles(id),
    num_perm   INTEGER NOT NULL,
    signature  BLOB NOT NULL
) WITHOUT ROWID;

-- Line hashes per outlet: a line in boilerplate_min_articles articles of one outlet is boilerplate.
CREATE TABLE reuse_lines (
    outlet     TEXT NOT NULL,
    line_hash  INTEGER NOT NULL,
    article_id TEXT NOT NULL,
    PRIMARY KEY (outlet, line_hash, article_id)
) WITHOUT ROWID;

-- Embeddings (float16): one title+lead vector per article, and its sentences' vectors (by
-- sentences.idx) once a candidate pair needed them.
CREATE TABLE reuse_vectors (
    article_id TEXT PRIMARY KEY REFERENCES articles(id),
    lead       BLOB NOT NULL,
    sentences  BLOB
) WITHOUT ROWID
