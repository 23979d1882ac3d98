"""Speed of the reuse stage's lexical step (MinHash signatures + LSH candidates) on N articles
of about 500 words, beside datasketch's MinHash + MinHashLSH at the same banding, and beside a
plain regex tokenising pass over the same texts (the floor), all in one process.

    python bench/reuse.py            # 100,000 articles, 3 runs each (datasketch takes minutes)
    python bench/reuse.py --quick    # 10,000 articles

The corpus is generated: words drawn from a Zipf distribution over a 30,000-word vocabulary,
2% of articles planted as edited copies of another article (word edit rates 0-15%). Recall is the
share of planted pairs whose exact 5-shingle Jaccard is >= 0.5 that come out as candidates.
Peak memory is measured in a forked child (VmHWM after resetting it), above the corpus itself.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from newstrace import minhash  # noqa: E402

NUM_PERM, BANDS, ROWS, SHINGLE = 128, 64, 2, 5
WORD = re.compile(r"\w+")


def make_corpus(n: int, words: int = 500, seed: int = 42) -> tuple[list[str], list[tuple[int, int]]]:
    rng = np.random.default_rng(seed)
    vocab = np.array([f"{chr(97 + i % 26)}{chr(97 + (i // 26) % 26)}w{i}" for i in range(30_000)])
    ranks = rng.zipf(1.2, size=n * words) % len(vocab)
    tokens = vocab[ranks].reshape(n, words)
    texts = [" ".join(row) for row in tokens]
    planted: list[tuple[int, int]] = []
    py = random.Random(seed)
    for target in py.sample(range(n), n // 50):
        source = py.randrange(n)
        if source == target:
            continue
        rate = py.uniform(0.0, 0.15)
        edited = [w if py.random() > rate else str(vocab[py.randrange(len(vocab))]) for w in tokens[source]]
        texts[target] = " ".join(edited)
        planted.append((min(source, target), max(source, target)))
    return texts, planted


def exact_jaccard(a: str, b: str) -> float:
    ta, tb = WORD.findall(a.lower()), WORD.findall(b.lower())
    sa = {tuple(ta[i: i + SHINGLE]) for i in range(len(ta) - SHINGLE + 1)}
    sb = {tuple(tb[i: i + SHINGLE]) for i in range(len(tb) - SHINGLE + 1)}
    return len(sa & sb) / max(1, len(sa | sb))


def ours(texts: list[str]) -> set[tuple[int, int]]:
    sig = minhash.signatures(texts, NUM_PERM, SHINGLE)
    pairs = minhash.candidate_pairs(minhash.band_keys(sig, BANDS, ROWS))
    return {(int(a), int(b)) for a, b in pairs}


def datasketch_lsh(texts: list[str]) -> set[tuple[int, int]]:
    from datasketch import MinHash, MinHashLSH

    shingles = []
    for text in texts:
        tokens = WORD.findall(text.lower())
        shingles.append([" ".join(tokens[i: i + SHINGLE]).encode() for i in range(len(tokens) - SHINGLE + 1)])
    hashes = MinHash.bulk(shingles, num_perm=NUM_PERM)
    lsh = MinHashLSH(num_perm=NUM_PERM, params=(BANDS, ROWS))
    for i, m in enumerate(hashes):
        lsh.insert(i, m)
    found = set()
    for i, m in enumerate(hashes):
        for j in lsh.query(m):
            if j != i:
                found.add((min(i, j), max(i, j)))
    return found


def floor(texts: list[str]) -> int:
    return minhash.tokenise_floor(texts)


def timed(fn: Callable[[list[str]], Any], texts: list[str], runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn(texts)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def peak_mb(fn: Callable[[list[str]], Any], texts: list[str]) -> tuple[float, float]:
    """(peak RSS above the starting RSS, peak RSS) in MB, measured in a forked child."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read)
        try:
            Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
        except OSError:
            pass
        base = _status_kb("VmRSS")
        fn(texts)
        peak = _status_kb("VmHWM")
        os.write(write, f"{(peak - base) / 1024:.0f} {peak / 1024:.0f}".encode())
        os._exit(0)
    os.close(write)
    data = os.read(read, 100).decode().split()
    os.waitpid(pid, 0)
    return float(data[0]), float(data[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 articles instead of 100,000")
    parser.add_argument("--n", type=int, default=None)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    n = args.n or (10_000 if args.quick else 100_000)
    texts, planted = make_corpus(n)
    words = sum(len(t.split()) for t in texts) / len(texts)
    truth = {p for p in planted if exact_jaccard(texts[p[0]], texts[p[1]]) >= 0.5}
    print(f"corpus: {n:,} articles, {words:.0f} words each on average; {len(truth)} planted pairs with "
          f"Jaccard >= 0.5; 2-core shared machine, medians of {args.runs} runs")
    rows = []
    for name, fn in (("raw tokenising pass (floor)", floor), ("newstrace minhash + LSH", ours),
                     ("datasketch MinHash + MinHashLSH", datasketch_lsh)):
        seconds, result = timed(fn, texts, args.runs)
        delta, peak = peak_mb(fn, texts)
        recall = candidates = None
        if isinstance(result, set):
            recall = len(truth & result) / max(1, len(truth))
            candidates = len(result)
        rows.append((name, seconds, recall, candidates, delta, peak))
        print(f"  {name:34s} {seconds:8.2f} s  {n / seconds:9,.0f} articles/s  "
              + (f"recall {recall:.4f}  candidates {candidates:,}  " if recall is not None else "")
              + f"peak +{delta:.0f} MB (RSS {peak:.0f} MB)", flush=True)
    floor_s, ours_s, ds_s = rows[0][1], rows[1][1], rows[2][1]
    print(f"newstrace is {ds_s / ours_s:.1f}x faster than datasketch (recall {rows[1][2]:.4f} vs "
          f"{rows[2][2]:.4f}) and takes {ours_s / floor_s:.2f}x the raw tokenising pass")


if __name__ == "__main__":
    main()
