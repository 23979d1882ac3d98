"""The JSON API: answers, validation (400/404 with a JSON error), and the OpenAPI document."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from newstrace.store import Store
from newstrace.web.app import create_app
from newstrace.web.sample import build_sample


@pytest.fixture
def sample(store: Store) -> tuple[TestClient, dict]:
    ids = build_sample(store)
    return TestClient(create_app(store.path)), ids


def test_web_api_story_detail_has_every_section(sample) -> None:
    client, ids = sample
    data = client.get("/api/stories/" + quote(ids["stories"][0], safe="")).json()
    assert {a["id"] for a in data["articles"]} == {ids["rt"], ids["sputnik"], ids["copy"], ids["stripped"]}
    for key in ("pairs", "provenance", "claim_groups", "mutations", "sources", "factchecks", "origin"):
        assert data[key]["available"] and data[key]["rows"], key
    assert data["mutations"]["rows"][0]["dangerous"] == 1
    assert data["factchecks"]["rows"][0]["verdict"] == "false"
    # Every pair of the story's four articles: three from the reuse stage, the other three
    # same-event because they are in one story with no textual relation.
    bases = {(p["relation"], p["basis"]) for p in data["pairs"]["rows"]}
    assert len(data["pairs"]["rows"]) == 6 and ("same-event", "story") in bases
    assert {p["basis"] for p in data["pairs"]["rows"] if p["relation"] != "same-event"} == {"reuse"}
    article = client.get(f"/api/articles/{ids['copy']}").json()
    assert {p["basis"] for p in article["pairs"]["rows"]} == {"reuse", "story"}


def test_web_api_lists_filter_and_page(sample) -> None:
    client, ids = sample
    stories = client.get("/api/stories", params={"outlet": "rudaw.example"}).json()
    assert [s["id"] for s in stories["stories"]] == ["kirkuk-havice"] and stories["total"] == 1
    page2 = client.get("/api/articles", params={"per_page": 4, "page": 2, "sort": "oldest"}).json()
    assert page2["total"] == 6 and len(page2["articles"]) == 2
    claims = client.get("/api/claims", params={"article": ids["stripped"]}).json()
    assert [c["source_kind"] for c in claims["claims"]] == ["none"]
    pair = client.get(f"/api/pairs/{ids['rt']}/{ids['copy']}").json()
    assert pair["pair"]["relation"] == "copy" and pair["passages"]["rows"][0]["kind"] == "verbatim"
    outlet = client.get("/api/outlets/" + quote("stripper.example", safe="")).json()
    assert len(outlet["stripped"]) == 1


def test_web_api_errors_are_json(sample) -> None:
    client, _ = sample
    for url, status in (("/api/stories?per_page=0", 400), ("/api/articles?to=yesterday", 400),
                        ("/api/claims?article=zz", 400), ("/api/articles/xyz", 404),
                        ("/api/stories/unknown", 404), ("/api/outlets/nobody", 404), ("/api/nothing", 404)):
        response = client.get(url)
        assert response.status_code == status, url
        assert "error" in response.json(), url


def test_web_api_sections_say_not_analysed_before_the_stages_run(store: Store) -> None:
    from newstrace.fixtures import add_articles

    (aid,) = add_articles(store, [{"title": "t", "text": "Body.", "outlet": "o.example"}])
    client = TestClient(create_app(store.path))
    data = client.get(f"/api/articles/{aid}").json()
    assert data["article"]["id"] == aid
    assert data["pairs"] == {"available": False, "note": "not analysed yet (run `newstrace analyze`)", "rows": []}
    assert client.get("/api/stories").json()["available"] is False


def test_web_openapi_describes_exactly_the_api_routes(sample) -> None:
    client, _ = sample
    spec = client.get("/api/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    documented = set(spec["paths"])
    routed = {
        r.path.replace(":path}", "}") for r in client.app.routes
        if isinstance(r, Route) and r.path.startswith("/api") and r.path != "/api/openapi.json"
    }
    assert documented == routed


def test_web_openapi_document_is_valid(sample) -> None:
    # Schemathesis carries the OpenAPI 3.0 meta-schema; it rejects a broken document.
    from schemathesis.specs.openapi.definitions import OPENAPI_30_VALIDATOR

    client, _ = sample
    spec = client.get("/api/openapi.json").json()
    OPENAPI_30_VALIDATOR.validate(spec)
    with pytest.raises(ValueError):
        OPENAPI_30_VALIDATOR.validate({**spec, "paths": {"/api": {"get": {"responses": "none"}}}})


def test_web_api_empty_section_after_the_stage_ran_is_available(store: Store) -> None:
    from newstrace.fixtures import add_articles

    (aid,) = add_articles(store, [{"title": "t", "text": "Body.", "outlet": "o.example"}])
    with store.transaction() as conn:
        conn.exec_driver_sql("INSERT INTO stage_runs(stage, started_at, summary) VALUES ('reuse', '2024', '{}')")
    data = TestClient(create_app(store.path)).get(f"/api/articles/{aid}").json()
    assert data["pairs"] == {"available": True, "note": None, "rows": []}
    assert data["claims"]["available"] is False


def test_web_api_story_folds_cited_outlet_spellings_and_counts_unresolved_pronouns(sample, store: Store) -> None:
    """The API gives what the page shows: one name per cited outlet, and the pronoun sources that
    were left out of ``sources`` with how often."""
    client, ids = sample
    with store.transaction() as conn:
        conn.exec_driver_sql("INSERT INTO citations(article_id, cited_outlet) VALUES (?, 'the RIA-Novosti')",
                             (ids["stripped"],))
        conn.exec_driver_sql(
            "INSERT INTO attributions(article_id, sentence_idx, cue_start, cue_end, quote, source_text, source_kind, "
            "cue_text) VALUES (?, 0, 0, 4, 'indirect', 'Which', 'none', 'cited')", (ids["rt"],))
    data = client.get("/api/stories/" + quote(ids["stories"][0], safe="")).json()
    cited = {(r["citing_outlet"], r["cited_outlet"]): r["articles"] for r in data["citations"]["rows"]}
    assert cited[("stripper.example", "RIA Novosti")] == 1
    assert all(name == "RIA Novosti" for _, name in cited)
    assert data["unresolved_sources"] == {"which": 1}
    assert "which" not in {(r["source_text"] or "").lower() for r in data["sources"]["rows"]}


def test_web_api_story_search_counts_its_matches_on_every_page(sample) -> None:
    """A title search counts its matches in the page's own scan; a page past the last still
    knows the total."""
    client, _ = sample
    first = client.get("/api/stories", params={"q": "havice", "per_page": "1"}).json()
    assert first["total"] == 1 and len(first["stories"]) == 1 and "total_matching" not in first["stories"][0]
    both = client.get("/api/stories", params={"q": "i", "per_page": "1", "page": "2"}).json()
    assert both["total"] == 2 and len(both["stories"]) == 1
    past = client.get("/api/stories", params={"q": "i", "per_page": "1", "page": "5"}).json()
    assert past["total"] == 2 and past["stories"] == []
    assert client.get("/api/stories", params={"q": "no such words"}).json()["total"] == 0
