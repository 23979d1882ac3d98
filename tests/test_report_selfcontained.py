"""The offline report: one file, no external reference, every internal link resolves."""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
import pytest

from newstrace.errors import InputError
from newstrace.fixtures import add_articles
from newstrace.report import write_report
from newstrace.store import Store
from newstrace.web.sample import build_sample


def _links(html: str) -> tuple[list[str], set[str]]:
    doc = lxml.html.fromstring(html)
    refs = [v for el in doc.iter() for k, v in el.attrib.items() if k in ("href", "src", "xlink:href", "action")]
    ids = {el.get("id") for el in doc.iter() if el.get("id")}
    return refs, ids


def test_report_has_no_external_reference_and_links_resolve(store: Store, tmp_path: Path) -> None:
    build_sample(store)
    out = write_report(store, tmp_path / "report.html")
    html = out.read_text("utf-8")
    refs, ids = _links(html)
    assert refs, "the report should link its sections"
    assert not [r for r in refs if re.match(r"(?i)\s*(https?:)?//", r)]
    assert all(r.startswith("#") for r in refs), [r for r in refs if not r.startswith("#")]
    assert {r[1:] for r in refs} <= ids
    assert "<script" not in html.lower() and "<link" not in html.lower() and "@import" not in html
    # The story, its graph and its evidence are all in the one file; URLs are shown as text.
    assert "9,000 IS fighters to be let out of Mosul" in html and 'class="provenance"' in html
    assert "attribution-removed" in html and '<mark class="verbatim">' in html
    assert "https://www.rt.com/news/362797-mosul-isis-syria/" in html


def test_report_before_analysis_lists_articles_and_says_what_is_missing(store: Store, tmp_path: Path) -> None:
    add_articles(store, [{"title": "Plain article", "text": "Text.", "outlet": "a.example",
                          "url": "https://a.example/x"}])
    html = write_report(store, tmp_path / "r.html").read_text("utf-8")
    assert "Plain article" in html and "not analysed yet" in html


def test_report_refuses_a_missing_folder(store: Store, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        write_report(store, tmp_path / "no" / "such" / "r.html")
