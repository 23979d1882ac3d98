"""Reading one derivation claim by claim: splits, merges, carried sentences, and the typing rules
that keep rewording from being reported as a mutation (hand-built claims, real sentence model)."""

from __future__ import annotations

import pytest

from newstrace.config import Config
from newstrace.lineage import Encoder, derivation_mutations
from newstrace.trace import Claim, compare_claims, content_words, same_source_name, similarity_matrix


def claim(cid: str, article: str, text: str, *, kind: str = "none", name: str | None = None,
          hedges: tuple[str, ...] = (), numbers: tuple[tuple[float | None, str, str], ...] = (),
          number_texts: tuple[str, ...] = (), entities: frozenset[tuple[str, str]] = frozenset(),
          cited: str | None = None) -> Claim:
    certainty = "hedged" if hedges else "asserted"
    return Claim(cid, article, text, kind, name, hedges, certainty, numbers, number_texts, entities,
                 cited_outlet=cited)


@pytest.fixture(scope="module")
def config() -> Config:
    return Config()


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return Encoder()


def _derive(claims: list[Claim], relation: str, config: Config, encoder: Encoder, parent_text: str = "",
            child_text: str = "", groups: dict[str, int] | None = None) -> list[tuple[str, str | None]]:
    sims = similarity_matrix(claims, config["trace.number_bonus"])
    found = derivation_mutations(
        claims, "A", "B", relation, sims=sims, words=[content_words(c.text) for c in claims], config=config,
        parent_text=parent_text, child_text=child_text, group_articles=groups, encoder=encoder)
    return sorted((m.type, (m.to_claim or m.from_claim).id if (m.to_claim or m.from_claim) else None) for m in found)


def test_trace_lineage_a_compound_claim_split_in_two_is_not_a_hedge_removed(config: Config, encoder: Encoder) -> None:
    claims = [
        claim("a1", "A", "the containers will be loaded at night over three weekends in March, and customs "
              "inspectors have reportedly been told not to open them", kind="anonymous", hedges=("reportedly",)),
        claim("b1", "B", "The containers will be loaded under cover of darkness over three weekends this month",
              kind="anonymous"),
        claim("b2", "B", "Customs inspectors have reportedly been instructed not to open them", kind="anonymous",
              hedges=("reportedly",)),
    ]
    assert _derive(claims, "rewrite", config, encoder) == []


def test_trace_lineage_the_hedge_really_removed_is_still_found(config: Config, encoder: Encoder) -> None:
    claims = [
        claim("a1", "A", "Customs inspectors have reportedly been instructed not to open them", kind="anonymous",
              hedges=("reportedly",)),
        claim("b1", "B", "Customs inspectors have been instructed not to open them"),
    ]
    assert _derive(claims, "copy", config, encoder) == [("attribution-removed", "b1"), ("hedge-removed", "b1")]


def test_trace_lineage_a_claim_the_other_text_carries_is_neither_added_nor_dropped(
        config: Config, encoder: Encoder) -> None:
    claims = [claim("b1", "B", "The cargo will be sent across the border to Sildovia.")]
    parent_text = ("Arvenia has agreed to move the waste. The cargo will be sent across the border to Sildovia, "
                   "a source in the Maren Port Authority told Nordmere News Agency (NNA).")
    assert _derive(claims, "copy", config, encoder, parent_text=parent_text) == []
    assert _derive(claims, "copy", config, encoder, parent_text="Arvenia has agreed to move the waste.") == [
        ("claim-added", "b1")]


def test_trace_lineage_rewrites_count_only_the_storys_reported_claims(config: Config, encoder: Encoder) -> None:
    claims = [
        claim("a1", "A", "Moving that volume of waste without a permit would breach the Kessel Convention",
              kind="named-expert", name="Helena Sorvik"),
        claim("a2", "A", "Port Maren handled 1.2 million containers last year."),
        claim("b1", "B", "Sildovian opposition politicians demanded that the border be closed to freight",
              kind="organisation", name="Sildovian opposition politicians"),
    ]
    carried_by = {"a1": 3, "a2": 2, "b1": 1}
    # a2 is background stated by the outlet; b1 is a one-off reaction no other article carries.
    assert _derive(claims, "rewrite", config, encoder, groups=carried_by) == [("claim-dropped", "a1")]
    # along a copy every edit counts
    assert _derive(claims, "copy", config, encoder, groups=carried_by) == [
        ("claim-added", "b1"), ("claim-dropped", "a1"), ("claim-dropped", "a2")]


def test_trace_lineage_a_number_kept_while_another_is_dropped_is_not_changed() -> None:
    before = claim("1", "A", "Ekdal came second with 38.1 percent, and Marr took 9.5 percent",
                   numbers=((38.1, "percent", ""), (9.5, "percent", "")), number_texts=("38.1 percent", "9.5 percent"))
    after = claim("2", "B", "Her main rival, Ekdal, took 38.1 percent", numbers=((38.1, "percent", ""),),
                  number_texts=("38.1 percent",))
    assert compare_claims(before, after) == []
    assert [m.type for m in compare_claims(after, before)] == ["number-changed"]  # 9.5 is new downstream


def test_trace_lineage_relayed_through_the_same_outlet_is_the_same_attribution() -> None:
    before = claim("1", "A", "4,000 containers will be shipped", kind="anonymous", name="a source",
                   cited="Nordmere News Agency")
    same = claim("2", "B", "4,000 containers could be shipped", kind="outlet", name="the Nordmere News Agency")
    other = claim("3", "C", "4,000 containers will be shipped", kind="outlet", name="Meridian Today")
    assert [m.type for m in compare_claims(before, same)] == []
    assert [m.type for m in compare_claims(before, other)] == ["attribution-changed"]


def test_trace_lineage_source_names_match_by_their_words() -> None:
    assert same_source_name("Sorvik", "Helena Sorvik")
    assert same_source_name("Arvenia", "the Arvenian authorities")
    assert not same_source_name("Helena Sorvik", "Marta Kovell")


def test_trace_lineage_entity_from_the_upstream_article_is_context_not_a_change() -> None:
    before = claim("1", "A", "Containers will be shipped from Port Maren to the port of Drunmoor",
                   entities=frozenset({("FAC", "port maren"), ("GPE", "drunmoor")}))
    moved = claim("2", "B", "Containers could be shipped from Arvenia's Port Maren to Sildovia",
                  entities=frozenset({("GPE", "arvenia"), ("FAC", "port maren"), ("GPE", "sildovia")}))
    context = "The Arvenian authorities agreed. Drunmoor is the largest Sildovian port."
    assert compare_claims(before, moved, before_context=context) == []
    swapped = claim("3", "B", "Containers will leave Port Maren for the capital, Kesselby",
                    entities=frozenset({("PERSON", "port maren"), ("LOC", "kesselby")}))
    found = compare_claims(before, swapped, before_context=context)
    assert [m.type for m in found] == ["entity-changed"]
    assert found[0].details["before"] == ["drunmoor"] and found[0].details["after"] == ["kesselby"]


def test_trace_lineage_a_dated_claim_is_carried_only_by_a_sentence_with_its_date(encoder: Encoder) -> None:
    claim = "The containers have been stored at the eastern terminal since a 2022 customs raid"
    unrelated_detail = ("The containers would be moved at night over three weekends in March, before the "
                        "port's eastern terminal closes for dredging on April 1")
    restated = "Since a 2022 customs raid the containers have sat at the port's eastern terminal"
    assert not encoder.says_same(claim, [unrelated_detail], same_figures=True)
    assert encoder.says_same(claim, [restated], same_figures=True)


def test_trace_lineage_only_here_marks_words_no_other_wording_uses() -> None:
    from newstrace.provenance import only_here

    sputnik = "provide all militants a safe passage to leave the city with their families before it’s stormed"
    rt = "to grant free passage to thousands of Islamic State militant fighters before the city is stormed"
    runs = only_here(sputnik, [rt])
    assert "".join(piece for piece, _ in runs) == sputnik  # the runs rejoin to the text
    marked = [piece for piece, m in runs if m]
    assert marked == ["provide all", "safe", "leave", "families"]  # "militants" ~ "militant"; "s" is no word
    assert not any(m for _, m in only_here(sputnik, []))  # nothing to compare with: nothing marked
    assert [p for p, m in only_here("Their family left", ["the families stayed"]) if m] == ["left"]
    # a number is one piece: the changed figure shows, the kept one does not
    assert [p for p, m in only_here("6,000 containers will leave", ["More than 4,000 containers will leave"]) if m] == [
        "6,000"]
    assert not any(m for _, m in only_here("4,000 containers", ["more than 4,000 containers"]))


def test_trace_lineage_a_compound_claim_also_joins_the_group_its_second_clause_tells(encoder: Encoder) -> None:
    from newstrace.lineage import compound_memberships

    night = claim("n1", "NNA", "the containers will be loaded at night over three weekends in March, and customs "
                  "inspectors have reportedly been told not to open them")
    groups = [
        [claim("m1", "MT", "The containers will be loaded under cover of darkness over three weekends this month"),
         claim("t1", "TB", "The containers will be loaded under cover of darkness over three weekends this month")],
        [claim("m2", "MT", "Customs inspectors have reportedly been instructed not to open them"),
         claim("t2", "TB", "Customs inspectors have reportedly been instructed not to open them")],
        [claim("m3", "MT", "The terminal will close in April for dredging"),
         claim("t3", "TB", "The terminal will close in April for dredging")],
    ]
    found = compound_memberships(groups, [night, *groups[0], *groups[1]], encoder, threshold=0.72)
    assert [(g, c.id) for g, c, _ in found] == [(0, "n1"), (1, "n1")]  # both clauses, not the closure
    october = claim("o1", "X", "The army will storm Mosul in October, and the city will be cut off from Syria")
    november = [claim("a", "A", "The army will storm Mosul in November"), claim("b", "B", "The army will storm Mosul in November")]
    assert compound_memberships([november], [october], encoder, threshold=0.72) == []  # another month
