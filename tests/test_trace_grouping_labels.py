"""The hand labels of BASIL claim pairs are well formed, and the grouping bench scores them
correctly (bench/trace_grouping.py; BENCHMARKS.md, "Claim grouping on real articles").

Fast: no model and no pipeline run; the file and a tiny hand-made example only."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parent.parent
LABELS = REPO / "bench" / "labels" / "basil_claim_pairs.tsv"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("trace_grouping", REPO / "bench" / "trace_grouping.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("trace_grouping", module)
    spec.loader.exec_module(module)
    return module


bench = _bench()


#: Every labelled set: split -> its labels file.
SETS = {split: path for split, (_, _, path) in bench.SPLITS.items()}


def _rows(path: Path = LABELS) -> list[list[str]]:
    lines = [line for line in path.read_text("utf-8").splitlines() if line.strip() and not line.startswith("#")]
    assert lines[0].split("\t") == ["key_a", "key_b", "label", "reason"]
    return [line.split("\t") for line in lines[1:]]


@pytest.mark.parametrize("split", sorted(SETS))
def test_trace_grouping_labels_definition_comes_first(split: str) -> None:
    head = SETS[split].read_text("utf-8").split("\nkey_a\t", 1)[0]
    assert "same " in head and "different " in head and "proposition" in head


@pytest.mark.parametrize("split", sorted(SETS))
def test_trace_grouping_labels_rows_are_well_formed(split: str) -> None:
    rows = _rows(SETS[split])
    assert len(rows) >= 300
    seen: set[tuple[tuple[str, int, int], tuple[str, int, int]]] = set()
    for row in rows:
        assert len(row) == 4, row
        key_a, key_b, label, reason = row
        a, b = bench.parse_key(key_a), bench.parse_key(key_b)
        assert a[0] != b[0], f"{key_a} / {key_b}: two claims of one article"
        assert label in ("same", "different"), row
        assert reason.strip() and len(reason.split()) <= 14, f"reason too long or empty: {reason!r}"
        pair = bench.pair_of(a, b)
        assert pair not in seen, f"{key_a} / {key_b} labelled twice (in either order)"
        seen.add(pair)
    # read_labels enforces the same rules; it must accept the file as it is.
    assert len(bench.read_labels(SETS[split])) == len(rows)


def test_trace_grouping_labels_reader_refuses_a_pair_given_both_ways(tmp_path: Path) -> None:
    path = tmp_path / "labels.tsv"
    path.write_text("# definition\nkey_a\tkey_b\tlabel\treason\n"
                    "x_1:0:10\ty_2:5:20\tsame\tone claim\n"
                    "y_2:5:20\tx_1:0:10\tdifferent\tthe same pair reversed\n", "utf-8")
    with pytest.raises(ValueError, match="labelled twice"):
        bench.read_labels(path)
    path.write_text("key_a\tkey_b\tlabel\treason\nx_1:0:10\ty_2:5:20\tmaybe\thm\n", "utf-8")
    with pytest.raises(ValueError, match="label"):
        bench.read_labels(path)
    path.write_text("key_a\tkey_b\tlabel\treason\nx_1:10:0\ty_2:5:20\tsame\tbad offsets\n", "utf-8")
    with pytest.raises(ValueError, match="claim key"):
        bench.read_labels(path)


def test_trace_grouping_labels_score_counts_pairs() -> None:
    a, b, c, d, e = (("art_1", 0, 10), ("art_2", 0, 10), ("art_3", 0, 10), ("art_2", 20, 30), ("art_3", 40, 50))
    labels = {
        bench.pair_of(a, b): "same",
        bench.pair_of(a, c): "same",
        bench.pair_of(b, c): "same",
        bench.pair_of(a, d): "different",
        bench.pair_of(d, e): "same",
    }
    # Grouped: a-b (same), a-d (different), c-b written the other way round (same), and a pair
    # nobody labelled. Missed: d-e.
    grouped = {bench.pair_of(a, b), bench.pair_of(d, a), bench.pair_of(c, b), bench.pair_of(c, e)}
    s = bench.score(grouped, labels)
    assert (s.grouped, s.grouped_labelled, s.true_positives, s.labelled_same, s.unlabelled_grouped) == (4, 3, 2, 4, 1)
    assert s.precision == pytest.approx(2 / 3)
    assert s.recall == pytest.approx(2 / 4)
    assert s.f1 == pytest.approx(2 * (2 / 3) * (1 / 2) / (2 / 3 + 1 / 2))
    empty = bench.score(set(), labels)
    assert empty.precision is None and empty.recall == 0 and empty.f1 is None

    # Article level: a is grouped with claims of art_2 only, c with claims of art_2 and art_3,
    # so a-c (art_1 / art_3) is not covered; d sits with art_1 and e with art_3, so d-e is not
    # either; a-b and b-c are. Grouping a with e, another claim of art_3, covers a-c.
    assert bench.article_recall(grouped, labels) == (2, 4)
    assert bench.article_recall(grouped | {bench.pair_of(a, e)}, labels) == (3, 4)


@pytest.mark.parametrize("split", sorted(SETS))
def test_trace_grouping_labels_keys_point_into_basil_and_reasons_quote_little(shared_data: Path, split: str) -> None:
    """Every key is a span of one of the set's 15 events' articles as the bench ingests them, and
    no reason repeats four consecutive words of either claim (the repo holds no article text)."""
    if not (shared_data / "basil" / "articles").is_dir():
        pytest.skip(f"BASIL is not under {shared_data}")
    half, skip, path = bench.SPLITS[split]
    texts = {a["stem"]: a["text"] for event in bench.basil_events(bench.EVENTS, skip, half) for a in event}
    word = re.compile(r"[^\W_]+")

    def words(text: str) -> str:
        return " " + " ".join(w.lower() for w in word.findall(text)) + " "

    for key_a, key_b, _, reason in _rows(path):
        spans = []
        for stem, start, end in (bench.parse_key(key_a), bench.parse_key(key_b)):
            assert stem in texts, f"{stem} is not one of the 15 events' articles"
            assert end <= len(texts[stem]) and texts[stem][start:end].strip(), f"{stem}:{start}:{end}"
            spans.append(words(texts[stem][start:end]))
        said = words(reason).split()
        for k in range(len(said) - 3):
            run = " " + " ".join(said[k:k + 4]) + " "
            assert all(run not in span for span in spans), f"reason {reason!r} quotes {run.strip()!r}"
