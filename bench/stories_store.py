"""Store-level speed of the ``stories`` stage: a SQLite store of N articles, then batches of 1,000.

    python bench/stories_store.py                 # 100,000 dated articles, then 3 batches of 1,000
    python bench/stories_store.py --undated       # the same without dates (a pile of plain-text files)
    python bench/stories_store.py --n 20000       # a smaller store
    python bench/stories_store.py --undated --save-db /tmp/undated.db   # keep the built store
    python bench/stories_store.py --undated --from-db /tmp/undated.db   # time the adds only, on a copy

What ``bench/stories.py --speed-only`` measures is the clusterer in one process, holding every
record. This measures what a user waits for: the real ``stories`` stage on a real SQLite file,
loading the stories its batch can join and their members' cached evidence, clustering and
writing back. The articles are the synthetic stream of ``bench/stories.py`` (story-structured
vectors standing in for MiniLM's, entities, numbers, words, times over one year); their
features are written to ``story_features`` first, as if the stage had embedded them, so the
figures leave out the embedding (about 10 s per 1,000 title+leads, measured by
``bench/stories.py --speed-only``). Printed: articles/s while building the store through the
stage in batches of 1,000, peak resident memory of the process, and the median latency of
adding 1,000 new articles to the full store (3 runs), then of adding 10 (a live feed's small
batch; 3 runs). The baseline is the same stage on the same store from an older checkout: ``NEWSTRACE_CODE=/path/to/checkout python
bench/stories_store.py`` measures that checkout's ``newstrace`` package with this script.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
# NEWSTRACE_CODE: a checkout whose newstrace package to measure (the baseline: an older commit).
sys.path.insert(0, os.environ.get("NEWSTRACE_CODE", str(REPO)))
sys.path.insert(1, str(REPO / "bench"))

from stories import synthetic_stream  # noqa: E402

from newstrace import stories  # noqa: E402
from newstrace.clustering import Record  # noqa: E402
from newstrace.config import Config  # noqa: E402
from newstrace.pipeline import Progress, StageContext  # noqa: E402
from newstrace.store import Store, utcnow  # noqa: E402

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def iso(days: float | None) -> str | None:
    return None if days is None else (EPOCH + dt.timedelta(days=days)).isoformat(timespec="seconds")


def insert(store: Store, records: list[Record], *, dated: bool) -> None:
    """Articles and their cached story features, as if ingest and the stage's embedding had run."""
    now = utcnow()
    with store.transaction() as conn:
        conn.exec_driver_sql(
            "INSERT INTO articles(id, title, text, published_at, outlet, status, ingested_at) "
            "VALUES (?,?,?,?,?,'live',?)",
            [(r.id, f"Title {r.id}", " ".join(r.words), iso(r.time) if dated else None, f"o{i % 50}.example",
              now) for i, r in enumerate(records)])
        conn.exec_driver_sql(
            "INSERT INTO story_features VALUES (?,?,?,?,?,?)",
            [(r.id, stories.EMBED_MODEL, np.asarray(r.vector, dtype=np.float32).tobytes(),
              json.dumps(sorted(r.entities)), json.dumps(sorted(r.numbers)), json.dumps(r.words))
             for r in records])


class Every10k(Progress):
    def __init__(self) -> None:
        self.done, self.started = 0, time.perf_counter()

    def advance(self, amount: int = 1) -> None:
        self.done += amount
        if self.done % 10_000 == 0:
            print(f"  {self.done:>7} articles clustered, {time.perf_counter() - self.started:7.1f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="articles in the store before the timed batches")
    parser.add_argument("--undated", action="store_true", help="store the articles without publication dates")
    parser.add_argument("--save-db", type=Path, default=None, help="copy the built store here (before the adds)")
    parser.add_argument("--from-db", type=Path, default=None,
                        help="skip the build: time the adds on a copy of a store saved with --save-db (same --n)")
    args = parser.parse_args()
    # adapted=False: the store keeps MiniLM's own vectors and the stage applies the adapter.
    records, _ = synthetic_stream(args.n + 3030, adapted=False)
    base, extra = records[: args.n], records[args.n :]
    folder = tempfile.TemporaryDirectory()
    path = Path(folder.name) / "stories.db"
    config = Config({"stories.batch_size": 1000})
    dated = not args.undated
    print(f"stories stage on a store of {args.n} {'dated' if dated else 'undated'} articles ({path})", flush=True)
    figures: dict[str, object] = {"n": args.n, "dated": dated}
    if args.from_db:
        shutil.copyfile(args.from_db, path)
    with Store.open(path) as store:
        if not args.from_db:
            insert(store, base, dated=dated)
            started = time.perf_counter()
            summary = stories.run(StageContext(store, config, Every10k()))
            build = time.perf_counter() - started
            print(f"  built: {args.n / build:.1f} articles/s ({build:.0f} s), {summary['stories']} stories", flush=True)
            figures |= {"build_articles_per_s": round(args.n / build, 1), "stories": summary["stories"]}
        if args.save_db:
            args.save_db.unlink(missing_ok=True)
            with closing(sqlite3.connect(path)) as raw:
                raw.execute("VACUUM INTO ?", (str(args.save_db),))
        for size in (1000, 10):
            latencies = []
            for _ in range(3):
                insert(store, extra[:size], dated=dated)
                extra = extra[size:]
                started = time.perf_counter()
                stories.run(StageContext(store, config))
                latencies.append(time.perf_counter() - started)
                print(f"  add {size:,}: {latencies[-1]:.2f} s", flush=True)
            figures[f"add_{size}_median_s"] = round(statistics.median(latencies), 2)
    figures["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
