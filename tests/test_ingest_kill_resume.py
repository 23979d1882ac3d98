"""SIGKILL ingest at random points, resume each time: the store ends equal to an uninterrupted
run's, with no duplicates, and passes SQLite's integrity check."""

from __future__ import annotations

import gzip
import io
import json
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from newstrace.store import Store

KILLS = 20
SEED = 20161017
WORDS = ("mosul syria saudi militants source ministry offensive city forces report agency statement "
         "officials government coalition border operation week army capital claims denied").split()

SCRIPT = """
import sys
from newstrace.config import Config
from newstrace.ingest import ingest
from newstrace.store import Store
store = Store.open(sys.argv[1])
ingest(store, sys.argv[3:], config=Config({"ingest.batch_size": int(sys.argv[2])}))
store.close()
"""


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def _warc(rng: random.Random, count: int) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    for n in range(count):
        paragraphs = "".join(f"<p>{_text(rng, 40)}</p>" for _ in range(5))
        page = f"<html><head><title>Page {n}</title></head><body><article>{paragraphs}</article></body></html>"
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        record = writer.create_warc_record(f"https://www.wire.example/story/{n}?utm_source=feed", "response",
                                           payload=io.BytesIO(page.encode()), http_headers=headers)
        record.rec_headers.replace_header("WARC-Date", "2016-10-17T00:00:00Z")  # fixed bytes: a fixed source key
        record.rec_headers.replace_header("WARC-Record-ID", f"<urn:uuid:00000000-0000-0000-0000-{n:012d}>")
        writer.write_record(record)
    return out.getvalue()


def make_corpus(folder: Path) -> list[str]:
    rng = random.Random(SEED)
    shared = [{"title": f"Shared {i}", "text": _text(rng, 80)} for i in range(300)]
    for part in range(4):
        lines = []
        for i in range(1500):
            if i % 3 == 0:  # the same article under another outlet's URL: a duplicate
                record = dict(shared[(part * 300 + i) % 300], url=f"http://outlet{part}.example/{i}")
            else:
                record = {"id": i, "url": f"https://www.outlet{part}.example/a/{i}?fbclid=x",
                          "title": f"Article {part}-{i}", "text": _text(rng, 60),
                          "published": rng.choice(["2016-10-17T09:30:00+03:00", "2016-10-18", "bad date"])}
            lines.append(json.dumps(record))
            if i % 97 == 0:
                lines.append("{broken json")
        data = ("\n".join(lines) + "\n").encode()
        path = folder / (f"part{part}.jsonl.gz" if part == 3 else f"part{part}.jsonl")
        path.write_bytes(gzip.compress(data, mtime=0) if part == 3 else data)
    rows = ["headline,body,date,link"] + [
        f'"Row {i}","{_text(rng, 50)}",2016-10-1{i % 10} 10:00,https://csv.example/{i}' for i in range(400)]
    (folder / "table.csv").write_text("\n".join(rows) + "\n", "utf-8")
    texts = folder / "texts"
    texts.mkdir()
    for i in range(40):
        (texts / f"t{i:03d}.txt").write_text(f"Text title {i}\n{_text(rng, 120)}\n", "utf-8")
    (folder / "crawl.warc.gz").write_bytes(_warc(rng, 60))
    return [str(folder / "part0.jsonl"), str(folder / "part1.jsonl"), str(folder / "part2.jsonl"),
            str(folder / "part3.jsonl.gz"), str(folder / "table.csv"), str(texts), str(folder / "crawl.warc.gz")]



def snapshot(store: Store) -> dict[str, list[tuple]]:
    columns = [c for c in store.columns("articles") if c != "ingested_at"]
    with store.read() as conn:
        return {
            "articles": sorted(tuple(r) for r in conn.exec_driver_sql(f"SELECT {', '.join(columns)} FROM articles")),
            "article_urls": sorted(tuple(r) for r in conn.exec_driver_sql("SELECT * FROM article_urls")),
            "ingest_records": sorted(tuple(r) for r in conn.exec_driver_sql("SELECT * FROM ingest_records")),
        }


def records_so_far(db: Path) -> int:
    """Ingest records committed to ``db`` so far (0 before the table exists), read without
    taking a write lock from the ingest that is running."""
    import sqlite3

    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM ingest_records").fetchone()[0])
    except sqlite3.Error:  # no table yet, or the file is being created
        return 0


@pytest.mark.slow
def test_ingest_killed_twenty_times_ends_equal_to_an_uninterrupted_run(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    paths = make_corpus(corpus)
    batch = 40  # small batches: many commits, so kills land between and inside them

    # Time a start-up alone and a whole uninterrupted run (the reference), as subprocesses on
    # this shared machine, so that the kills spread over start-up and work at any machine speed.
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "empty.db"), str(batch)], check=True)
    startup = time.monotonic() - started
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "reference.db"), str(batch), *paths], check=True)
    work = max(0.5, time.monotonic() - started - startup)
    reference = Store.open(tmp_path / "reference.db")
    expected = snapshot(reference)
    reference.close()
    outcomes = Counter(row[2] for row in expected["ingest_records"])
    assert outcomes["duplicate"] >= 1800 and outcomes["rejected"] >= 60 and outcomes["stored"] >= 4000

    rng = random.Random(SEED)
    db = tmp_path / "killed.db"
    command = [sys.executable, "-c", SCRIPT, str(db), str(batch), *paths]
    total = len(expected["ingest_records"])
    kills = 0
    attempts = 0
    progress_at_kill: list[int] = []
    while kills < KILLS:
        attempts += 1
        assert attempts < 200, "the ingest kept finishing before it could be killed"
        done = records_so_far(db)
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if kills % 2 == 0 or done + 1 >= total:
            # A blind kill, often in start-up or inside the first batches.
            time.sleep(rng.uniform(0.5 * startup, startup + 0.3 * work))
        else:
            # A kill once the work has passed a point drawn at random, so that kills land at
            # many points of the run at any machine speed or load (timed kills alone all fell
            # in start-up when the machine was busier than when it was timed).
            target = rng.randrange(done + 1, total)
            deadline = time.monotonic() + 60 * (startup + work)
            while process.poll() is None and records_so_far(db) < target and time.monotonic() < deadline:
                time.sleep(0.01)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        _, err = process.communicate()
        assert process.returncode in (0, -signal.SIGKILL), err.decode()
        if process.returncode != 0 and db.exists():
            with Store.open(db, migrate=False) as probe:
                if "ingest_records" in probe.tables():
                    progress_at_kill.append(int(probe.scalar("SELECT COUNT(*) FROM ingest_records")))
        if process.returncode == 0:
            # Finished before the kill: start over, so that every kill interrupts real work.
            for suffix in ("", "-wal", "-shm"):
                Path(str(db) + suffix).unlink(missing_ok=True)
    final = subprocess.run(command, capture_output=True, timeout=300)
    assert final.returncode == 0, final.stderr.decode()

    store = Store.open(db)
    assert store.integrity_check() == "ok"
    got = snapshot(store)
    assert store.scalar("SELECT COUNT(*) FROM ingest_sources WHERE complete = 0") == 0
    store.close()
    # The kills interrupted real work at many different points, not only start-up.
    assert len({n for n in progress_at_kill if 0 < n < total}) >= 5, progress_at_kill
    for table in expected:
        assert got[table] == expected[table], f"{table} differs from the uninterrupted run"
