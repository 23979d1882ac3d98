"""The offline HTML report: one self-contained file that opens with no network.

It renders the web UI's own templates (so the report and the UI never disagree) for the
largest stories, their article pairs, outlets and articles, with the stylesheet inlined, no
script, and links only to anchors inside the file. URLs from articles and fact-checks are
shown as text, never as links, so opening the report contacts no host.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from .errors import InputError
from .store import Store, utcnow
from .web.present import ReportLinks, css_text, environment
from .web.queries import ListFilters, Section, StoreView

DEFAULT_MAX_STORIES = 50
MAX_ARTICLES = 1000
MAX_PAIRS = 300


def render_report(view: StoreView, *, max_stories: int = DEFAULT_MAX_STORIES, store_name: str = "") -> str:
    """The report as one HTML string."""
    if max_stories < 0:
        raise InputError("--stories must be 0 or more.")
    with view.session() as r:
        overview = r.overview()
        stories, total = r.stories(ListFilters(sort="size", per_page=max(max_stories, 1)))
        if max_stories == 0:
            stories = Section([], stories.note)
        story_details = [d for s in stories.rows if (d := r.story(s["id"])) is not None]
        article_ids: list[str] = []
        pair_keys: list[tuple[str, str]] = []
        for d in story_details:
            article_ids.extend(a["id"] for a in d["articles"])
            pair_keys.extend((p["a_id"], p["b_id"]) for p in d["pairs"].rows)
        if not stories.available:
            latest, _ = r.articles(ListFilters(sort="recent", per_page=200))
            article_ids = [a["id"] for a in latest]
        article_ids = list(dict.fromkeys(article_ids))[:MAX_ARTICLES]
        pair_keys = list(dict.fromkeys(pair_keys))[:MAX_PAIRS]
        article_details = [d for a in article_ids if (d := r.article(a)) is not None]
        pair_details = []
        for a_id, b_id in pair_keys:
            pair = r.pair(a_id, b_id)
            if pair is not None:
                pair["key"] = f"{a_id}/{b_id}"
                pair_details.append(pair)
        outlet_names = list(dict.fromkeys(d["article"]["outlet"] for d in article_details if d["article"]["outlet"]))
        outlet_details = [d for name in outlet_names if (d := r.outlet(name)) is not None]
        outlets = r.outlets()
    links = ReportLinks(
        stories={str(d["story"]["id"]) for d in story_details},
        articles={d["article"]["id"] for d in article_details},
        pairs=set(pair_keys),
        outlets={d["name"] for d in outlet_details},
    )
    context: dict[str, Any] = {
        "links": links, "inline_css": css_text(), "overview": overview, "stories": stories,
        "omitted_stories": max(0, total - len(stories.rows)) if stories.available else 0,
        "story_details": story_details, "article_details": article_details, "pair_details": pair_details,
        "outlet_details": outlet_details, "outlets": outlets, "written_at": utcnow(), "store_name": store_name,
    }
    return environment().get_template("report.html").render(**context)


def write_report(store: Store, path: str | Path, *, max_stories: int = DEFAULT_MAX_STORIES) -> Path:
    """Write the report of ``store`` to ``path`` (atomically); return the path written."""
    if not store.path or store.path == ":memory:":
        raise InputError("The report reads a store file; an in-memory store cannot be reported. Pass --db FILE.")
    target = Path(path)
    if not target.parent.exists():
        raise InputError(f"Cannot write {str(target)!r}: the folder {str(target.parent)!r} does not exist.")
    html = render_report(StoreView(store.path), max_stories=max_stories, store_name=Path(store.path).name)
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".html", dir=str(target.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(html)
        # mkstemp makes the file private (0600); the report gets the mode any new file would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
