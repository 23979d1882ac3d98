"""Load benchmark of the web UI and API: 10 concurrent clients against a store of 100,000
articles, with and without an ingest writing at the same time.

    python bench/web_load.py [--quick] [--articles N] [--seconds S] [--runs R]

Builds (or reuses) bench/results/web_load_<N>_v<schema>.db: N small generated articles from 50 outlets
over 2016, grouped 5 to a story, one reuse pair per story; runs on a fresh copy of it
(..._run.db), so that every invocation starts from N articles. Serves it with uvicorn in a
subprocess (`newstrace.web.server.serve`, as `newstrace serve` does), then runs 10 client
threads (httpx) over a mix of pages and API calls for S seconds. Scenario "reads only" is the
baseline; "reads + ingest" runs a second process inserting articles in batches of 200 the whole
time. Prints req/s, p50/p95/p99 latency, errors and "database is locked" counts; medians of R runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from newstrace.articles import Article, insert_articles  # noqa: E402
from newstrace.store import Store  # noqa: E402
from newstrace.web.sample import FALLBACK_DDL, insert_rows  # noqa: E402
from newstrace.web.server import free_port  # noqa: E402

WORDS = ("mosul syria iraq army militants fighters deal saudi washington moscow report source talks "
         "ceasefire election minister oil border refugees troops strike city council vote market").split()
OUTLETS = [f"outlet{i:02d}.example" for i in range(50)]
CLIENTS = 10


def _article(rng: random.Random, n: int, prefix: str = "") -> Article:
    title = " ".join(rng.choice(WORDS) for _ in range(7)).capitalize() + f" {prefix}{n}"
    text = " ".join(rng.choice(WORDS) for _ in range(80)) + "."
    day = 1 + n % 365
    published = f"2016-{1 + (day - 1) // 31 % 12:02d}-{1 + (day - 1) % 28:02d}T{n % 24:02d}:00:00+00:00"
    return Article(title=title, text=text, published_at=published, outlet=OUTLETS[n % len(OUTLETS)],
                   url=f"https://{OUTLETS[n % len(OUTLETS)]}/{prefix}{n}", status="live")


def build_store(path: Path, n: int) -> None:
    rng = random.Random(7)
    store = Store.open(path)
    with store.transaction() as conn:
        present = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'")}
        for table in ("stories", "story_articles", "pairs"):
            if table not in present:  # until the reuse migration lands
                for statement in FALLBACK_DDL[table].split(";"):
                    conn.exec_driver_sql(statement)
    ids: list[str] = []
    for start in range(0, n, 5000):
        batch = [_article(rng, i) for i in range(start, min(n, start + 5000))]
        with store.transaction() as conn:
            insert_articles(conn, batch)
        ids.extend(a.id for a in batch)
    stories, members, pairs = [], [], []
    for s, i in enumerate(range(0, len(ids) - 4, 5)):
        group = ids[i:i + 5]
        stories.append({"id": f"s{s}", "title": f"Story {s} " + " ".join(rng.choice(WORDS) for _ in range(5)),
                        "size": 5, "outlet_count": 5, "first_seen": "2016-01-01T00:00:00+00:00",
                        "last_seen": "2016-12-31T00:00:00+00:00"})
        members.extend({"story_id": f"s{s}", "article_id": a} for a in group)
        a, b = sorted(group[:2])
        pairs.append({"a_id": a, "b_id": b, "relation": "copy", "direction": "a->b", "earlier_id": a, "later_id": b})
    with store.transaction() as conn:
        # insert_rows fills the columns a stage's real schema requires that this data lacks.
        insert_rows(conn, "stories", stories)
        insert_rows(conn, "story_articles", members)
        insert_rows(conn, "pairs", pairs)
    store.close()


WRITER = """
import random, sys, time
sys.path.insert(0, {repo!r})
sys.path.insert(0, {bench!r})
from web_load import _article
from newstrace.articles import insert_articles
from newstrace.store import Store
store = Store.open({db!r})
rng = random.Random()
deadline = time.monotonic() + {seconds}
written = locked = 0
n = 0
while time.monotonic() < deadline:
    batch = [_article(rng, n + i, prefix="w%d-" % rng.randrange(10**9)) for i in range(200)]
    n += 200
    try:
        with store.transaction() as conn:
            written += len(insert_articles(conn, batch))
    except Exception as exc:
        if "locked" in str(exc):
            locked += 1
        else:
            raise
print(written, locked)
"""


def _urls(rng: random.Random, article_ids: list[str], story_ids: list[str]) -> str:
    pick = rng.random()
    if pick < 0.15:
        return f"/api/stories?page={rng.randrange(1, 200)}&sort={rng.choice(['size', 'recent'])}"
    if pick < 0.25:
        return f"/api/stories?q={rng.choice(WORDS)}"
    if pick < 0.40:
        return f"/api/stories/{rng.choice(story_ids)}"
    if pick < 0.55:
        return f"/api/articles/{rng.choice(article_ids)}"
    if pick < 0.65:
        return f"/api/articles?outlet={rng.choice(OUTLETS)}&page={rng.randrange(1, 20)}"
    if pick < 0.80:
        return f"/story/{rng.choice(story_ids)}"
    if pick < 0.90:
        return f"/article/{rng.choice(article_ids)}"
    if pick < 0.95:
        return "/"
    return f"/outlet/{rng.choice(OUTLETS)}"


def run_load(base: str, seconds: float, article_ids: list[str], story_ids: list[str]) -> dict[str, float]:
    import httpx

    latencies: list[float] = []
    errors = locked = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(seed: int) -> None:
        nonlocal errors, locked
        rng = random.Random(seed)
        with httpx.Client(base_url=base, timeout=60) as http:
            while time.monotonic() < deadline:
                url = _urls(rng, article_ids, story_ids)
                t0 = time.perf_counter()
                try:
                    response = http.get(url)
                    ok, body = response.status_code == 200, response.text
                except httpx.HTTPError as exc:
                    ok, body = False, str(exc)
                elapsed = time.perf_counter() - t0
                with lock:
                    latencies.append(elapsed)
                    if not ok:
                        errors += 1
                    if "database is locked" in body or "store is busy" in body:
                        locked += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    latencies.sort()

    def pct(p: float) -> float:
        return 1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))]

    return {"requests": len(latencies), "req_s": len(latencies) / wall, "p50_ms": pct(0.50), "p95_ms": pct(0.95),
            "p99_ms": pct(0.99), "errors": errors, "locked": locked}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 articles, 5 s runs")
    parser.add_argument("--articles", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    n = args.articles or (10_000 if args.quick else 100_000)
    seconds = args.seconds or (5.0 if args.quick else 20.0)
    results_dir = REPO / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    from newstrace.store import migrations

    # One store per schema version: a store built before a migration landed is not reused.
    db = results_dir / f"web_load_{n}_v{migrations()[-1][0]}_{len(migrations())}.db"
    if not db.exists():
        t0 = time.perf_counter()
        build_store(db, n)
        print(f"built {db.name}: {n} articles in {time.perf_counter() - t0:.0f} s", flush=True)
    # The ingest scenario adds articles: every invocation starts from a fresh copy of the built
    # store, so that each measures N articles at start (a reused store grew by every run).
    built, db = db, db.with_name(db.stem + "_run.db")
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    shutil.copyfile(built, db)
    store = Store.open(db)
    rng = random.Random(1)
    article_ids = [r["id"] for r in store.rows("SELECT id FROM articles ORDER BY random() LIMIT 2000")]
    story_ids = [r["id"] for r in store.rows("SELECT id FROM stories ORDER BY random() LIMIT 2000")]
    total_articles = store.scalar("SELECT COUNT(*) FROM articles")
    store.close()
    rng.shuffle(article_ids)

    load_before = os.getloadavg()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", f"from newstrace.web.server import serve; serve({str(db)!r}, port={port})"],
        cwd=str(REPO))
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        for _ in range(200):
            try:
                httpx.get(base + "/api", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        summary: dict[str, dict[str, float]] = {}
        for scenario in ("reads only", "reads + ingest"):
            runs = []
            for _ in range(args.runs):
                writer = None
                if scenario == "reads + ingest":
                    code = WRITER.format(repo=str(REPO), bench=str(REPO / "bench"), db=str(db), seconds=seconds)
                    writer = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
                result = run_load(base, seconds, article_ids, story_ids)
                if writer is not None:
                    out, _ = writer.communicate(timeout=120)
                    written, writer_locked = (int(v) for v in out.split())
                    result["ingested"] = written
                    result["writer_locked"] = writer_locked
                runs.append(result)
                print(scenario, json.dumps({k: round(v, 1) for k, v in result.items()}), flush=True)
            summary[scenario] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"\nstore: {total_articles} articles at start; {CLIENTS} clients; {seconds:.0f} s per run; "
          f"median of {args.runs} runs; shared 2-core machine (cpu count {os.cpu_count()})")
    # The machine is shared: the load average says how much else ran beside the benchmark.
    print("load average (1, 5, 15 min) before: " + ", ".join(f"{x:.2f}" for x in load_before)
          + "; after: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    print("| scenario | req/s | p50 ms | p95 ms | p99 ms | errors | 'database is locked' | articles ingested |")
    print("|---|---|---|---|---|---|---|---|")
    for scenario, m in summary.items():
        print(f"| {scenario} | {m['req_s']:.0f} | {m['p50_ms']:.0f} | {m['p95_ms']:.0f} | {m['p99_ms']:.0f} | "
              f"{m['errors']:.0f} | {m['locked'] + m.get('writer_locked', 0):.0f} | {m.get('ingested', 0):.0f} |")


if __name__ == "__main__":
    main()
