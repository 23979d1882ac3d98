"""Quality of the reuse stage's relations on a generated corpus with planted reuse, built from
real text in ../shared/data, split so that constants are never tuned on the reported split.

    python bench/reuse_quality.py [--split dev|test] [--quick]

Corpus for one split (BASIL events sorted by id: dev = first 50 events, test = last 50;
AllSides: dev = train.source, test = val.source):
- same-event: BASIL's three outlets' reports of one event (independent reporting);
- copy: one BASIL article reposted with a new first line, its last paragraph dropped and a few
  words changed (and, by construction, same-event with the other two outlets);
- partial: two or three paragraphs of a BASIL article pasted into an article of another event
  (the page is then a copy of that host article and same-event with its siblings; pairs of
  the page with the pasted article's siblings are not scored);
- rewrite: the title+leads of six AllSides stories as told by one outlet, against the same six
  stories told by another outlet. AllSides leads are independent outlets' wordings of one
  story, so they are the closest real stand-in for "same claims, other words" that we have.
Every other pair is unrelated. Precision and recall per relation, over scored pairs.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from collections import Counter
from itertools import combinations
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from newstrace import reuse, sentences, stories  # noqa: E402
from newstrace.config import Config  # noqa: E402
from newstrace.fixtures import add_articles  # noqa: E402
from newstrace.pipeline import StageContext  # noqa: E402
from newstrace.store import Store  # noqa: E402

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
RELATIONS = ("copy", "partial", "rewrite", "same-event")


def basil_events(split: str, limit: int) -> list[list[dict[str, Any]]]:
    events: dict[str, list[dict[str, Any]]] = {}
    for path in sorted((DATA / "basil" / "articles").glob("*/*.json")):
        doc = json.loads(path.read_text("utf-8"))
        paragraphs = [" ".join(p) if isinstance(p, list) else str(p) for p in doc["body-paragraphs"]]
        events.setdefault(doc["triplet-uuid"], []).append(
            {"title": doc["title"], "paragraphs": [p for p in paragraphs if p.strip()], "outlet": doc["source"],
             "date": doc.get("date")})
    keys = sorted(k for k, v in events.items() if len(v) == 3)
    half = len(keys) // 2
    chosen = keys[:half] if split == "dev" else keys[half:]
    return [events[k] for k in chosen[:limit]]


def allsides_stories(split: str, limit: int) -> list[list[tuple[str, str]]]:
    path = DATA / "allsides-neus" / ("train.source" if split == "dev" else "val.source")
    out = []
    for line in path.read_text("utf-8").splitlines():
        parts = [p.strip() for p in line.split("[SEP]")]
        versions = []
        for part in parts:
            match = re.match(r"TITLE=>\s*(.*?)\s*ARTICLE=>\s*(.*)", part, re.S)
            if match and len(match.group(2).split()) >= 12:
                versions.append((match.group(1), match.group(2)))
        if len(versions) >= 2:
            out.append(versions[:2])
        if len(out) >= limit:
            break
    return out


def build(split: str, events_n: int, rewrites_n: int, seed: int = 7) -> tuple[list[dict[str, Any]], dict, set]:
    rng = random.Random(seed)
    items: list[dict[str, Any]] = []
    truth: dict[tuple[int, int], str] = {}
    dont_care: set[tuple[int, int]] = set()
    host_events: list[tuple[int, int]] = []

    def add(title: str, text: str, outlet: str, published_at: str | None = None) -> int:
        items.append({"title": title, "text": text, "outlet": outlet, "published": published_at})
        return len(items) - 1

    events = basil_events(split, events_n)
    for e, event in enumerate(events):
        ids = [add(a["title"], "\n".join(a["paragraphs"]), a["outlet"], a["date"]) for a in event]
        for x, y in combinations(ids, 2):
            truth[(x, y)] = "same-event"
        source = event[0]
        if e % 2 == 0:  # a copy
            paragraphs = list(source["paragraphs"][:-1]) if len(source["paragraphs"]) > 3 else list(source["paragraphs"])
            words = "\n".join(paragraphs).split(" ")
            for _ in range(3):
                k = rng.randrange(len(words))
                words[k] = words[k].upper()
            copy_id = add(source["title"] + " (repost)", f"Reposted by copysite{e}.\n" + " ".join(words), f"copysite{e}",
                          source["date"])
            truth[(ids[0], copy_id)] = "copy"
            for other in ids[1:]:
                truth[(other, copy_id)] = "same-event"
        else:  # a partial copy into an article of another event (whose own article is not in the corpus)
            host = events[(e + 1) % len(events)][1]["paragraphs"]
            taken = source["paragraphs"][:3] if len(source["paragraphs"]) >= 6 else source["paragraphs"][:2]
            page = host[:2] + taken + host[2:]
            partial_id = add("Blog: " + events[(e + 1) % len(events)][1]["title"], "\n".join(page), f"blog{e}",
                             events[(e + 1) % len(events)][1]["date"])
            truth[(ids[0], partial_id)] = "partial"
            for other in ids[1:]:
                dont_care.add((other, partial_id))
            host_events.append((partial_id, (e + 1) % len(events)))
    stories = allsides_stories(split, rewrites_n * 6)
    for r in range(rewrites_n):
        group = stories[r * 6: (r + 1) * 6]
        if len(group) < 6:
            break
        left = "\n".join(f"{t}. {lead}" for (t, lead), _ in group)
        right = "\n".join(f"{t}. {lead}" for _, (t, lead) in group)
        a = add(f"Roundup {r} (outlet L)", left, "outlet-l")
        b = add(f"Roundup {r} (outlet R)", right, "outlet-r")
        truth[(a, b)] = "rewrite"
    # A partial page holds the whole of its host article (another event's second report), so the
    # host pair is a copy, and the page is same-event with the host's two sibling reports.
    first_of_event = {}
    for i, item in enumerate(items):
        for e, event in enumerate(events):
            if item["title"] == event[0]["title"] and item["outlet"] == event[0]["outlet"]:
                first_of_event.setdefault(e, i)
    for page, event_index in host_events:
        base = first_of_event[event_index]
        host, siblings = base + 1, (base, base + 2)
        truth[(min(host, page), max(host, page))] = "copy"
        for sibling in siblings:
            truth[(min(sibling, page), max(sibling, page))] = "same-event"
    return items, truth, dont_care


def evaluate(split: str, events_n: int, rewrites_n: int) -> dict[str, Any]:
    """Scores of the reuse stage alone (table ``pairs``) and of what a reader sees after the
    stories stage (view ``related_pairs``: story members with no textual relation are
    same-event), over the same planted corpus in one run."""
    items, truth, dont_care = build(split, events_n, rewrites_n)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "q.db")
        ids = add_articles(store, items)
        index = {a: i for i, a in enumerate(ids)}
        ctx = StageContext(store, Config())
        started = time.perf_counter()
        sentences.run(ctx)
        summary = reuse.run(ctx)
        seconds = time.perf_counter() - started

        def read(table: str) -> dict[tuple[int, int], str]:
            found = {}
            for row in store.rows(f"SELECT a_id, b_id, relation FROM {table}"):
                x, y = sorted((index[row["a_id"]], index[row["b_id"]]))
                found[(x, y)] = row["relation"]
            return found

        found_reuse = read("pairs")
        stories.run(ctx)
        found_all = read("related_pairs")
        store.close()
    # Partial pages also contain a foreign article's paragraphs 2+: skip pairs of a partial page
    # with any article of its host event (they share text by construction).
    scored = {}
    n = len(items)
    for x, y in combinations(range(n), 2):
        if (x, y) in dont_care:
            continue
        scored[(x, y)] = truth.get((x, y))
    return {"split": split, "articles": n, "seconds": round(seconds, 1), "summary": summary,
            "reuse": _score(scored, found_reuse), "with_stories": _score(scored, found_all)}


def _score(scored: dict[tuple[int, int], str | None], found: dict[tuple[int, int], str]) -> dict[str, Any]:
    confusion: Counter[tuple[str | None, str | None]] = Counter()
    for pair, expected in scored.items():
        confusion[(expected, found.get(pair))] += 1
    per_relation = {}
    for rel in RELATIONS:
        tp = confusion[(rel, rel)]
        predicted = sum(v for (e, g), v in confusion.items() if g == rel)
        actual = sum(v for (e, g), v in confusion.items() if e == rel)
        per_relation[rel] = {"precision": tp / predicted if predicted else None,
                             "recall": tp / actual if actual else None, "support": actual, "predicted": predicted}
    return {"per_relation": per_relation,
            "confusion": {f"{e}->{g}": v for (e, g), v in sorted(confusion.items(), key=str) if e or g}}


def main() -> None:
    parser = argparse.ArgumentParser(description="Precision and recall per reuse relation on planted reuse.")
    parser.add_argument("--split", choices=("dev", "test"), default="test")
    parser.add_argument("--quick", action="store_true", help="20 events and 10 rewrite pairs instead of 50 and 25")
    args = parser.parse_args()
    if not (DATA / "basil").is_dir() or not (DATA / "allsides-neus").is_dir():
        print(f"skipped: the evaluation data is not at {DATA} (basil/ and allsides-neus/ are needed)")
        return
    events_n, rewrites_n = (20, 10) if args.quick else (50, 25)
    result = evaluate(args.split, events_n, rewrites_n)
    print(f"split {result['split']}: {result['articles']} articles, stage took {result['seconds']} s "
          "(2-core shared machine)")
    for label, key in (("reuse stage alone (table pairs)", "reuse"),
                       ("after the stories stage (view related_pairs, as exported)", "with_stories")):
        print(f" {label}:")
        for rel, m in result[key]["per_relation"].items():
            p = "-" if m["precision"] is None else f"{m['precision']:.3f}"
            r = "-" if m["recall"] is None else f"{m['recall']:.3f}"
            print(f"  {rel:11s} precision {p:>6s}  recall {r:>6s}  (support {m['support']}, predicted {m['predicted']})")
        print("  confusion (expected->found):", json.dumps(result[key]["confusion"]))

if __name__ == "__main__":
    main()
