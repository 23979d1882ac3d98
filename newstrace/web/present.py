"""Presentation shared by the web UI and the offline report: the Jinja2 environment (autoescape
on for every template), link building, safe external hrefs, and word-level diffs.

Article fields are untrusted: they reach the page only through Jinja2's escaping, and a URL
from an article becomes a link only when it is plain http(s) — a ``javascript:`` or ``data:``
URL is shown as text, never made clickable.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from importlib import resources
from typing import Any
from urllib.parse import quote, urlsplit

import jinja2
from markupsafe import Markup

from . import svg
from .names import label

_WORD = re.compile(r"\S+|\s+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def safe_href(url: Any) -> str | None:
    """``url`` if it is an absolute http(s) URL with a host, else None (shown as text only)."""
    if not isinstance(url, str) or _CONTROL.search(url.strip()):
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def anchor(kind: str, ident: str) -> str:
    """A stable HTML id for an item of the report (ids from the store may hold any character)."""
    return f"{kind}-{hashlib.sha1(str(ident).encode('utf-8')).hexdigest()[:12]}"


class WebLinks:
    """Links between the pages of the web UI."""

    inline = False

    def story(self, story_id: Any) -> str:
        return "/story/" + quote(str(story_id), safe="")

    def article(self, article_id: Any) -> str:
        return "/article/" + quote(str(article_id), safe="")

    def pair(self, a_id: Any, b_id: Any) -> str:
        return f"/pair/{quote(str(a_id), safe='')}/{quote(str(b_id), safe='')}"

    def outlet(self, name: Any) -> str:
        return "/outlet/" + quote(str(name), safe="")

    def stories(self) -> str:
        return "/"

    def node(self, kind: str, ident: str) -> str | None:
        if kind == "article":
            return self.article(ident)
        if kind == "outlet":
            return self.outlet(ident)
        return None


class ReportLinks(WebLinks):
    """Links inside the single-file report: anchors to the sections it contains, or None."""

    inline = True

    def __init__(self, stories: set[str], articles: set[str], pairs: set[tuple[str, str]],
                 outlets: set[str]) -> None:
        self._stories, self._articles, self._pairs, self._outlets = stories, articles, pairs, outlets

    def story(self, story_id: Any) -> str:
        return "#" + anchor("story", story_id) if str(story_id) in self._stories else ""

    def article(self, article_id: Any) -> str:
        return "#" + anchor("article", article_id) if str(article_id) in self._articles else ""

    def pair(self, a_id: Any, b_id: Any) -> str:
        for key in ((str(a_id), str(b_id)), (str(b_id), str(a_id))):
            if key in self._pairs:
                return "#" + anchor("pair", "/".join(key))
        return ""

    def outlet(self, name: Any) -> str:
        return "#" + anchor("outlet", name) if str(name) in self._outlets else ""

    def stories(self) -> str:
        return "#stories"

    def node(self, kind: str, ident: str) -> str | None:
        return super().node(kind, ident) or None


def counted(value: Any, word: str, plural: str | None = None) -> str:
    """ "1 article", "3 articles", "1 story", "2 stories": a count with its noun in number."""
    n = 0 if value is None else value
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def word_diff(before: str | None, after: str | None) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    """Both texts cut into (piece, changed) runs at word level, for highlighting a mutation."""
    a = _WORD.findall(before or "")
    b = _WORD.findall(after or "")
    out_a: list[tuple[str, bool]] = []
    out_b: list[tuple[str, bool]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        changed = tag != "equal"
        if i2 > i1:
            out_a.append(("".join(a[i1:i2]), changed and not "".join(a[i1:i2]).isspace()))
        if j2 > j1:
            out_b.append(("".join(b[j1:j2]), changed and not "".join(b[j1:j2]).isspace()))
    return out_a, out_b


def when(ts: Any) -> str:
    """An ISO time as the UI shows it: 2016-10-17 09:30 UTC, or 'time unknown'."""
    if not ts:
        return "time unknown"
    text = str(ts)
    if len(text) >= 16 and text[10] == "T":
        suffix = " UTC" if text.endswith(("+00:00", "Z")) else ""
        return text[:10] + " " + text[11:16] + suffix
    return text


def css_text() -> str:
    return resources.files("newstrace.web").joinpath("static/style.css").read_text("utf-8")


def environment() -> jinja2.Environment:
    """The template environment. Autoescape is on for every template, whatever its name."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("newstrace.web", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["n"] = counted
    env.filters["when"] = when
    env.filters["pct"] = lambda x: "–" if x is None else f"{100 * float(x):.0f}%"
    env.filters["num"] = lambda x: "–" if x is None else (f"{x:.2f}" if isinstance(x, float) else str(x))
    env.globals["safe_href"] = safe_href
    env.globals["anchor"] = anchor
    env.globals["word_diff"] = word_diff
    env.globals["provenance_svg"] = svg.provenance_svg
    env.globals["timeline_svg"] = svg.timeline_svg
    env.globals["Markup"] = Markup
    env.globals["article_label"] = label
    return env
