-- How a story changed: claim groups, their variants, typed mutations, and provenance.

-- Claims (from different articles of one story) that assert the same thing.
CREATE TABLE claim_groups (
    id            TEXT PRIMARY KEY,          -- story id + hash of the first claim
    story_id      TEXT NOT NULL,
    label         TEXT NOT NULL,             -- text of the earliest claim
    first_article_id TEXT NOT NULL,          -- where the claim first appears
    articles      INTEGER NOT NULL,          -- how many articles carry it
    variants      INTEGER NOT NULL,          -- how many distinct wordings
    dangerous     INTEGER NOT NULL DEFAULT 0 -- some copy states as fact what upstream hedged or attributed
);
CREATE INDEX claim_groups_story ON claim_groups(story_id);

-- Every claim of a group, with its variant number (same normalised text = same variant).
CREATE TABLE claim_variants (
    group_id      TEXT NOT NULL REFERENCES claim_groups(id),
    claim_id      TEXT NOT NULL,
    article_id    TEXT NOT NULL,
    variant       INTEGER NOT NULL,
    similarity    REAL NOT NULL,             -- to the group's first claim
    is_first      INTEGER NOT NULL DEFAULT 0,-- first appearance of this variant
    PRIMARY KEY (group_id, claim_id)
);
CREATE INDEX claim_variants_article ON claim_variants(article_id);

-- A typed change between a claim upstream and its retelling downstream.
CREATE TABLE mutations (
    id            INTEGER PRIMARY KEY,
    story_id      TEXT NOT NULL,
    group_id      TEXT,                      -- NULL for claim-added / claim-dropped without a group
    type          TEXT NOT NULL,             -- number-changed | entity-changed | hedge-removed | ...
    from_article_id TEXT NOT NULL,
    to_article_id TEXT NOT NULL,
    from_claim_id TEXT,
    to_claim_id   TEXT,
    before_text   TEXT,
    after_text    TEXT,
    details       TEXT NOT NULL DEFAULT '{}',-- JSON: the numbers, hedges or sources that changed
    dangerous     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX mutations_story ON mutations(story_id);

-- The provenance graph: article -> article (copy, partial, rewrite, same-event) from reuse,
-- article -> outlet and outlet -> source (cites) from attributions.
CREATE TABLE provenance_edges (
    story_id      TEXT NOT NULL,
    src_kind      TEXT NOT NULL,             -- article | outlet | source
    src           TEXT NOT NULL,
    dst_kind      TEXT NOT NULL,
    dst           TEXT NOT NULL,
    relation      TEXT NOT NULL,             -- copy | partial | rewrite | same-event | cites
    directed      INTEGER NOT NULL,          -- 0 when the order is unknown
    weight        REAL NOT NULL DEFAULT 1,
    evidence      TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (story_id, src_kind, src, dst_kind, dst, relation)
);

-- Where each story came from: its earliest article and the origin its articles cite most.
CREATE TABLE story_origins (
    story_id          TEXT PRIMARY KEY,
    earliest_article_id TEXT,                -- NULL when no article has a date
    earliest_is_tied  INTEGER NOT NULL DEFAULT 0,
    cited_origin      TEXT,                  -- e.g. "a military-diplomatic source"
    cited_origin_kind TEXT,                  -- anonymous | named-official | outlet | ...
    via_outlet        TEXT,                  -- e.g. "RIA Novosti"
    citing_articles   INTEGER NOT NULL DEFAULT 0,
    fingerprint       TEXT NOT NULL          -- members and claims this was computed from
);
