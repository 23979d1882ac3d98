"""Benchmark of the segment stage on pages built from BASIL articles.

Each page concatenates 1-3 BASIL articles, rendered as the seeds are (title line, blank line,
paragraphs separated by blank lines), and is handed to ``segment_text`` as the plain-text reader
would: the first line as title, the rest as text. Two page mixtures, fixed seed:

- random: the articles of a page are drawn from the whole split (mostly different stories);
- random-untitled: the same, but the page arrives with no title (its first line in the text);
- random-untitled: as random, but the page arrives with no title (its first line in the text);
- same-event: the articles of a page are the Fox / NYT / HuffPost tellings of one event, the
  hard case (same names and topic words on both sides of the boundary), like the seed page.

Figures: precision and recall of boundaries (a predicted boundary counts when it starts inside
the true title line of the next article), exact-page accuracy (all boundaries right and none
extra), the share of found parts whose title is exactly the true title, and pages/s beside the
sentence splitter of the ``sentences`` stage as baseline. The rules were developed on the events
of 2010-2014 (reported as "dev"); the figures to quote are those on 2015-2019 ("test").

    python bench/segment.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newstrace.config import Config
from newstrace.fixtures import add_articles
from newstrace.pipeline import StageContext
from newstrace.segment import run as segment_run
from newstrace.segment import segment_text
from newstrace.sentences import run as sentences_run
from newstrace.sentences import split_sentences
from newstrace.store import Store

BASIL = Path(__file__).resolve().parents[2] / "shared" / "data" / "basil" / "articles"
POLNEAR = BASIL.parents[1] / "polnear"
DEV_YEARS = range(2010, 2015)
TEST_YEARS = range(2015, 2020)
SEED = 20161017


@dataclass(frozen=True)
class Page:
    title: str
    text: str
    boundaries: tuple[tuple[int, int], ...]  # (start, end) of each further article's title line
    titles: tuple[str, ...]


def load_articles(years: range) -> list[dict[str, Any]]:
    out = []
    for year in years:
        for path in sorted((BASIL / str(year)).glob("*.json")):
            data = json.loads(path.read_text("utf-8"))
            paragraphs = [" ".join(s.strip() for s in para if s.strip()) for para in data["body-paragraphs"]]
            if not data["title"].strip() or not any(paragraphs):
                continue  # one BASIL article has no title: it could not be told apart by one
            out.append({
                "title": " ".join(data["title"].split()),
                "paragraphs": [p for p in paragraphs if p],
                "event": data["triplet-uuid"],
            })
    return out


def build_page(articles: list[dict[str, Any]], *, title_given: bool = True) -> Page:
    """Render articles as one page; the first line becomes the page title, as ingest reads it
    (or, with ``title_given=False``, the page arrives untitled with its first line in the text)."""
    first, rest = articles[0], articles[1:]
    text = "\n\n".join(first["paragraphs"])
    if not title_given:
        text = first["title"] + "\n\n" + text
    boundaries = []
    for article in rest:
        text += "\n\n"
        boundaries.append((len(text), len(text) + len(article["title"])))
        text += article["title"] + "\n\n" + "\n\n".join(article["paragraphs"])
    return Page(first["title"] if title_given else "", text, tuple(boundaries), tuple(a["title"] for a in articles))


def build_pages(articles: list[dict[str, Any]], n_pages: int, mixture: str, seed: int = SEED) -> list[Page]:
    rng = random.Random(seed)
    by_event: dict[str, list[dict[str, Any]]] = {}
    for a in articles:
        by_event.setdefault(a["event"], []).append(a)
    events = sorted(by_event)
    pages = []
    for _ in range(n_pages):
        k = rng.choices((1, 2, 3), weights=(5, 3, 2))[0]
        if mixture.startswith("same-event"):
            pool = by_event[rng.choice(events)]
            chosen = rng.sample(pool, min(k, len(pool)))
        else:
            chosen = rng.sample(articles, k)
        pages.append(build_page(chosen, title_given=not mixture.endswith("untitled")))
    return pages


def evaluate(pages: list[Page]) -> dict[str, float]:
    true_total = pred_total = hits = exact = title_hits = parts_checked = 0
    for page in pages:
        segments = segment_text(page.title, page.text)
        predicted = [s.start for s in segments[1:]]
        matched = 0
        for start, end in page.boundaries:
            found = [i for i, p in enumerate(predicted) if start <= p < end]
            if found:
                matched += 1
                parts_checked += 1
                if segments[found[0] + 1].title == page.titles[page.boundaries.index((start, end)) + 1]:
                    title_hits += 1
        if not page.title and len(segments) > 1:
            parts_checked += 1  # an untitled page: its first part's title is read from the text
            title_hits += segments[0].title == page.titles[0]
        true_total += len(page.boundaries)
        pred_total += len(predicted)
        hits += matched
        exact += int(matched == len(page.boundaries) == len(predicted))
    return {
        "pages": len(pages),
        "multi": sum(1 for p in pages if p.boundaries),
        "precision": hits / pred_total if pred_total else 1.0,
        "recall": hits / true_total if true_total else 1.0,
        "exact": exact / len(pages),
        "title_exact": title_hits / parts_checked if parts_checked else 0.0,
        "true": true_total,
        "predicted": pred_total,
    }


def false_splits(folder: Path) -> tuple[int, int]:
    """Single articles (PolNeAR texts: first line the title) that segment_text splits."""
    paths = sorted(folder.glob("*.txt"))
    split = 0
    for path in paths:
        title, _, text = path.read_text("utf-8").partition("\n")
        split += len(segment_text(title, text)) > 1
    return split, len(paths)


def speed(pages: list[Page], runs: int = 3) -> tuple[float, float]:
    """Median pages/s of segment_text and of the baseline sentence splitter over the same pages."""
    def rate(fn: Any) -> float:
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            for page in pages:
                fn(page)
            times.append(time.perf_counter() - t0)
        return len(pages) / statistics.median(times)

    return rate(lambda p: segment_text(p.title, p.text)), rate(lambda p: split_sentences(p.text))


def stage_speed(pages: list[Page], runs: int = 3) -> tuple[float, float]:
    """Median pages/s of the whole segment stage on a fresh temp store (read, decide, write),
    and of the sentences stage on the articles it leaves live, as baseline."""
    seg_rates, sent_rates = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            store = Store.open(Path(folder) / "bench.db")
            add_articles(store, [{"title": p.title, "text": p.text, "url": f"https://example.org/{n}"}
                                 for n, p in enumerate(pages)], status="new")
            ctx = StageContext(store, Config())
            t0 = time.perf_counter()
            segment_run(ctx)
            seg_rates.append(len(pages) / (time.perf_counter() - t0))
            live = int(store.scalar("SELECT COUNT(*) FROM articles WHERE status = 'live'"))
            t0 = time.perf_counter()
            sentences_run(ctx)
            sent_rates.append(live / (time.perf_counter() - t0))
            store.close()
    return statistics.median(seg_rates), statistics.median(sent_rates)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer pages (about 10 s)")
    args = parser.parse_args(argv)
    if not BASIL.is_dir():
        print(f"BASIL is not at {BASIL}: check out ../shared beside the repo. Skipping.")
        return 0
    n_pages = 200 if args.quick else 1000
    print(f"segment benchmark: {n_pages} pages per row, 1-3 BASIL articles per page (weights 5:3:2), "
          f"seed {SEED}; shared 2-core machine")
    print("rules developed on 2010-2014 (dev); quote the 2015-2019 (test) rows")
    header = f"{'split':<16}{'mixture':<17}{'pages':>6}{'multi':>6}{'P':>7}{'R':>7}{'exact':>7}{'title':>7}"
    print(header)
    print("(untitled: the page arrives with title '' and its first title line in the text)")
    test_pages: list[Page] = []
    for label, years in (("dev 2010-2014", DEV_YEARS), ("test 2015-2019", TEST_YEARS)):
        articles = load_articles(years)
        for mixture in ("random", "random-untitled", "same-event"):
            pages = build_pages(articles, n_pages, mixture)
            if label.startswith("test") and mixture == "random":
                test_pages = pages
            r = evaluate(pages)
            print(f"{label:<16}{mixture:<17}{r['pages']:>6}{r['multi']:>6}{r['precision']:>7.3f}"
                  f"{r['recall']:>7.3f}{r['exact']:>7.3f}{r['title_exact']:>7.3f}")
    print("false splits of single articles (PolNeAR; rules checked on train, dev held out):")
    for split in ("train", "dev"):
        folder = POLNEAR / split / "text"
        if folder.is_dir():
            n_split, n_docs = false_splits(folder)
            print(f"  polnear {split:<6}{n_split:>4} of {n_docs} articles split ({n_split / n_docs:.1%})")
    seg_rate, base_rate = speed(test_pages[: 300 if args.quick else 1000])
    print(f"speed (median of 3, test random pages): segment_text {seg_rate:,.0f} pages/s; "
          f"baseline blingfire split_sentences {base_rate:,.0f} pages/s")
    stage_rate, sentences_rate = stage_speed(test_pages[: 300 if args.quick else 1000])
    print(f"stage speed (median of 3, temp SQLite store, same pages): segment stage {stage_rate:,.0f} pages/s; "
          f"baseline sentences stage {sentences_rate:,.0f} articles/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
