"""The reuse stage's first pass: title+lead nearest neighbours by the static (model2vec) model
against the same by MiniLM, on AllSides-NeuS title+leads.

    python bench/static_pass.py [--split train|val] [--limit N] [--runs 3]

For each item, the MiniLM pass keeps its ``k`` nearest items with cosine >= 0.5 (the reuse
stage's ``lead_neighbours`` and ``lead_min_cosine``): those pairs are what the slow pass would
compare. The static pass keeps its own ``k'`` nearest with static cosine >= ``t``. Printed:
- recall of the MiniLM pairs by the static pass, and of the true same-story pairs (AllSides
  lines are one story told by three outlets) by each pass;
- texts/s of each encoder, median of ``--runs`` runs in this process (MiniLM in the stage's
  default bf16), and the pair-search time.
``--split train`` is where ``reuse.static_neighbours`` and ``reuse.static_min_cosine`` were
chosen; ``--split val`` is the reported figure.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from stories import DATA, load_allsides  # noqa: E402

from newstrace import rewrite  # noqa: E402
from newstrace.models import embed  # noqa: E402
from newstrace.static_model import embed_static  # noqa: E402


def neighbour_pairs(vectors: np.ndarray, k: int, min_cosine: float) -> set[tuple[int, int]]:
    found = rewrite.nearest_articles(vectors, vectors, k + 1, min_cosine)
    return {(min(q, s), max(q, s)) for q, s, _ in found if q != s}


def timed(fn, runs: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, out = [], None
    for _ in range(runs):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", default="val", choices=("train", "val"))
    parser.add_argument("--limit", type=int, default=3000, help="items (title+leads) to use")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not (DATA / "allsides-neus").exists():
        sys.exit(f"skipped: {DATA / 'allsides-neus'} is absent (the public evaluation data sits beside the repo)")
    items = load_allsides(args.split)[: args.limit]
    texts = [rewrite.lead_text(i.title, [i.text]) for i in items]
    embed_static(texts[:10])  # load (or distil) outside the timing
    embed(texts[:10])
    static_s, static_v = timed(lambda: embed_static(texts), args.runs)
    minilm_s, minilm_v = timed(lambda: embed(texts), args.runs)
    assert isinstance(static_v, np.ndarray) and isinstance(minilm_v, np.ndarray)
    story = [i.story for i in items]
    gold = {(a, b) for a in range(len(items)) for b in range(a + 1, len(items)) if story[a] == story[b]}
    k = 10
    slow = neighbour_pairs(minilm_v, k, 0.5)
    print(f"AllSides-NeuS {args.split}: {len(items)} title+leads, {len(gold)} same-story pairs; "
          f"{args.runs} runs, medians")
    print(f"encode texts/s: static {len(texts) / static_s:,.0f}   MiniLM {len(texts) / minilm_s:,.0f}   "
          f"ratio {minilm_s / static_s:.1f}x")
    print(f"MiniLM pass (k={k}, cos>=0.5): {len(slow)} pairs, same-story recall {len(slow & gold) / len(gold):.3f}")
    every = {(a, b) for a in range(len(items)) for b in range(a + 1, len(items))
             if float(minilm_v[a] @ minilm_v[b]) >= 0.5}
    print(f"every pair with MiniLM cos>=0.5 (no k): {len(every)} pairs, same-story recall "
          f"{len(every & gold) / len(gold):.3f}")
    print("static pass: k, min cosine -> pairs, recall of the MiniLM pairs, same-story recall, search s;\n"
          "  then gated by MiniLM title+lead cosine >= 0.5 (what the stage aligns): pairs, same-story recall")
    for k_static in (10, 20, 30):
        for t in (0.5, 0.6, 0.7):
            search_s, fast = timed(lambda k_static=k_static, t=t: neighbour_pairs(static_v, k_static, t), 1)
            assert isinstance(fast, set)
            gated = {(a, b) for a, b in fast if float(minilm_v[a] @ minilm_v[b]) >= 0.5}
            print(f"  k={k_static:<3} t={t:.1f}  {len(fast):>7}  {len(fast & slow) / max(1, len(slow)):.3f}  "
                  f"{len(fast & gold) / len(gold):.3f}  {search_s:.2f}   gated {len(gated):>6}  "
                  f"{len(gated & gold) / len(gold):.3f}")


if __name__ == "__main__":
    main()
