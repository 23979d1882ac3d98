"""Ingest speed and memory, beside a raw read-and-tokenise pass over the same file.

    python bench/ingest.py            # 100,000 articles (plus 25k and 50k for memory), 3 runs each
    python bench/ingest.py --quick    # 20,000 articles, 1 run

The corpus is generated (fixed seed) as JSON Lines of about 500 words per article into a
temporary folder outside the repo. Each measurement runs in its own subprocess so that its
peak resident memory (VmHWM from /proc/self/status) is its own; times exclude interpreter
start-up and imports. Baseline: read each line, json.loads it, and regex-tokenise its text.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SEED = 1234
WORDS_PER_ARTICLE = 500

RAW_PASS = r"""
import json, re, sys, time
path = sys.argv[1]
token = re.compile(r"\w+", re.UNICODE)
started = time.perf_counter()
articles = tokens = 0
with open(path, "rb") as handle:
    for line in handle:
        record = json.loads(line)
        tokens += len(token.findall(record["text"]))
        articles += 1
elapsed = time.perf_counter() - started
peak = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(json.dumps({"articles": articles, "tokens": tokens, "seconds": elapsed, "peak_kb": int(peak)}))
"""

INGEST = r"""
import json, sys, time
from newstrace.ingest import ingest
from newstrace.store import Store
path, db = sys.argv[1], sys.argv[2]
store = Store.open(db)
started = time.perf_counter()
report = ingest(store, [path])
elapsed = time.perf_counter() - started
store.close()
peak = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(json.dumps({"articles": report.seen, "stored": report.stored, "seconds": elapsed, "peak_kb": int(peak)}))
"""


def make_vocabulary(rng: random.Random, size: int = 30_000) -> tuple[list[str], list[float]]:
    letters = "etaoinshrdlcumwfgypbvkjxqz"
    weights_letters = [12, 9, 8, 7.5, 7, 6.7, 6.3, 6, 5.9, 4.3, 4, 2.8, 2.8, 2.4, 2.4, 2.2, 2, 2, 1.9, 1.5,
                       1, 0.8, 0.2, 0.2, 0.1, 0.1]
    words = set()
    while len(words) < size:
        length = max(1, min(14, int(rng.gauss(6, 2.5))))
        words.add("".join(rng.choices(letters, weights_letters, k=length)))
    vocabulary = sorted(words)
    rng.shuffle(vocabulary)
    cumulative, total = [], 0.0
    for rank in range(1, size + 1):  # Zipf's law, as in natural text
        total += 1.0 / rank
        cumulative.append(total)
    return vocabulary, cumulative


def generate(path: Path, count: int) -> None:
    rng = random.Random(SEED)
    vocabulary, cumulative = make_vocabulary(rng)
    outlets = [f"outlet{n}.example" for n in range(300)]
    with open(path, "w", encoding="utf-8") as handle:
        for n in range(count):
            words = rng.choices(vocabulary, cum_weights=cumulative, k=WORDS_PER_ARTICLE)
            sentences = [" ".join(words[i:i + 20]).capitalize() + "." for i in range(0, len(words), 20)]
            paragraphs = "\n".join(" ".join(sentences[i:i + 5]) for i in range(0, len(sentences), 5))
            outlet = rng.choice(outlets)
            record = {
                "id": n, "url": f"https://www.{outlet}/news/{n}?utm_source=rss",
                "title": " ".join(rng.choices(vocabulary, cum_weights=cumulative, k=8)).capitalize(),
                "text": paragraphs, "outlet": outlet, "language": "en",
                "published": f"2016-10-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00+03:00",
            }
            handle.write(json.dumps(record) + "\n")


def measure(script: str, *args: str) -> dict[str, float]:
    output = subprocess.run([sys.executable, "-c", script, *args], check=True, capture_output=True, text=True)
    return json.loads(output.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def bench_size(folder: Path, count: int, runs: int) -> dict[str, float]:
    corpus = folder / f"corpus_{count}.jsonl"
    if not corpus.exists():
        generate(corpus, count)
    raw, full = [], []
    for run in range(runs):
        raw.append(measure(RAW_PASS, str(corpus)))
        db = folder / f"store_{count}_{run}.db"
        full.append(measure(INGEST, str(corpus), str(db)))
        assert full[-1]["stored"] == count, full[-1]
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
    raw_rate = count / statistics.median(r["seconds"] for r in raw)
    ingest_rate = count / statistics.median(r["seconds"] for r in full)
    return {
        "articles": count, "mb": corpus.stat().st_size / 1e6, "runs": runs,
        "raw_per_s": raw_rate, "ingest_per_s": ingest_rate, "ratio": ingest_rate / raw_rate,
        "raw_peak_mb": max(r["peak_kb"] for r in raw) / 1024, "ingest_peak_mb": max(r["peak_kb"] for r in full) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="20,000 articles, one run")
    args = parser.parse_args()
    plan = [(20_000, 1)] if args.quick else [(25_000, 1), (50_000, 1), (100_000, 3)]
    print(f"newstrace ingest benchmark; {os.cpu_count()} CPUs (figures from a shared machine vary)")
    print(f"{'articles':>9} {'MB':>7} {'runs':>4} {'raw/s':>9} {'ingest/s':>9} {'ratio':>6} "
          f"{'raw peak MB':>11} {'ingest peak MB':>14}")
    with tempfile.TemporaryDirectory(prefix="newstrace-bench-") as tmp:
        for count, runs in plan:
            started = time.perf_counter()
            row = bench_size(Path(tmp), count, runs)
            print(f"{row['articles']:>9,} {row['mb']:>7.0f} {row['runs']:>4} {row['raw_per_s']:>9,.0f} "
                  f"{row['ingest_per_s']:>9,.0f} {row['ratio']:>6.2f} {row['raw_peak_mb']:>11.0f} "
                  f"{row['ingest_peak_mb']:>14.0f}   ({time.perf_counter() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
