-- Every related pair a reader sees: the pairs the reuse stage decided from the texts, and the
-- pairs of articles that the stories stage put in one story with no textual relation found.
-- Those are `same-event` by the stories' evidence (title+lead meaning, names, numbers, time and
-- the other members); `basis` tells which ('reuse' or 'story'). A view, not a table, so that it
-- follows every join, merge and re-decision with nothing to keep in step, and so that the
-- stories stage never reads its own conclusions back as reuse evidence (it reads `pairs`).
-- Direction follows reuse.direction: dates compared at the precision both give; a tie or a
-- missing date is 'unknown'.
CREATE VIEW related_pairs AS
SELECT p.a_id, p.b_id, p.relation, p.direction, p.earlier_id, p.later_id, p.lexical_jaccard,
       p.lead_cosine, p.semantic_score, p.coverage_a, p.coverage_b, p.verbatim_passages,
       p.aligned_sentences, p.aligned_share, p.aligned_order, p.updated_at, p.shared_names,
       'reuse' AS basis, NULL AS story_id
FROM pairs p
UNION ALL
SELECT d.a_id, d.b_id, 'same-event',
       CASE WHEN d.pa IS NULL OR d.pb IS NULL OR substr(d.pa, 1, d.n) = substr(d.pb, 1, d.n) THEN 'unknown'
            WHEN d.pa < d.pb THEN 'a->b' ELSE 'b->a' END,
       CASE WHEN d.pa IS NULL OR d.pb IS NULL OR substr(d.pa, 1, d.n) = substr(d.pb, 1, d.n) THEN NULL
            WHEN d.pa < d.pb THEN d.a_id ELSE d.b_id END,
       CASE WHEN d.pa IS NULL OR d.pb IS NULL OR substr(d.pa, 1, d.n) = substr(d.pb, 1, d.n) THEN NULL
            WHEN d.pa < d.pb THEN d.b_id ELSE d.a_id END,
       NULL, NULL, NULL, 0.0, 0.0, 0, 0, NULL, NULL, d.joined_at, NULL, 'story', d.story_id
FROM (
    SELECT x.article_id AS a_id, y.article_id AS b_id, x.story_id AS story_id,
           max(x.joined_at, y.joined_at) AS joined_at,
           substr(a.published_at, 1, 19) AS pa, substr(b.published_at, 1, 19) AS pb,
           min(length(substr(a.published_at, 1, 19)), length(substr(b.published_at, 1, 19))) AS n
    FROM story_articles x
    JOIN story_articles y ON y.story_id = x.story_id AND x.article_id < y.article_id
    JOIN articles a ON a.id = x.article_id
    JOIN articles b ON b.id = y.article_id
    WHERE a.status = 'live' AND b.status = 'live'
      AND NOT EXISTS (SELECT 1 FROM pairs p WHERE p.a_id = x.article_id AND p.b_id = y.article_id)
) d;
