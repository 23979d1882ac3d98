"""Score the whole pipeline against the demo corpus's written truth (examples/truth.json).

    python bench/demo_truth.py [--db PATH]

Ingests examples/corpus and examples/factchecks into a fresh store, runs every stage, and
prints stories (BCubed), pair relations (precision/recall per relation, direction accuracy),
mutations and dangerous flags (precision/recall of (type, from, to)), and the origin check.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from newstrace.demo import run_demo  # noqa: E402
from newstrace.evaluation import evaluate, load_truth  # noqa: E402
from newstrace.store import Store  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="store to build (default: a temporary file)")
    args = parser.parse_args()
    db = args.db or str(Path(tempfile.mkdtemp(prefix="newstrace-truth-")) / "demo.db")
    Path(db).parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    run_demo(db)
    elapsed = time.perf_counter() - started
    with Store.open(db) as store:
        report = evaluate(store, load_truth(REPO / "examples" / "truth.json"))
    print(json.dumps(asdict(report), indent=2))
    print(f"pipeline on the demo corpus: {elapsed:.1f} s (ingest, every stage, report)")


if __name__ == "__main__":
    main()
