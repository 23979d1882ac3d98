-- Who said what (issue 5): attributions, the claims linked to them, and citation edges.
-- Offsets are character offsets into articles.text. Written by the `claims` stage.

CREATE TABLE attributions (
    id            INTEGER PRIMARY KEY,
    article_id    TEXT NOT NULL REFERENCES articles(id),
    sentence_idx  INTEGER NOT NULL,
    source_start  INTEGER,
    source_end    INTEGER,
    source_text   TEXT,
    cue_start     INTEGER NOT NULL,
    cue_end       INTEGER NOT NULL,
    cue_text      TEXT NOT NULL,
    content_start INTEGER,
    content_end   INTEGER,
    content_text  TEXT,
    quote         TEXT NOT NULL,             -- direct | indirect | mixed
    source_kind   TEXT NOT NULL,             -- anonymous | named-official | named-expert | named-witness | named-person | organisation | outlet | document | none
    source_role   TEXT,
    source_name   TEXT,                      -- canonical name after back-reference resolution
    cited_outlet  TEXT,                      -- canonical outlet name ("RIA Novosti")
    resolved_from_attribution_id INTEGER REFERENCES attributions(id)
);
CREATE INDEX attributions_article ON attributions(article_id, sentence_idx);
CREATE INDEX attributions_outlet ON attributions(cited_outlet);

CREATE TABLE claims (
    id              INTEGER PRIMARY KEY,
    article_id      TEXT NOT NULL REFERENCES articles(id),
    sentence_idx    INTEGER NOT NULL,
    start           INTEGER NOT NULL,
    end             INTEGER NOT NULL,
    text            TEXT NOT NULL,
    attribution_id  INTEGER REFERENCES attributions(id),
    source_kind     TEXT NOT NULL,           -- copied from the attribution, 'none' when unattributed
    hedges          TEXT NOT NULL DEFAULT '[]', -- JSON [{text, start, end, kind}]
    certainty       TEXT NOT NULL,           -- hedged | modal | asserted
    numbers         TEXT NOT NULL DEFAULT '[]', -- JSON [{text, value, unit, modifier, start, end}]
    entities        TEXT NOT NULL DEFAULT '[]', -- JSON [{text, label, norm}]
    checkworthiness REAL NOT NULL
);
CREATE INDEX claims_article ON claims(article_id, sentence_idx);
CREATE INDEX claims_attribution ON claims(attribution_id);

CREATE TABLE citations (
    article_id     TEXT NOT NULL REFERENCES articles(id),
    cited_outlet   TEXT NOT NULL,
    attribution_id INTEGER REFERENCES attributions(id)
);
CREATE INDEX citations_article ON citations(article_id);
CREATE INDEX citations_outlet ON citations(cited_outlet);
