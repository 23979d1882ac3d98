"""The UI in a real browser: headless Chromium (Debian's /usr/bin/chromium) driven by Playwright.

Visits every page, clicks from the story list through a story to a pair view, checks what is
shown, and takes the README's screenshots (written to docs/screenshots when
NEWSTRACE_SCREENSHOTS=1). The XSS tests seed every text field with script payloads and assert
that no dialog fires, no injected element exists and the payload is shown as text, in the UI
and in the offline report.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from newstrace.report import write_report
from newstrace.store import Store
from newstrace.web.app import create_app
from newstrace.web.sample import XSS_PAYLOADS, build_sample
from newstrace.web.server import background_server

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's chromium package to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _store(tmp_path_factory: pytest.TempPathFactory, payload: str | None) -> tuple[Path, dict]:
    path = tmp_path_factory.mktemp("browser") / "ui.db"
    store = Store.open(path)
    ids = build_sample(store, payload=payload)
    store.close()
    return path, ids


def _pages(ids: dict) -> dict[str, str]:
    x = ids["payload"]
    return {
        "stories": "/", "articles": "/articles", "outlets": "/outlets",
        "story": "/story/" + quote(ids["stories"][0], safe=""),
        "story-kirkuk": "/story/" + quote(ids["stories"][1], safe=""),
        "article": f"/article/{ids['rt']}", "article-stripped": f"/article/{ids['stripped']}",
        "pair": f"/pair/{ids['rt']}/{ids['stripped']}",
        "outlet": "/outlet/" + quote("stripper.example" + x, safe=""),
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict]]:
    path, ids = _store(tmp_path_factory, None)
    with background_server(create_app(path)) as base:
        yield base, ids


def _shoot(page: object, name: str, tmp: Path, *, full_page: bool = True) -> None:
    target = SCREENSHOTS if os.environ.get("NEWSTRACE_SCREENSHOTS") == "1" else tmp
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / f"{name}.png"), full_page=full_page)  # type: ignore[attr-defined]


def test_browser_every_page_renders_its_content(browser, site, tmp_path: Path) -> None:
    base, ids = site
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    expected = {
        "stories": "Stories", "articles": "Articles", "outlets": "Outlets",
        "story": "9,000 IS fighters to be let out of Mosul", "story-kirkuk": "Iraqi army moves on Havice",
        "article": "US, Saudis to grant 9,000 ISIS fighters free passage from Mosul to Syria",
        "article-stripped": "9,000 ISIS fighters to leave Mosul for Syria",
        "pair": "Side by side", "outlet": "stripper.example",
    }
    for name, url in _pages(ids).items():
        response = page.goto(base + url)
        assert response is not None and response.status == 200, name
        assert page.inner_text("h1") == expected[name], name
        assert "Internal Server Error" not in page.content()
    page.goto(base + _pages(ids)["story"])
    assert page.locator("svg.provenance g.node").count() == 6  # 4 articles, RIA Novosti, the source
    assert page.locator("svg.timeline circle.pub").count() == 4
    assert page.locator("tr.mutation.dangerous").first.inner_text().startswith("dangerous")
    assert page.locator("tr.factcheck .verdict").inner_text().lower() == "false"
    assert errors == [], errors  # includes Content-Security-Policy violations


def test_browser_pages_fit_a_phone_screen(browser, site) -> None:
    """At 390 px, wide graphics and tables scroll in their own box: the page itself never
    scrolls sideways."""
    base, ids = site
    page = browser.new_page(viewport={"width": 390, "height": 800})
    for name, url in _pages(ids).items():
        page.goto(base + url)
        assert page.evaluate("document.scrollingElement.scrollWidth") <= 390, name


def test_browser_clicks_from_story_list_to_pair_view(browser, site, tmp_path: Path) -> None:
    base, ids = site
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(base + "/")
    _shoot(page, "stories", tmp_path)
    page.get_by_role("link", name="9,000 IS fighters to be let out of Mosul").click()
    page.wait_for_url("**/story/*")
    assert page.inner_text("h1") == "9,000 IS fighters to be let out of Mosul"
    _shoot(page, "story", tmp_path)
    page.locator("tr.pair-row.relation-partial a.pair-link").click()
    page.wait_for_url("**/pair/**")
    assert page.inner_text("h1") == "Side by side"
    verbatim = page.locator(".side mark.verbatim")
    assert verbatim.count() == 2 and verbatim.first.is_visible()
    assert verbatim.nth(0).inner_text() == verbatim.nth(1).inner_text() == "The jets would only strike vacated buildings"
    _shoot(page, "pair", tmp_path)
    page.locator(".side").nth(1).locator("a.outlet").click()
    page.wait_for_url("**/outlet/**")
    assert page.inner_text("h1") == "stripper.example"
    _shoot(page, "outlet", tmp_path)


def test_browser_report_opens_with_no_network(browser, tmp_path: Path, tmp_path_factory) -> None:
    path, _ = _store(tmp_path_factory, None)
    store = Store.open(path)
    report = write_report(store, tmp_path / "report.html")
    store.close()
    page = browser.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(report.as_uri())
    assert page.inner_text("h1") == "newstrace report"
    assert page.locator("svg.provenance").count() == 2  # both stories
    assert [u for u in requests if not u.startswith("file:")] == []


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_browser_script_payloads_are_shown_as_text(browser, tmp_path_factory, tmp_path: Path, payload: str) -> None:
    path, ids = _store(tmp_path_factory, payload)
    dialogs: list[str] = []
    page = browser.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    with background_server(create_app(path)) as base:
        for name, url in _pages(ids).items():
            response = page.goto(base + url)
            assert response is not None and response.status == 200, (name, payload)
            _assert_inert(page, payload, name)
    store = Store.open(path)
    report = write_report(store, tmp_path / "report.html")
    store.close()
    page.goto(report.as_uri())
    _assert_inert(page, payload, "report")
    assert dialogs == []


def _assert_inert(page: object, payload: str, name: str) -> None:
    page.mouse.move(200, 300)  # type: ignore[attr-defined]  # would trigger onmouseover payloads
    assert payload in page.inner_text("body"), name  # type: ignore[attr-defined]
    injected = page.evaluate(  # type: ignore[attr-defined]
        """() => ({
            scripts: document.querySelectorAll('script').length,
            handlers: [...document.querySelectorAll('*')].filter(
                el => [...el.attributes].some(a => a.name.startsWith('on'))).length,
            imgs: document.querySelectorAll('img').length,
            jsLinks: [...document.querySelectorAll('a[href]')].filter(
                a => a.getAttribute('href').trim().toLowerCase().startsWith('javascript:')).length,
        })""")
    assert injected == {"scripts": 0, "handlers": 0, "imgs": 0, "jsLinks": 0}, (name, injected)


_TEXT_OVERFLOW = """() => {
    const out = [];
    for (const svg of document.querySelectorAll('svg.provenance, svg.timeline')) {
        const vb = svg.viewBox.baseVal;
        for (const t of svg.querySelectorAll('text')) {
            const b = t.getBBox();
            if (b.x < vb.x - 0.5 || b.x + b.width > vb.x + vb.width + 0.5) out.push(['canvas', t.textContent]);
        }
        for (const g of svg.querySelectorAll('g.node')) {
            const r = g.querySelector('rect').getBBox();
            for (const t of g.querySelectorAll('text')) {
                const b = t.getBBox();
                if (b.x < r.x || b.x + b.width > r.x + r.width) out.push(['box', t.textContent]);
            }
        }
    }
    return out;
}"""


def test_browser_graph_labels_fit_their_boxes(browser, tmp_path_factory) -> None:
    """Long outlet and source names, as rendered by Chromium: no label passes its node's box or
    the picture's edge, and the full name is in the node's tooltip."""
    path, ids = _store(tmp_path_factory, None)
    store = Store.open(path)
    long_names = {"rt": "Nordmere News Agency International", "sputnik": "Maren Port Authority Bulletin"}
    with store.transaction() as conn:
        for key, name in long_names.items():
            conn.exec_driver_sql("UPDATE articles SET outlet = ? WHERE id = ?", (name, ids[key]))
    store.close()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    with background_server(create_app(path)) as base:
        page.goto(base + "/story/" + quote(ids["stories"][0], safe=""))
        assert page.locator("svg.provenance g.node").count() == 6
        assert page.evaluate(_TEXT_OVERFLOW) == []
        tooltips = page.evaluate("[...document.querySelectorAll('svg.provenance g.node > title')].map(t => t.textContent)")
        for name in long_names.values():
            assert any(t.startswith(name + ": ") for t in tooltips), (name, tooltips)
        assert "source: a military-diplomatic source" in tooltips


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory, examples_dir: Path) -> Iterator[str]:
    from newstrace.demo import run_demo

    path = tmp_path_factory.mktemp("demo-ui") / "demo.db"
    run_demo(path, examples_dir)
    with background_server(create_app(path)) as base:
        yield base


@pytest.mark.slow
def test_browser_demo_corpus_story_shows_every_section(browser, demo_site: str, tmp_path: Path) -> None:
    """The real pipeline's output on the demo corpus, not a hand-built store."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(demo_site + "/")
    _shoot(page, "demo-stories", tmp_path, full_page=False)
    page.get_by_role("link", name="Port Maren to ship thousands of waste containers to Sildovia before "
                                   "terminal closure - source").first.click()
    page.wait_for_url("**/story/*")
    assert page.locator("svg.provenance g.node").count() >= 12  # 12 articles, plus cited outlets and sources
    assert page.evaluate(_TEXT_OVERFLOW) == []
    assert page.locator("svg.timeline circle.pub").count() >= 10
    dangerous = page.locator("tr.mutation.dangerous")
    assert dangerous.count() >= 3
    assert "Patriot Dispatch" in page.locator("section").filter(has=dangerous.first).inner_text()
    assert page.locator("tr.factcheck .verdict").first.inner_text().lower() == "false"
    assert "anonymous" in page.content()
    _shoot(page, "demo-story", tmp_path, full_page=False)
    page.locator("tr.mutation.dangerous").first.scroll_into_view_if_needed()
    _shoot(page, "demo-mutations", tmp_path, full_page=False)
    page.locator("tr.pair-row.relation-copy a.pair-link").first.click()
    page.wait_for_url("**/pair/**")
    assert page.locator(".side mark").count() >= 2
    _shoot(page, "demo-pair", tmp_path, full_page=False)
    assert errors == [], errors
