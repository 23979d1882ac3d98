"""The web UI's pages, rendered in-process over a sample store with every table filled."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from starlette.testclient import TestClient

from newstrace.store import Store
from newstrace.web.app import create_app
from newstrace.web.sample import build_sample


@pytest.fixture
def sample(store: Store) -> tuple[TestClient, dict]:
    ids = build_sample(store)
    return TestClient(create_app(store.path)), ids


def test_web_stories_list_shows_both_stories_sorted_by_size(sample) -> None:
    client, ids = sample
    page = client.get("/").text
    assert page.index("9,000 IS fighters to be let out of Mosul") < page.index("Iraqi army moves on Havice")
    by_spread = client.get("/", params={"sort": "spread"}).text
    assert "Mosul" in by_spread


def test_web_stories_filter_by_outlet_search_and_date(sample) -> None:
    client, _ = sample
    only_rudaw = client.get("/", params={"outlet": "rudaw.example"}).text
    assert "Havice" in only_rudaw and "let out of Mosul" not in only_rudaw
    searched = client.get("/", params={"q": "mosul"}).text
    assert "let out of Mosul" in searched and "Iraqi army moves on Havice" not in searched
    late = client.get("/", params={"from": "2016-10-18"}).text
    assert "let out of Mosul" in late and "Iraqi army moves on Havice" not in late


def test_web_story_page_shows_every_section(sample) -> None:
    client, ids = sample
    page = client.get("/story/" + quote(ids["stories"][0], safe="")).text
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="provenance"' in page
    assert 'class="timeline"' in page
    # The dangerous mutation comes before the harmless one, both shown with their changes marked.
    assert page.index("attribution-removed") < page.index("number-changed")
    assert '<mark class="del">More than </mark>' in page
    # What changed, in words: the dropped source (the sentences differ only by it) and the numbers.
    assert "source dropped: a military-diplomatic source (anonymous source)" in page
    assert "figure More than 9,000 → 9,000" in page
    # Sputnik's wording of the shared claim: the words no other article's wording uses are marked.
    assert '<mark class="only-here">fighters</mark>' in page and '<mark class="only-here">Syria' not in page
    assert "a military-diplomatic source" in page and "anonymous" in page
    assert "Example Fact Check" in page and ">false<" in page and "1 after, 3 before" in page
    # The article published after the fact-check is named, not only counted.
    after = page[page.index('class="after-articles"'):][:400]
    assert f"/article/{ids['stripped']}" in after
    assert f"/pair/{ids['rt']}/{ids['copy']}" in page
    assert "not analysed yet" not in page
    # Claims in two parts, as in `newstrace trace`: told by several articles, then by one.
    assert "Told by several articles" in page and "told by several articles," in page
    # A detail inside the shared claim: the phrase, who tells it (linked) and who does not.
    detail = page[page.index('<ul class="details">'):][:1200]
    assert "<q>with their families</q>: told by" in detail
    told, missing = detail.split("not said by", 1)
    assert '<a class="outlet" href="/outlet/sputniknews.com">sputniknews.com</a>' in told
    assert "/outlet/rt.com" in missing.split("</li>")[0]
    assert "(never uses: families)" in missing.split("</li>")[0]  # the evidence, per article


def test_web_pair_page_marks_passages_on_both_sides(sample) -> None:
    client, ids = sample
    page = client.get(f"/pair/{ids['rt']}/{ids['stripped']}").text
    assert page.count('<mark class="verbatim">The jets would only strike vacated buildings</mark>') == 2
    assert '<mark class="aligned">9,000 Islamic State militants will be redeployed from Mosul to Syria</mark>' in page
    reversed_page = client.get(f"/pair/{ids['stripped']}/{ids['rt']}").text
    assert reversed_page.count('<mark class="verbatim">The jets would only strike vacated buildings</mark>') == 2


def test_web_outlet_page_counts_copies_and_stripped_attributions(sample) -> None:
    client, _ = sample
    page = client.get("/outlet/stripper.example").text
    assert 'class="copies-from"' in page and "rt.com" in page and "partial" in page
    assert "1 claim lost their attribution" in page
    assert "source dropped: a military-diplomatic source" in page
    rt = client.get("/outlet/rt.com").text
    assert 'class="copied-by"' in rt and "copysite.example" in rt


def test_web_article_page_never_links_a_javascript_url(store: Store) -> None:
    ids = build_sample(store, payload="<b>x</b>")
    client = TestClient(create_app(store.path))
    page = client.get(f"/article/{ids['rt']}").text
    assert "javascript:alert(1)" in page
    assert 'href="javascript:' not in page.lower()
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page


def test_web_article_page_shows_claims_attributions_and_factchecks(sample) -> None:
    client, ids = sample
    page = client.get(f"/article/{ids['stripped']}").text
    assert "9,000 Islamic State militants will be redeployed from Mosul to Syria" in page
    assert "published after the fact-check" in page
    rt = client.get(f"/article/{ids['rt']}").text
    assert "a military-diplomatic source" in rt and "told" in rt and "RIA Novosti" in rt


def test_web_pages_degrade_when_stages_have_not_run(store: Store) -> None:
    from newstrace.fixtures import add_articles

    (aid,) = add_articles(store, [{"title": "Only ingested", "text": "Body.", "outlet": "a.example"}])
    client = TestClient(create_app(store.path))
    home = client.get("/")
    assert home.status_code == 200 and "not analysed yet" in home.text
    article = client.get(f"/article/{aid}")
    assert article.status_code == 200 and "Only ingested" in article.text
    assert client.get("/articles").status_code == 200
    assert client.get("/outlet/a.example").status_code == 200
    assert client.get("/story/anything").status_code == 404


def test_web_bad_parameters_are_400_and_unknown_ids_404(sample) -> None:
    client, _ = sample
    for url in ("/?page=0", "/?per_page=5000", "/?from=2016-13-01", "/?sort=evil", "/articles?page=x"):
        assert client.get(url).status_code == 400, url
    for url in ("/article/nothex", "/article/0000000000000000", "/story/nope", "/outlet/none.example",
                "/pair/0000000000000000/1111111111111111"):
        assert client.get(url).status_code == 404, url


def test_web_pages_carry_a_no_script_content_security_policy(sample) -> None:
    client, _ = sample
    assert "script-src 'none'" in client.get("/").headers["content-security-policy"]


def test_web_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    from newstrace.errors import InputError

    with pytest.raises(InputError, match="No store"):
        create_app(tmp_path / "absent.db")


def test_web_seeds_render_after_segmentation(store: Store, seeds_dir: Path) -> None:
    from newstrace.config import Config
    from newstrace.fixtures import add_articles, seed_articles
    from newstrace.pipeline import StageContext
    from newstrace.segment import run as segment

    add_articles(store, seed_articles(seeds_dir), status="new")
    segment(StageContext(store, Config()))
    client = TestClient(create_app(store.path))
    listing = client.get("/articles", params={"outlet": "sputniknews.com"}).text
    assert "Iraqi Army Moves to Capture Kirkuk Town" in listing  # the second article of the page, split out
    page_id = store.scalar("SELECT id FROM articles WHERE status = 'split'")
    page = client.get(f"/article/{page_id}").text
    assert "This page was split into 2 articles" in page
    assert client.get("/outlet/rt.com").status_code == 200


def test_web_rejects_foreign_host_headers_when_restricted(store: Store) -> None:
    build_sample(store)
    app = create_app(store.path, allowed_hosts=["127.0.0.1", "localhost"])
    assert TestClient(app, base_url="http://127.0.0.1").get("/").status_code == 200
    assert TestClient(app, base_url="http://attacker.example").get("/").status_code == 400


def test_web_cited_only_outlet_earliest_article_and_counts(sample) -> None:
    """A cited-only outlet has a page (no 404 from the graph), the story's origin names and links
    the earliest article itself, and counts agree with their nouns."""
    client, ids = sample
    cited = client.get("/outlet/RIA Novosti")
    assert cited.status_code == 200 and "Cited only" in cited.text
    assert client.get("/outlet/Nobody At All").status_code == 404
    page = client.get("/story/" + quote(ids["stories"][0], safe="")).text
    origin = page[page.index("Earliest article"):][:600]
    assert "/article/" in origin
    assert "1 claim lost their attribution" in client.get("/outlet/stripper.example").text


def test_report_inlines_its_stylesheet_unescaped(store: Store, tmp_path: Path) -> None:
    from newstrace.report import write_report

    build_sample(store)
    html = write_report(store, tmp_path / "r.html").read_text("utf-8")
    style = html[html.index("<style>"):html.index("</style>")]
    assert '"Segoe UI"' in style and "&#34;" not in style


def test_web_article_lists_each_matched_fact_check_once(sample, store: Store) -> None:
    """An article and several of its claims may match one fact-check: one line, best match."""
    client, ids = sample
    claim_id = store.scalar("SELECT id FROM claims WHERE article_id = :a LIMIT 1", {"a": ids["rt"]})
    with store.transaction() as conn:
        conn.exec_driver_sql(
            "INSERT INTO factcheck_matches(factcheck_id, target_kind, target_id, story_id, query, score, rank, "
            "matched, matched_at) VALUES ('fc-1', 'article', ?, ?, 'q', 0.5, 1, 1, '2024-01-01')",
            (ids["rt"], ids["stories"][0]))
    assert claim_id is not None
    page = client.get(f"/article/{ids['rt']}").text
    assert page.count('class="factcheck"') == 1 and "published before the fact-check" in page


def test_web_story_sources_count_a_back_reference_as_its_source(sample, store: Store) -> None:
    client, ids = sample
    with store.transaction() as conn:
        conn.exec_driver_sql(
            "INSERT INTO attributions(article_id, sentence_idx, cue_start, cue_end, quote, source_text, source_kind, "
            "cue_text, source_name, resolved_from_attribution_id) VALUES (?, 0, 0, 4, 'indirect', 'he', 'anonymous', "
            "'said', 'a military-diplomatic source', (SELECT MIN(id) FROM attributions))", (ids["rt"],))
    page = client.get("/story/" + quote(ids["stories"][0], safe="")).text
    sources = page[page.index('class="sources"'):]
    sources = sources[:sources.index("</table>")]
    assert "<td>he</td>" not in sources and "a military-diplomatic source" in sources


def test_web_stories_search_reads_article_titles_and_explains_empty_pages(sample) -> None:
    client, _ = sample
    # "Havice" is in the Kirkuk story's title; "Troops enter" only in one of its articles' titles.
    found = client.get("/", params={"q": "Troops enter"}).text
    assert "Iraqi army moves on Havice" in found and "let out of Mosul" not in found
    past = client.get("/", params={"page": "9"}).text
    assert "Page 9 is past the last page" in past
    reversed_dates = client.get("/", params={"from": "2024-03-20", "to": "2024-03-01"}).text
    assert "wrong way round" in reversed_dates


def test_web_pages_have_a_skip_link_and_a_named_pair_title(sample) -> None:
    client, ids = sample
    page = client.get(f"/pair/{ids['rt']}/{ids['stripped']}").text
    assert '<a class="skip" href="#content">' in page and '<main id="content">' in page
    assert "side by side · newstrace</title>" in page and "<title>Pair" not in page


def test_web_story_who_cites_whom_leaves_out_self_citations(sample, store: Store) -> None:
    client, ids = sample
    outlet = store.scalar("SELECT outlet FROM articles WHERE id = :a", {"a": ids["rt"]})
    with store.transaction() as conn:
        conn.exec_driver_sql("INSERT INTO citations(article_id, cited_outlet) VALUES (?, ?)", (ids["rt"], outlet))
    page = client.get("/story/" + quote(ids["stories"][0], safe="")).text
    cites = page[page.index('class="citations"'):]
    cites = cites[:cites.index("</ul>")]
    assert "RIA Novosti" in cites and f"cites <b>{outlet}</b>" not in cites


def test_web_graph_shows_the_lineage_by_default() -> None:
    """With about 80 edges on a 12-article story the copy chain was buried: by default only each
    article's link to its parent (and the cited origins) is drawn; ?graph=all draws every pair."""
    from newstrace.web.svg import provenance_svg

    articles = [{"id": i, "outlet": f"o{i}", "title": f"t{i}", "published_at": f"2024-01-0{n + 1}T00:00:00+00:00"}
                for n, i in enumerate("abc")]

    def edge(src: str, dst: str, relation: str, lineage: bool, dst_kind: str = "article") -> dict:
        return {"src_kind": "article", "src": src, "dst_kind": dst_kind, "dst": dst, "relation": relation,
                "directed": 1, "evidence": '{"lineage": %s}' % ("true" if lineage else "false")}

    provenance = [edge("a", "b", "copy", True), edge("a", "c", "rewrite", True), edge("b", "c", "partial", False),
                  {**edge("a", "RIA Novosti", "cites", False, "outlet")}]
    lineage = str(provenance_svg(articles, provenance=provenance, link=lambda k, i: None, lineage_only=True))
    every = str(provenance_svg(articles, provenance=provenance, link=lambda k, i: None))
    assert lineage.count('class="edge ') == 3 and "edge-partial" not in lineage and "edge-cites" in lineage
    assert every.count('class="edge ') == 4


def test_web_articles_without_an_outlet_are_told_apart(sample, store: Store) -> None:
    """Plain-text files carry no outlet: the story page names such an article by its short id,
    linked to it, instead of one "(no outlet)" for all."""
    client, ids = sample
    with store.transaction() as conn:
        conn.exec_driver_sql("UPDATE articles SET outlet = NULL WHERE id IN (?, ?)", (ids["rt"], ids["stripped"]))
    page = client.get("/story/" + quote(ids["stories"][0], safe="")).text
    mutations = page[page.index('class="mutations"'):]
    mutations = mutations[:mutations.index("</table>")]
    assert f'href="/article/{ids["rt"]}">article {ids["rt"][:8]}</a>' in mutations
    assert f"article {ids['stripped'][:8]}" in mutations and "(no outlet)" not in mutations


def _story_page(client: TestClient, ids: dict) -> str:
    return client.get("/story/" + quote(ids["stories"][0], safe="")).text


def _between(page: str, start: str, end: str) -> str:
    part = page[page.index(start):]
    return part[:part.index(end)]


def test_web_story_members_and_citations_name_outlet_less_articles(sample, store: Store) -> None:
    """An article from a plain-text file has no outlet: the members table, the timeline and who
    cites whom name it by its short id, linked; several such articles in one row are counted,
    not shown as one outlet called "(no outlet)"."""
    client, ids = sample
    rt, copy = ids["rt"], ids["copy"]
    with store.transaction() as conn:
        conn.exec_driver_sql("UPDATE articles SET outlet = NULL WHERE id IN (?, ?)", (rt, copy))
    page = _story_page(client, ids)
    members = _between(page, 'class="members"', "</table>")
    assert f'href="/article/{rt}">article {rt[:8]}</a>' in members
    assert f'href="/article/{copy}">article {copy[:8]}</a>' in members
    assert "(no outlet)" not in members
    timeline = _between(page, 'class="timeline"', "</svg>")
    assert f"article {rt[:8]}" in timeline and f"article {copy[:8]}" in timeline and "no outlet" not in timeline
    cites = _between(page, 'class="citations"', "</ul>")
    assert "2 articles without an outlet</span> cite " in cites and "(no outlet)" not in cites
    assert "sputniknews.com</a> cites " in cites
    cited_only = client.get("/outlet/RIA Novosti").text
    citing = _between(cited_only, 'class="cited-by"', "</table>")
    assert "2 articles without an outlet" in citing and "(no outlet)" not in citing


def test_web_outlet_page_names_an_outlet_less_article_it_copies(sample, store: Store) -> None:
    client, ids = sample
    with store.transaction() as conn:
        conn.exec_driver_sql("UPDATE articles SET outlet = NULL WHERE id = ?", (ids["stripped"],))
    copied_by = _between(client.get("/outlet/rt.com").text, "Who copies it", "</table>")
    assert f'article {ids["stripped"][:8]}</a>' in copied_by and "unknown outlet" not in copied_by
    cited_only = _between(client.get("/outlet/RIA Novosti").text, 'class="cited-by"', "</table>")
    single = client.get(f"/article/{ids['rt']}").text
    assert "rt.com" in cited_only and "(no outlet)" not in single[single.index("Reuse with"):]


def test_web_untitled_articles_are_labelled_as_in_the_cli(sample, store: Store, tmp_path: Path) -> None:
    """An untitled article is called what the CLI calls it (provenance.article_label): its file's
    name, else its opening words; never a bare "(untitled)"."""
    from newstrace.provenance import article_label
    from newstrace.report import write_report

    client, ids = sample
    rt, copy = ids["rt"], ids["copy"]
    with store.transaction() as conn:
        conn.exec_driver_sql("UPDATE articles SET title = '', source = '/data/feeds/mosul-rt.txt' WHERE id = ?", (rt,))
        conn.exec_driver_sql("UPDATE articles SET title = '', source = NULL WHERE id = ?", (copy,))
    row = store.rows("SELECT id, title, source, substr(text, 1, 120) AS opening FROM articles WHERE id = :a",
                     {"a": copy})[0]
    opening_label = article_label(row)
    assert opening_label.startswith("(untitled) ") and len(opening_label) > len("(untitled) ") + 10
    story = _story_page(client, ids)
    members = _between(story, 'class="members"', "</table>")
    assert "(untitled) mosul-rt.txt" in members and opening_label in members
    assert "(untitled) mosul-rt.txt" in _between(story, "Earliest article", "</dd>")
    assert "(untitled) mosul-rt.txt" in _between(story, 'class="provenance"', "</svg>")
    pages = [story, client.get(f"/article/{rt}").text, client.get(f"/pair/{rt}/{copy}").text,
             client.get("/articles").text, client.get(f"/article/{ids['stripped']}").text,
             client.get("/outlet/rt.com").text]
    assert "(untitled) mosul-rt.txt</h1>" in pages[1]
    for page in pages:
        assert "(untitled)<" not in page and "(untitled)\"" not in page
    assert "(untitled) mosul-rt.txt" in pages[2] and opening_label in pages[2]
    report = write_report(store, tmp_path / "r.html").read_text("utf-8")
    assert "(untitled) mosul-rt.txt" in report and "(untitled)<" not in report


def test_web_cited_outlet_spellings_are_one_outlet(sample, store: Store) -> None:
    """'The Maren Herald' (as an article cites it) and 'Maren Herald' (the articles' outlet) are one
    outlet: one name in who cites whom and the origin, one graph node, one outlet page."""
    client, ids = sample
    story = ids["stories"][0]
    with store.transaction() as conn:
        conn.exec_driver_sql("UPDATE articles SET outlet = 'Maren Herald' WHERE id = ?", (ids["stripped"],))
        conn.exec_driver_sql("INSERT INTO citations(article_id, cited_outlet) VALUES (?, 'The Maren Herald'), "
                             "(?, 'Maren Herald'), (?, 'RIA-Novosti')", (ids["sputnik"], ids["rt"], ids["stripped"]))
        for src, dst in ((ids["sputnik"], "The Maren Herald"), (ids["rt"], "Maren Herald")):
            conn.exec_driver_sql(
                "INSERT INTO provenance_edges(story_id, src_kind, src, dst_kind, dst, relation, directed, weight, "
                "evidence) VALUES (?, 'article', ?, 'outlet', ?, 'cites', 1, 1.0, '{}')", (story, src, dst))
        conn.exec_driver_sql("UPDATE story_origins SET via_outlet = 'The Maren Herald' WHERE story_id = ?", (story,))
        conn.exec_driver_sql(
            "INSERT INTO attributions(article_id, sentence_idx, cue_start, cue_end, quote, source_text, source_kind, "
            "cue_text, cited_outlet) VALUES (?, 0, 0, 4, 'indirect', 'The Maren Herald', 'outlet', 'reported', "
            "'The Maren Herald')", (ids["copy"],))
    page = _story_page(client, ids)
    assert "The Maren Herald" not in page
    assert "<td>Maren Herald</td>" in _between(page, 'class="sources"', "</table>")
    cites = _between(page, 'class="citations"', "</ul>")
    assert cites.count('cites <a class="outlet" href="/outlet/Maren%20Herald"') == 2  # by rt.com and sputniknews.com
    assert "RIA-Novosti" not in cites
    assert 'via <a class="outlet" href="/outlet/Maren%20Herald">' in page
    graph = _between(page, 'class="provenance"', "</svg>")
    assert graph.count("<title>outlet: Maren Herald</title>") == 1
    assert graph.count("<title>outlet: RIA Novosti</title>") == 1
    same = client.get("/outlet/The Maren Herald")
    assert same.status_code == 200 and '<h1 class="outlet-title">Maren Herald</h1>' in same.text
    ria = client.get("/outlet/RIA-Novosti").text
    assert '<h1 class="outlet-title">RIA Novosti</h1>' in ria and "4 articles cite it" in ria
    assert "RIA-Novosti" not in client.get(f"/article/{ids['stripped']}").text


def test_web_story_sources_leave_out_unresolved_relative_pronouns(sample, store: Store) -> None:
    """'the report, which said': an unresolved "which" is no source; it is counted, not listed."""
    client, ids = sample
    with store.transaction() as conn:
        for article in (ids["rt"], ids["sputnik"]):
            conn.exec_driver_sql(
                "INSERT INTO attributions(article_id, sentence_idx, cue_start, cue_end, quote, source_text, "
                "source_kind, cue_text) VALUES (?, 0, 0, 4, 'indirect', 'which', 'none', 'cited')", (article,))
        # Resolved by the attribution stage (its antecedent as source_name): shown by that name.
        conn.exec_driver_sql(
            "INSERT INTO attributions(article_id, sentence_idx, cue_start, cue_end, quote, source_text, "
            "source_kind, cue_text, source_name) VALUES (?, 0, 0, 4, 'indirect', 'which', 'outlet', 'cited', "
            "'Nordmere News Agency')", (ids["copy"],))
    page = _story_page(client, ids)
    sources = _between(page, 'class="sources"', "</table>")
    assert "<td>which</td>" not in sources and "a military-diplomatic source" in sources
    assert "<td>Nordmere News Agency</td>" in sources
    assert "Not listed: 2 × “which”" in page


def test_web_graph_labels_fit_their_boxes_and_keep_the_full_name() -> None:
    """Node labels are measured and shortened to their box (the full name in the tooltip); the
    text stays escaped."""
    from xml.etree import ElementTree

    from newstrace.web.svg import NODE_PAD, SUB_PX, TITLE_PX, provenance_svg, text_width, timeline_svg

    long_outlet = "Nordmere News Agency International Wire <b>&"
    articles = [{"id": "a" * 16, "outlet": long_outlet, "title": "t", "published_at": "2024-03-11T07:15:00+00:00"},
                {"id": "b" * 16, "outlet": "WWWWWWWWWWWWWWWWWWWW", "title": "t2",
                 "published_at": "2024-03-12T07:15:00+00:00"},
                {"id": "c" * 16, "outlet": None, "title": "An untitled-looking very long headline about Mosul",
                 "published_at": None}]
    source = "a source in the Maren Port Authority who spoke on condition of anonymity"
    provenance = [{"src_kind": "article", "src": "a" * 16, "dst_kind": "source", "dst": source, "relation": "cites",
                   "directed": 1, "evidence": "{}"}]
    ns = "{http://www.w3.org/2000/svg}"
    graph = ElementTree.fromstring(str(provenance_svg(articles, provenance=provenance, link=lambda k, i: None)))
    view_w = float(graph.get("viewBox", "").split()[2])
    fonts = {"node-title": TITLE_PX, "node-sub": SUB_PX, "layer-label": SUB_PX}
    nodes = graph.findall(f"{ns}g")
    assert len(nodes) == 4
    for g in nodes:
        rect = g.find(f"{ns}rect")
        assert rect is not None
        right = float(rect.get("x", 0)) + float(rect.get("width", 0)) - NODE_PAD
        for t in g.findall(f"{ns}text"):
            assert float(t.get("x", 0)) + text_width(t.text or "", fonts[t.get("class", "")]) <= right, t.text
    for t in graph.iter(f"{ns}text"):
        assert float(t.get("x", 0)) + text_width(t.text or "", fonts[t.get("class", "")]) <= view_w, t.text
    tooltips = [t.text for t in graph.iter(f"{ns}title")]
    assert f"{long_outlet}: t (2024-03-11 07:15)" in tooltips and f"source: {source}" in tooltips
    titles = [t.text or "" for t in graph.iter(f"{ns}text") if t.get("class") == "node-title"]
    assert any(x.startswith("Nordmere News") and x.endswith("…") for x in titles)

    timeline = ElementTree.fromstring(str(timeline_svg(articles, link=lambda k, i: None)))
    for t in timeline.iter(f"{ns}text"):
        if t.get("text-anchor") == "end" and t.get("class") == "outlet":
            shown = "".join(t.itertext()).replace(t.findtext(f"{ns}title") or "", "", 1)
            assert float(t.get("x", 0)) - text_width(shown, 12) >= 0, shown
    assert long_outlet in [t.text for t in timeline.iter(f"{ns}title")]
