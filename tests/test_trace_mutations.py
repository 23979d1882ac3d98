"""Mutation typing and claim grouping on hand-built claims (the claims stage is tested apart)."""

from __future__ import annotations

import pytest

from newstrace.config import Config
from newstrace.trace import Claim, compare_claims, group_claims, lineage_parents, trace_story


def claim(cid: str, article: str, text: str, *, kind: str = "none", name: str | None = None,
          hedges: tuple[str, ...] = (), certainty: str = "asserted",
          numbers: tuple[tuple[float | None, str, str], ...] = (), number_texts: tuple[str, ...] = (),
          entities: frozenset[tuple[str, str]] = frozenset()) -> Claim:
    return Claim(cid, article, text, kind, name, hedges, certainty, numbers, number_texts, entities)


def types(mutations):  # type: ignore[no-untyped-def]
    return sorted(m.type for m in mutations)


def test_trace_number_change_is_typed_and_modifier_counts() -> None:
    before = claim("1", "A", "More than 9,000 militants will leave Mosul", numbers=((9000.0, "", "more than"),),
                   number_texts=("More than 9,000",))
    after = claim("2", "B", "9,000 militants will leave Mosul", numbers=((9000.0, "", ""),), number_texts=("9,000",))
    found = compare_claims(before, after)
    assert types(found) == ["number-changed"]
    assert found[0].details == {"before": ["More than 9,000"], "after": ["9,000"]}
    assert found[0].dangerous  # an approximate figure made to sound exact


def test_trace_smaller_exact_number_is_changed_but_not_dangerous() -> None:
    before = claim("1", "A", "600 troops will be sent", numbers=((600.0, "", ""),), number_texts=("600",))
    after = claim("2", "B", "500 troops will be sent", numbers=((500.0, "", ""),), number_texts=("500",))
    found = compare_claims(before, after)
    assert types(found) == ["number-changed"] and not found[0].dangerous
    inflated = compare_claims(after, before)
    assert inflated[0].dangerous


def test_trace_same_numbers_and_aliases_are_not_changes() -> None:
    before = claim("1", "A", "9,000 IS fighters will go to Deir ez-Zor", numbers=((9000.0, "", ""),),
                   entities=frozenset({("ORG", "islamic state"), ("GPE", "deir ez-zor")}))
    after = claim("2", "B", "9,000 Daesh fighters will go to Dier ez-Zour", numbers=((9000.0, "", ""),),
                  entities=frozenset({("ORG", "islamic state"), ("GPE", "deir ez-zor")}))
    assert compare_claims(before, after) == []


def test_trace_entity_swap_is_an_entity_change() -> None:
    before = claim("1", "A", "Fighters will move to Palmyra", entities=frozenset({("GPE", "palmyra")}))
    after = claim("2", "B", "Fighters will move to Raqqa", entities=frozenset({("GPE", "raqqa")}))
    found = compare_claims(before, after)
    assert types(found) == ["entity-changed"]
    assert found[0].details["before"] == ["palmyra"] and found[0].details["after"] == ["raqqa"]


def test_trace_anonymous_claim_stated_as_fact_is_dangerous() -> None:
    before = claim("1", "A", "The militants will be redeployed, a source told RIA Novosti", kind="anonymous",
                   name="a military-diplomatic source")
    after = claim("2", "B", "The militants will be redeployed")
    found = compare_claims(before, after)
    assert types(found) == ["attribution-removed"]
    assert found[0].dangerous


def test_trace_hearsay_made_certain_is_dangerous_even_when_still_attributed() -> None:
    before = claim("1", "A", "Saudi intelligence reportedly acts as mediator, the source said",
                   kind="anonymous", hedges=("reportedly",), certainty="hedged")
    after = claim("2", "B", "Saudi intelligence acts as mediator, the source said", kind="anonymous")
    found = compare_claims(before, after)
    assert types(found) == ["hedge-removed"]
    assert found[0].dangerous


def test_trace_one_hedge_of_two_removed_is_not_dangerous() -> None:
    before = claim("1", "A", "Saudi intelligence reportedly may act as mediator", hedges=("may", "reportedly"),
                   certainty="hedged")
    after = claim("2", "B", "Saudi intelligence may act as mediator", hedges=("may",), certainty="modal")
    found = compare_claims(before, after)
    assert types(found) == ["hedge-removed"] and not found[0].dangerous


def test_trace_hedged_claim_stated_as_fact_is_dangerous() -> None:
    before = claim("1", "A", "The jets reportedly hit only empty buildings", hedges=("reportedly",), certainty="hedged")
    after = claim("2", "B", "The jets hit only empty buildings")
    found = compare_claims(before, after)
    assert types(found) == ["hedge-removed"] and found[0].dangerous


def test_trace_attribution_weakened_and_certainty_raised() -> None:
    before = claim("1", "A", "Troops may leave, the minister said", kind="named-official", name="Ana Duarte",
                   certainty="modal")
    after = claim("2", "B", "Troops will leave, a source said", kind="anonymous", name="a source")
    assert types(compare_claims(before, after)) == ["attribution-weakened", "certainty-raised"]


def test_trace_lineage_follows_the_strongest_directed_relation() -> None:
    pairs = [
        {"a_id": "A", "b_id": "C", "relation": "rewrite", "direction": "a->b", "score": 0.9},
        {"a_id": "B", "b_id": "C", "relation": "copy", "direction": "a->b", "score": 0.99},
        {"a_id": "C", "b_id": "D", "relation": "copy", "direction": "unknown", "score": 1.0},
    ]
    parents = lineage_parents(pairs, {})
    assert parents == {"C": ("B", "copy")}  # unknown direction is never guessed


@pytest.fixture(scope="module")
def config() -> Config:
    return Config()


def test_trace_groups_paraphrases_and_reads_mutations_along_lineage(config: Config) -> None:
    origin = [
        claim("o1", "A", "More than 9,000 Islamic State militants will be redeployed from Mosul to eastern Syria",
              kind="anonymous", name="a military-diplomatic source", numbers=((9000.0, "", "more than"),),
              number_texts=("More than 9,000",)),
        claim("o2", "A", "Coalition planes would only strike vacated buildings", kind="anonymous"),
        claim("o3", "A", "Washington will send an additional 600 troops to Iraq", kind="named-official",
              name="Ashton Carter", numbers=((600.0, "", ""),), number_texts=("600",)),
    ]
    copy = [
        claim("c1", "B", "More than 6,000 Islamic State militants will be redeployed from Mosul to eastern Syria",
              numbers=((6000.0, "", "more than"),), number_texts=("More than 6,000",)),
        claim("c2", "B", "Coalition planes would only strike vacated buildings", kind="anonymous"),
        claim("c4", "B", "Local farmers fear the harvest will be lost this year"),
    ]
    articles = [{"id": "A", "published_at": "2016-10-17T10:00:00+00:00"},
                {"id": "B", "published_at": "2016-10-18T10:00:00+00:00"}]
    pairs = [{"a_id": "A", "b_id": "B", "relation": "copy", "direction": "a->b", "score": 0.9}]
    result = trace_story("S", articles, origin + copy, pairs, config)
    grouped = {frozenset(c.id for c in g) for g in result.groups}
    assert frozenset({"o1", "c1"}) in grouped and frozenset({"o2", "c2"}) in grouped
    assert frozenset({"o3"}) in grouped and frozenset({"c4"}) in grouped
    by_type = {m.type: m for m in result.mutations}
    assert set(by_type) == {"number-changed", "attribution-removed", "claim-added", "claim-dropped"}
    assert by_type["attribution-removed"].dangerous and by_type["attribution-removed"].to_claim.id == "c1"
    assert by_type["claim-added"].to_claim.id == "c4" and by_type["claim-dropped"].from_claim.id == "o3"


def test_trace_groups_never_merge_two_claims_of_one_article_through_another(config: Config) -> None:
    claims = [
        claim("a1", "A", "The army will storm Mosul in October"),
        claim("a2", "A", "The army will storm Mosul in November"),
        claim("b1", "B", "The army will storm Mosul in October"),
    ]
    groups = group_claims(claims, ["A", "B"], [("A", "B")], threshold=0.72, lexical_threshold=0.6)
    assert {frozenset(c.id for c in g) for g in groups} == {frozenset({"a1", "b1"}), frozenset({"a2"})}


def test_trace_groups_merge_by_average_linkage_not_by_one_link() -> None:
    """A-B say one thing, B-C link above the threshold, A-C are unrelated: single links would
    chain C into A-B's group; with the average floor, C's mean similarity to the group (0.45)
    keeps it out."""
    import numpy as np

    claims = [claim("a1", "A", "first"), claim("b1", "B", "second"), claim("c1", "C", "third")]
    sims = np.array([[1.0, 0.9, 0.1], [0.9, 1.0, 0.8], [0.1, 0.8, 1.0]])
    pairs = [("A", "B"), ("A", "C"), ("B", "C")]
    chained = group_claims(claims, ["A", "B", "C"], pairs, threshold=0.72, lexical_threshold=0.6, sims=sims)
    assert [len(g) for g in chained] == [3]
    kept = group_claims(claims, ["A", "B", "C"], pairs, threshold=0.72, lexical_threshold=0.6, sims=sims,
                        average_floor=0.6)
    assert {frozenset(c.id for c in g) for g in kept} == {frozenset({"a1", "b1"}), frozenset({"c1"})}


def test_trace_a_claim_links_only_to_its_best_counterpart() -> None:
    """a2 and b1 say one thing; a1 is closest to b1 too (0.9), and its second-best, b2, passes
    the threshold (0.78): without the margin rule a1 and b2 are grouped as a fallback."""
    import numpy as np

    claims = [claim("a1", "A", "first"), claim("a2", "A", "second"), claim("b1", "B", "third"), claim("b2", "B", "fourth")]
    sims = np.array([[1.0, 0.3, 0.9, 0.78], [0.3, 1.0, 0.95, 0.2], [0.9, 0.95, 1.0, 0.3], [0.78, 0.2, 0.3, 1.0]])
    fallback = group_claims(claims, ["A", "B"], [("A", "B")], threshold=0.72, lexical_threshold=0.6, sims=sims)
    assert frozenset({"a1", "b2"}) in {frozenset(c.id for c in g) for g in fallback}
    best = group_claims(claims, ["A", "B"], [("A", "B")], threshold=0.72, lexical_threshold=0.6, sims=sims,
                        link_margin=0.0)
    assert {frozenset(c.id for c in g) for g in best} == {
        frozenset({"a2", "b1"}), frozenset({"a1"}), frozenset({"b2"})}


def test_trace_undated_pair_gets_direction_only_from_citation() -> None:
    pairs = [{"a_id": "A", "b_id": "B", "relation": "rewrite", "direction": "unknown", "score": 0.5},
             {"a_id": "A", "b_id": "C", "relation": "rewrite", "direction": "unknown", "score": 0.5}]
    parents = lineage_parents(pairs, {"A": "2024-01-01", "B": None, "C": None}, {"B": {"A"}})
    assert parents == {"B": ("A", "rewrite")}  # C cites nobody: its direction stays unknown


def test_trace_citation_picks_the_parent_among_rewrites() -> None:
    pairs = [{"a_id": "A", "b_id": "C", "relation": "rewrite", "direction": "a->b", "score": 0.9},
             {"a_id": "B", "b_id": "C", "relation": "rewrite", "direction": "a->b", "score": 0.4}]
    published = {"A": "2024-01-01", "B": "2024-01-02", "C": "2024-01-03"}
    assert lineage_parents(pairs, published, {"C": {"B"}}) == {"C": ("B", "rewrite")}
    assert lineage_parents(pairs, published, {}) == {"C": ("A", "rewrite")}


def test_trace_equal_copies_descend_from_the_earliest() -> None:
    pairs = [{"a_id": "A", "b_id": "C", "relation": "copy", "direction": "a->b", "score": 1.0},
             {"a_id": "B", "b_id": "C", "relation": "copy", "direction": "a->b", "score": 0.99}]
    published = {"A": "2024-01-01", "B": "2024-01-02", "C": "2024-01-03"}
    assert lineage_parents(pairs, published) == {"C": ("A", "copy")}


def test_trace_groups_take_in_an_articles_restatement_of_a_shared_claim() -> None:
    """A lead restating its own article's quote joins the group the quote is in, so it is not
    listed as a claim only that article carries; a lone claim on the same topic, or one that
    states another month however close its vector, stays alone (real MiniLM similarities)."""
    n9000 = ((9000.0, "militants", "more than"),)
    claims = [
        claim("a1", "A", "More than 9,000 militants will be redeployed from Mosul to eastern Syria, the source said",
              numbers=n9000),
        claim("a2", "A", "The intelligence agencies plan to redeploy more than 9,000 militants from Mosul to eastern "
              "Syria", numbers=n9000),
        claim("a5", "A", "The militants in Mosul have fought Iraqi forces for more than two years"),
        claim("a3", "A", "The army will storm Mosul in October"),
        claim("a4", "A", "The army will storm Mosul in November"),
        claim("b1", "B", "More than 9,000 Islamic State militants will be moved from Mosul to the east of Syria",
              numbers=n9000),
        claim("b2", "B", "The army will storm Mosul in October"),
    ]
    groups = group_claims(claims, ["A", "B"], [("A", "B")], threshold=0.72, lexical_threshold=0.6)
    assert {frozenset(c.id for c in g) for g in groups} == {
        frozenset({"a1", "a2", "b1"}), frozenset({"a3", "b2"}), frozenset({"a4"}), frozenset({"a5"})}


def test_trace_claim_reported_to_be_denied_has_the_denies_stance() -> None:
    from dataclasses import replace

    told = claim("a1", "A", "thousands of containers were shipped")
    assert told.stance == "tells" and replace(told, cue="told reporters").stance == "tells"
    for cue in ("denied", "flatly rejected", "dismissed as fake", "has disputed"):
        assert replace(told, cue=cue).stance == "tells", cue  # not a proposition: an act
    for text in ("that thousands of containers were about to be shipped",
                 "a news agency report that thousands of containers were about to be shipped",
                 "the idea that House Democrats could no longer win"):
        for cue in ("denied", "flatly rejected", "dismissed as fake", "has disputed"):
            assert replace(told, text=text, cue=cue).stance == "denies", (text, cue)
    assert replace(told, text="Obama's trade agenda in overwhelming numbers", cue="rejected").stance == "tells"


def test_trace_restated_bound_or_counted_noun_is_not_a_number_change() -> None:
    """"over 3,500" restates "More than 3,500"; "fighters" for "militants" rewords what is
    counted. A changed measurement unit or bound is still a change."""
    before = claim("1", "A", "More than 3,500 tonnes of grain left Kaldor", numbers=((3500.0, "tonnes", "more than"),),
                   number_texts=("More than 3,500",))
    after = claim("2", "B", "Over 3,500 tonnes of grain left Kaldor", numbers=((3500.0, "tonnes", "over"),),
                  number_texts=("Over 3,500",))
    assert compare_claims(before, after) == []
    militants = claim("3", "A", "9,000 militants will leave", numbers=((9000.0, "militants", ""),))
    fighters = claim("4", "B", "9,000 fighters will leave", numbers=((9000.0, "fighters", ""),))
    assert compare_claims(militants, fighters) == []
    kilograms = claim("5", "B", "More than 3,500 kg of grain left Kaldor", numbers=((3500.0, "kg", "more than"),))
    assert types(compare_claims(before, kilograms)) == ["number-changed"]
    at_most = claim("6", "B", "Up to 3,500 tonnes of grain left Kaldor", numbers=((3500.0, "tonnes", "up to"),))
    assert types(compare_claims(before, at_most)) == ["number-changed"]


def test_trace_mutations_are_described_with_their_evidence() -> None:
    from newstrace.provenance import describe_mutation

    assert describe_mutation("attribution-removed", {"before": "anonymous", "source": "a senior official"}) == (
        "source dropped: a senior official (anonymous source); stated without one downstream")
    assert describe_mutation("attribution-weakened", {"before": "named-official", "after": "anonymous",
                                                      "source_before": "Ahmed Hassan", "source_after": None}) == (
        "source Ahmed Hassan (named official) → anonymous source")
    assert describe_mutation("number-changed", {"before": ["more than 4,000"], "after": ["6,000"]}) == (
        "figure more than 4,000 → 6,000")
    assert describe_mutation("hedge-removed", {"hedges": ["reportedly"]}) == "hedge dropped: reportedly"
    assert describe_mutation("claim-dropped", {"relation": "copy"}) == "dropped along a copy edge"
    assert describe_mutation("entity-changed", {"before": ["drunmoor"], "after": ["kesselby"]}) == "named Drunmoor → Kesselby"


def test_trace_a_dropped_or_added_negation_reverses_the_claim() -> None:
    before = claim("1", "A", "The ministry said it had not received a request to accept the waste")
    after = claim("2", "B", "The ministry said it had received a request to accept the waste")
    found = compare_claims(before, after)
    assert types(found) == ["polarity-reversed"] and not found[0].dangerous
    assert found[0].details == {"before": ["not"], "after": []}
    assert types(compare_claims(after, claim("3", "C", "The ministry never received a request to accept the waste"))) == [
        "polarity-reversed"]
    # Phrases built on a negating word that do not negate, and two negations against none.
    assert compare_claims(claim("4", "A", "Not only the port but also the terminal will close"),
                          claim("5", "B", "The port and also the terminal will close")) == []
    assert compare_claims(claim("6", "A", "It is not true that the port will not close"),
                          claim("7", "B", "It is true that the port will close")) == []
    # A negation inside a clause the other claim does not carry is not a reversal.
    compound = claim("8", "A", "The containers will be loaded at night over three weekends in March, and customs "
                               "inspectors have reportedly been told not to open them")
    part = claim("9", "B", "The containers would be moved at night over three weekends in March, before the "
                           "terminal closes")
    assert "polarity-reversed" not in types(compare_claims(compound, part))


@pytest.mark.parametrize(("before", "after"), [
    ("It is unclear whether or not the shipment reached the port", "It is unclear whether the shipment reached the port"),
    ("No 10 said the prime minister would visit the port", "Downing Street said the prime minister would visit the port"),
    ("Not more than 40 people were allowed into the hall", "Up to 40 people were allowed into the hall"),
    ("Parliament will hold a no-confidence vote on Friday", "Parliament will hold a confidence vote on Friday"),
    ("The vaccine was tested on children, not adults, in the trial", "The vaccine was tested on children in the trial"),
    ("The police had no choice but to open the gates", "The police were forced to open the gates"),
    # The negation is in an appended clause about something else (a BASIL case: the only false
    # reversal among 1,317 hand-labelled claim pairs before the negated word had to be shared).
    ("The mayor said the minister apologized for the remark about the bridge, when he wasn't going to pay",
     "The mayor said the minister apologized for the remark about the bridge"),
])
def test_trace_wordings_that_keep_the_claims_sense_are_not_reversals(before: str, after: str) -> None:
    assert "polarity-reversed" not in types(compare_claims(claim("1", "A", before), claim("2", "B", after)))


def test_trace_negated_words_are_what_each_negation_bears_on() -> None:
    from newstrace.trace import negated_words

    assert negated_words("It had not received a request and took no action") == ["received", "action"]
    assert negated_words("He wasn't even going to pay, not least because of cost") == ["going"]


def test_trace_negations_skip_phrases_that_do_not_negate() -> None:
    from newstrace.trace import negations

    assert negations("No more than 4,000 containers, and nothing more, at No. 10") == []
    assert negations("He didn't say, and nobody can't know") == ["n't", "nobody", "n't"]


def test_trace_polarity_reversal_is_described() -> None:
    from newstrace.provenance import describe_mutation

    assert describe_mutation("polarity-reversed", {"before": ["not"], "after": []}) == (
        "negation dropped: not (the claim now says the opposite)")
    assert describe_mutation("polarity-reversed", {"before": [], "after": ["never"]}) == (
        "negation added: never (the claim now says the opposite)")
