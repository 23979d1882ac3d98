"""The claims stage: which articles it takes, unattributed claims, on-request extraction, CLI."""

from __future__ import annotations

import json

from click.testing import CliRunner

from newstrace.claims import analyse_text, article_claims, run
from newstrace.cli_attribution import attributions_cmd
from newstrace.config import Config
from newstrace.fixtures import add_articles
from newstrace.pipeline import StageContext
from newstrace.store import Store

TEXTS = [
    "Officials familiar with the plan said more than 300 troops would be sent to Iraq. "
    "Reportedly, the convoy left Baghdad on Monday.",
    "RIA Novosti reports: 9,000 Daesh fighters will be moved to Syria.",
    "The weather in Paris was pleasant and many people walked along the river on Sunday afternoon.",
]


def _stories(store: Store, groups: list[list[str]]) -> None:
    with store.transaction() as conn:
        rows = [(a, f"s-{i}", "2016-10-17T00:00:00+00:00", 1.0, "new") for i, group in enumerate(groups) for a in group]
        conn.exec_driver_sql(
            "INSERT INTO story_articles (article_id, story_id, joined_at, score, joined_by) VALUES (?,?,?,?,?)", rows)
        # As the stories stage does: every article it looked at is marked done.
        store.mark_done(conn, "stories", [a for group in groups for a in group])


def test_claims_stage_takes_only_stories_of_two_or_more(store: Store) -> None:
    ids = add_articles(store, [{"text": t} for t in TEXTS])
    _stories(store, [[ids[0], ids[1]], [ids[2]]])
    summary = run(StageContext(store, Config()))
    assert summary["articles"] == 2
    processed = {r["article_id"] for r in store.rows("SELECT article_id FROM stage_done WHERE stage = 'claims'")}
    assert processed == {ids[0], ids[1]}
    # On request, the lone article is analysed too.
    data = article_claims(store, ids[2])
    assert data[0]["article_id"] == ids[2]
    # A story id gives every article of the story.
    assert [d["article_id"] for d in article_claims(store, "s-0")] == [ids[0], ids[1]]
    assert ids[2] in {r["article_id"] for r in store.rows("SELECT article_id FROM stage_done WHERE stage = 'claims'")}


def test_claims_stage_anonymous_officials_and_outlet_colon(store: Store) -> None:
    ids = add_articles(store, [{"text": t} for t in TEXTS[:2]])
    run(StageContext(store, Config()))
    atts = store.rows("SELECT * FROM attributions WHERE article_id = :a", {"a": ids[0]})
    officials = next(a for a in atts if a["cue_text"] == "said")
    assert officials["source_text"] == "Officials familiar with the plan"
    assert officials["source_kind"] == "anonymous"
    claims = store.rows("SELECT * FROM claims WHERE article_id = :a ORDER BY start", {"a": ids[0]})
    assert claims[0]["attribution_id"] == officials["id"]
    assert json.loads(claims[0]["numbers"])[0]["value"] == 300.0
    unattributed = claims[-1]
    assert unattributed["source_kind"] == "none" and unattributed["attribution_id"] is None
    assert unattributed["certainty"] == "hedged"
    outlet = store.rows("SELECT * FROM attributions WHERE article_id = :a", {"a": ids[1]})[0]
    assert (outlet["source_kind"], outlet["cited_outlet"]) == ("outlet", "RIA Novosti")
    assert outlet["content_text"] == "9,000 Daesh fighters will be moved to Syria"
    entities = json.loads(store.rows("SELECT entities FROM claims WHERE article_id = :a", {"a": ids[1]})[0]["entities"])
    assert "Islamic State" in {e["norm"] for e in entities}


def test_claims_attributions_command_prints_offsets(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "a.txt"
    text = "Heytem Haşim Muhtaroğlu, head of the Iraqi Turkmen Front, told Sputnik that the town would fall."
    path.write_text(text, "utf-8")
    result = CliRunner().invoke(attributions_cmd, [str(path)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    att = data[0]["attributions"][0]
    for key in ("source", "cue", "content"):
        assert text[att[key]["start"]:att[key]["end"]] == att[key]["text"]
    assert att["cue"]["text"] == "told" and att["cited_outlet"] == "Sputnik"
    missing = CliRunner().invoke(attributions_cmd, [str(tmp_path / "nope.txt")])
    assert missing.exit_code == 2 and "No file" in missing.output


def test_claims_dated_background_is_checkworthy() -> None:
    # A year is not a quantity, but a dated statement can be checked against the record.
    text = ("The containers have been stored at the eastern terminal since a 2022 customs raid, "
            "the Maren Herald reported last month. The source added that a similar scheme had been "
            "used to clear waste from the port's western terminal.")
    _, claims = analyse_text(text, min_checkworthiness=0.35)
    assert [c.text for c in claims] == ["The containers have been stored at the eastern terminal since a 2022 customs raid"]


def test_claims_who_clause_names_a_person_for_later_pronouns() -> None:
    # The small NER model tags "Helena Sorvik" as an ORG; "who teaches" says it is a person.
    text = ("Arvenia's deputy transport minister, Marta Kovell, said on Monday that the closure was "
            "routine. Helena Sorvik, who teaches maritime law at the University of Castrell, told NNA "
            "that a shipment on that scale would require Sildovia's consent. \"Moving that volume of "
            "hazardous waste across a border without a permit would breach the Kessel Convention,\" she said.")
    atts, _ = analyse_text(text)
    by_source = {a.source.text: a for a in atts if a.source is not None}
    # The source span keeps the comma that closes the clause, as PolNeAR marks it; the name does not.
    sorvik = by_source["Helena Sorvik, who teaches maritime law at the University of Castrell,"]
    assert (sorvik.source_kind, sorvik.source_name) == ("named-expert", "Helena Sorvik")
    she = by_source["she"]
    assert (she.source_kind, she.source_name) == ("named-expert", "Helena Sorvik")


def test_claims_stage_extracts_again_after_an_extraction_upgrade(store: Store) -> None:
    """A store whose claims an older extraction made (its last run recorded another version, or
    none) is extracted again, every article, and no attribution is left twice."""
    from newstrace.claims import EXTRACTION_VERSION

    def run_recorded(summary: dict | None = None) -> dict:  # type: ignore[type-arg]
        result = run(StageContext(store, Config()))
        with store.transaction() as conn:  # as pipeline.analyze records each stage's run
            conn.exec_driver_sql("INSERT INTO stage_runs(stage, started_at, finished_at, summary) VALUES "
                                 "('claims', '2026-11-23', '2026-11-23', ?)", (json.dumps(summary or result),))
        return result

    ids = add_articles(store, [{"text": t} for t in TEXTS[:2]])
    first = run_recorded()
    assert first["articles"] == 2 and first["extraction_version"] == EXTRACTION_VERSION
    before = store.scalar("SELECT COUNT(*) FROM attributions")
    assert run_recorded()["articles"] == 0  # nothing new: nothing done
    run_recorded({"articles": 0})  # as a store written before versions were recorded
    again = run_recorded()
    assert again["articles"] == 2 and again["extracted_again_after_upgrade"] is True
    assert store.scalar("SELECT COUNT(*) FROM attributions") == before
    assert {r["article_id"] for r in store.rows("SELECT article_id FROM attributions")} <= set(ids)
    assert run_recorded()["articles"] == 0
