-- Details inside a shared claim: a phrase of one article's wording that another article telling
-- the same claim does not say ("... to leave the city with their families" against "free
-- passage"; newstrace/details.py): it holds a noun, name or number that the other article never
-- uses, and cutting it brings the two wordings closer. One row per phrase; missing_from lists
-- the articles of the group that do not say it (JSON array of article ids).
CREATE TABLE claim_details (
    id            INTEGER PRIMARY KEY,
    story_id      TEXT NOT NULL,
    group_id      TEXT NOT NULL REFERENCES claim_groups(id),
    claim_id      TEXT NOT NULL,
    article_id    TEXT NOT NULL,
    start         INTEGER NOT NULL,          -- character offsets of the phrase in the article
    end           INTEGER NOT NULL,
    phrase        TEXT NOT NULL,
    missing_from  TEXT NOT NULL DEFAULT '[]',
    new_words     TEXT NOT NULL DEFAULT '{}' -- JSON: article of missing_from -> the phrase's nouns, names
                                             -- or numbers that article never uses (the evidence)
);
CREATE INDEX claim_details_story ON claim_details(story_id);
CREATE INDEX claim_details_group ON claim_details(group_id);
