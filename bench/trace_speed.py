"""Speed of tracing one story (``newstrace.trace.trace_story``), beside the embedding it needs.

    python bench/trace_speed.py [--db PATH] [--runs 3]

Builds the demo store (``examples/``, every stage) in a temporary folder unless ``--db`` names an
analysed store, then, for every story of two or more articles, times ``trace_story`` on the
story's stored inputs (median of ``--runs`` calls in one process, the models loaded first). The
baseline, in the same process and on the same story: one ``models.embed`` call over exactly
the texts that the trace embedded (recorded by wrapping ``models.embed`` during the first
call). Their ratio is what grouping, alignment and mutation reading cost on top of the
encoder. The last column times what the stage does next with the trace's claim groups: find the
details inside the shared claims (``details.story_details``); the number of ``embed`` calls per trace shows whether the texts are batched (a call
of one or two texts costs about as much as a call of fifty on a busy machine).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from newstrace import models  # noqa: E402
from newstrace.config import Config  # noqa: E402
from newstrace.details import DetailFinder, story_details  # noqa: E402
from newstrace.store import Store  # noqa: E402
from newstrace.trace import trace_story  # noqa: E402
from newstrace.trace_stage import _story_inputs  # noqa: E402

FINDER = DetailFinder()


def timed(fn: Any, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(story_id: str, inputs: tuple[Any, ...], config: Config, runs: int) -> str:
    """One table row: the trace's embed calls and texts, and the two medians."""
    articles, claims, pairs, cited, passages = inputs
    trace = partial(trace_story, story_id, articles, claims, pairs, config, cited, passages)
    recorded: list[list[str]] = []
    original = models.embed

    def recording(texts: list[str], batch_size: int = 64) -> Any:
        recorded.append(list(texts))
        return original(texts, batch_size=batch_size)

    models.embed = recording  # type: ignore[assignment]
    try:
        trace()
    finally:
        models.embed = original  # type: ignore[assignment]
    texts = [t for call in recorded for t in call]
    trace_s = timed(trace, runs)
    embed_s = timed(partial(models.embed, texts), runs) if texts else 0.0
    ratio = f"{trace_s / embed_s:.1f}" if embed_s else "-"
    # The stage then finds the details inside the shared claims (newstrace.details): parse and
    # embed the shared claims' wordings and their candidate phrases cut out.
    groups = trace().groups
    article_texts = {a["id"]: a.get("text") or "" for a in articles}
    details_s = timed(partial(story_details, FINDER, groups, article_texts), runs)
    return (f"| {story_id[:8]} | {len(articles)} | {len(claims)} | {len(recorded)} | {len(texts)} | "
            f"{trace_s:.2f} | {embed_s:.2f} | {ratio} | {details_s:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="an analysed store (default: build the demo store in a temporary folder)")
    parser.add_argument("--runs", type=int, default=3, help="timed calls per story (median reported)")
    args = parser.parse_args()
    if args.db:
        db = args.db
    else:
        from newstrace.demo import run_demo

        db = str(Path(tempfile.mkdtemp(prefix="newstrace-trace-speed-")) / "demo.db")
        print(f"building the demo store in {db} ...", flush=True)
        run_demo(db)
    config = Config()
    models.embed(["warm the encoder up"])
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    FINDER.prefetch([[{"article_id": "a", "text": "warm the parser up"}, {"article_id": "b", "text": "and up"}]], {})
    print("| story | articles | claims | embed calls | texts embedded | trace s (median) | embed-only s (median) | ratio "
          "| details s (median) |")
    print("|---|---|---|---|---|---|---|---|---|")
    with Store.open(db) as store:
        stories = [r["id"] for r in store.rows("SELECT id FROM stories WHERE size >= 2 ORDER BY size DESC, id")]
        for story_id in stories:
            print(measure(story_id, _story_inputs(store, story_id), config, args.runs), flush=True)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
