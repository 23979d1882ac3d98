"""Score an analysed store against a written truth (the demo corpus's ``examples/truth.json``,
or any corpus annotated the same way).

Articles are matched to truth keys by title (titles are unique in a truth file). Figures:
stories (BCubed precision/recall/F1 and exact stories), pair relations (precision and recall
per relation, and direction accuracy on pairs whose direction is known), mutations (precision
and recall of (type, from, to) along derivations, and of the dangerous flag), claim carriers
(for each written claim, which articles the claim group says tell it), origins and fact-check
before/after marks.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .articles import normalise_for_hash
from .errors import InputError
from .store import Store

RELATIONS = ("copy", "partial", "rewrite", "same-event")


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {"precision": round(self.precision, 3), "recall": round(self.recall, 3), "f1": round(self.f1, 3),
                "tp": self.tp, "fp": self.fp, "fn": self.fn}


@dataclass
class TruthReport:
    unmatched_titles: list[str]
    stories: dict[str, Any]
    relations: dict[str, dict[str, Any]]
    direction_accuracy: float
    mutations: dict[str, Any]
    mutation_errors: dict[str, list[tuple[str, str, str]]]
    dangerous: dict[str, Any]
    origin_ok: bool
    factcheck_flags: dict[str, Any] = field(default_factory=dict)
    claim_carriers: dict[str, Any] = field(default_factory=dict)
    claim_carrier_errors: dict[str, dict[str, list[str]]] = field(default_factory=dict)


def load_truth(path: str | Path) -> dict[str, Any]:
    try:
        return json.loads(Path(path).read_text("utf-8"))  # type: ignore[no-any-return]
    except FileNotFoundError:
        raise InputError(f"No truth file at {path}.") from None


def _key_map(store: Store, truth: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """store article id -> truth key, by normalised title; and the truth titles not found."""
    by_title = {normalise_for_hash(a["title"]).lower(): a["key"] for a in truth["articles"]}
    mapping: dict[str, str] = {}
    for row in store.rows("SELECT id, title FROM articles WHERE status = 'live'"):
        key = by_title.get(normalise_for_hash(row["title"] or "").lower())
        if key:
            mapping[row["id"]] = key
    found = set(mapping.values())
    return mapping, [a["title"] for a in truth["articles"] if a["key"] not in found]


def bcubed(predicted: dict[str, str], gold: dict[str, str]) -> tuple[float, float, float]:
    """BCubed precision, recall, F1 of cluster labels ``predicted`` against ``gold`` (item -> label)."""
    items = [i for i in gold if i in predicted]
    if not items:
        return 0.0, 0.0, 0.0
    p_sum = r_sum = 0.0
    for i in items:
        same_pred = [j for j in items if predicted[j] == predicted[i]]
        same_gold = [j for j in items if gold[j] == gold[i]]
        both = len([j for j in same_pred if gold[j] == gold[i]])
        p_sum += both / len(same_pred)
        r_sum += both / len(same_gold)
    p, r = p_sum / len(items), r_sum / len(items)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def evaluate(store: Store, truth: dict[str, Any]) -> TruthReport:
    keys, unmatched = _key_map(store, truth)
    tables = set(store.tables())

    # stories
    gold_story = {k: s["id"] for s in truth["stories"] for k in s["articles"]}
    pred_story = {keys[r["article_id"]]: r["story_id"] for r in store.rows("SELECT * FROM story_articles")
                  if r["article_id"] in keys} if "story_articles" in tables else {}
    p, r, f = bcubed(pred_story, gold_story)
    gold_sets = {frozenset(s["articles"]) for s in truth["stories"]}
    pred_sets: dict[str, set[str]] = {}
    for key, sid in pred_story.items():
        pred_sets.setdefault(sid, set()).add(key)
    exact = sum(frozenset(v) in gold_sets for v in pred_sets.values())
    stories = {"bcubed_precision": round(p, 3), "bcubed_recall": round(r, 3), "bcubed_f1": round(f, 3),
               "exact": exact, "gold": len(gold_sets), "predicted": len(pred_sets)}

    # pair relations and direction
    gold_pairs = {frozenset((x["from"], x["to"])): x for x in truth["pairs"]}
    pred_pairs: dict[frozenset[str], dict[str, Any]] = {}
    if "related_pairs" in tables:
        for row in store.rows("SELECT * FROM related_pairs"):
            if row["a_id"] in keys and row["b_id"] in keys:
                a, b = keys[row["a_id"]], keys[row["b_id"]]
                direction = row.get("direction")
                src = a if direction == "a->b" else b if direction == "b->a" else None
                pred_pairs[frozenset((a, b))] = {"relation": row["relation"], "from": src}
    relations = {rel: Score() for rel in RELATIONS}
    for pair, gold in gold_pairs.items():
        pred = pred_pairs.get(pair)
        if pred and pred["relation"] == gold["relation"]:
            relations[gold["relation"]].tp += 1
        else:
            relations[gold["relation"]].fn += 1
            if pred and pred["relation"] in relations:
                relations[pred["relation"]].fp += 1
    for pair, pred in pred_pairs.items():
        if pair not in gold_pairs and pred["relation"] in relations:
            relations[pred["relation"]].fp += 1
    known = [(pair, g) for pair, g in gold_pairs.items() if g.get("direction") == "known" and pair in pred_pairs]
    direction_ok = sum(pred_pairs[pair]["from"] == g["from"] for pair, g in known)

    # mutations
    gold_mut = Counter((m["type"], m["from"], m["to"]) for m in truth["mutations"])
    gold_danger = Counter((m["type"], m["from"], m["to"]) for m in truth["mutations"] if m["dangerous"])
    pred_mut: Counter[tuple[str, str, str]] = Counter()
    pred_danger: Counter[tuple[str, str, str]] = Counter()
    if "mutations" in tables:
        for m in store.rows("SELECT type, from_article_id, to_article_id, dangerous FROM mutations"):
            if m["from_article_id"] in keys and m["to_article_id"] in keys:
                item = (m["type"], keys[m["from_article_id"]], keys[m["to_article_id"]])
                pred_mut[item] += 1
                if m["dangerous"]:
                    pred_danger[item] += 1

    def score(pred: Counter[tuple[str, str, str]], gold: Counter[tuple[str, str, str]]) -> Score:
        # Presence, not multiplicity: two sentences of one claim losing their attribution in the
        # same copy are one finding for a reader.
        p_set, g_set = set(pred), set(gold)
        return Score(len(p_set & g_set), len(p_set - g_set), len(g_set - p_set))

    mut_score = score(pred_mut, gold_mut)
    danger_score = score(pred_danger, gold_danger)
    errors = {"missed": sorted(set(gold_mut) - set(pred_mut)), "extra": sorted(set(pred_mut) - set(gold_mut))}

    # origin
    origin_ok = False
    port = next((s for s in truth["stories"] if s.get("origin")), None)
    if port and "story_origins" in tables:
        for row in store.rows("SELECT * FROM story_origins"):
            if keys.get(row["earliest_article_id"] or "") == port["origin"]["article"]:
                cited = port["origin"]["cited_origin"]
                origin_ok = (row["cited_origin_kind"] == cited["kind"]
                             and normalise_for_hash(row["via_outlet"] or "").lower() == cited["outlet"].lower())
    carriers, carrier_errors = _claim_carriers(store, truth, keys) if "claim_variants" in tables else ({}, {})
    return TruthReport(
        unmatched_titles=unmatched,
        stories=stories,
        relations={rel: s.as_dict() for rel, s in relations.items()},
        direction_accuracy=round(direction_ok / len(known), 3) if known else 0.0,
        mutations=mut_score.as_dict(),
        mutation_errors={k: [tuple(x) for x in v] for k, v in errors.items()},  # type: ignore[misc]
        dangerous=danger_score.as_dict(),
        origin_ok=origin_ok,
        claim_carriers=carriers,
        claim_carrier_errors=carrier_errors,
    )


def _words(text: str) -> set[str]:
    from .trace import content_words

    return set(content_words(text))


def _claim_carriers(store: Store, truth: dict[str, Any], keys: dict[str, str]) -> tuple[dict[str, Any], dict[str, dict[str, list[str]]]]:
    """For each written claim carried by two or more articles: the claim group holding most of
    its stored claims (a stored claim stands for a written one in the same article when most of
    the shorter text's words are in the other), and that group's articles against the written
    ``carried_by``. An article in the group that tells the claim but does not carry it (one
    that says something else) is a false carrier; a carrier outside the group is missed. The
    group's denials (variants with stance ``denies``) are scored against the written mentions
    with stance ``denies``. Micro-summed over the claims."""
    written: dict[str, list[tuple[str, set[str]]]] = {}  # article key -> (claim id, words of its text there)
    for article in truth["articles"]:
        written[article["key"]] = [(c["claim"], _words(c["text"])) for c in article.get("claims", [])]
    rows = store.rows("SELECT v.group_id, v.article_id, v.stance, c.text FROM claim_variants v "
                      "JOIN claims c ON c.id = v.claim_id")
    group_articles: dict[str, set[str]] = {}  # articles that tell the group's claim
    group_deniers: dict[str, set[str]] = {}
    stands_for: Counter[tuple[str, str]] = Counter()  # (claim id, group) -> stored claims matching
    for row in rows:
        key = keys.get(row["article_id"])
        if key is None:
            continue
        group_articles.setdefault(row["group_id"], set())
        group_deniers.setdefault(row["group_id"], set())
        if row["stance"] == "denies":
            group_deniers[row["group_id"]].add(key)
            continue
        group_articles[row["group_id"]].add(key)
        words = _words(row["text"])
        for claim_id, target in written.get(key, []):
            shorter = min(len(words), len(target))
            if shorter and len(words & target) / shorter >= 0.6:
                stands_for[(claim_id, row["group_id"])] += 1
    total, denials = Score(), Score()
    errors: dict[str, dict[str, list[str]]] = {}
    for claim in truth.get("claims", []):
        carried = set(claim["carried_by"])
        if len(carried) < 2:
            continue
        found = [(n, -len(group_articles[g]), g) for (cid, g), n in stands_for.items() if cid == claim["id"]]
        group = max(found)[2] if found else None
        members = group_articles[group] if group else set()
        extra, missed = sorted(members - carried), sorted(carried - members)
        total.tp += len(members & carried)
        total.fp += len(extra)
        total.fn += len(missed)
        denied = {m["key"] for m in claim.get("mentioned_by", []) if m.get("stance") == "denies"}
        deniers = group_deniers[group] if group else set()
        denials.tp += len(deniers & denied)
        denials.fp += len(deniers - denied)
        denials.fn += len(denied - deniers)
        if extra or missed or denied != deniers:
            errors[claim["id"]] = {"false_carriers": extra, "missed_carriers": missed,
                                   "denials_missed": sorted(denied - deniers), "false_denials": sorted(deniers - denied)}
    return {**total.as_dict(), "denials": denials.as_dict()}, errors
