"""How a story changed on the way: claim groups, variants and typed mutations.

Inside each story, claims from different articles that assert the same thing are grouped by
a one-to-one alignment of each pair of articles' claims (sentence-embedding cosine, with
lexical overlap as a floor so verbatim copies always align). Mutations are then read along
the story's lineage: each article is compared with the article it derives from (its
strongest directed reuse relation: copy, then partial, then rewrite), claim by claim, with the
splits, merges and carried sentences of ``lineage.py`` taken into account. A change
is typed from the claims' own evidence (normalised numbers, entities, hedges, certainty and
attribution, as extracted by the ``claims`` stage), never from the wording alone. A mutation
is *dangerous* when it makes a claim less traceable or more certain than the text it came
from: what upstream was attributed, hedged or modal is downstream stated as plain fact, or a
number is inflated or an approximate number made exact ("more than 4,000" -> "6,000").
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .config import Setting
from .quantities import comparable as figure_key

STAGE = "trace"

SETTINGS = (
    Setting("trace.group_threshold", 0.72,
            "With trace.link_scorer = cosine: cosine (MiniLM) at or above which two claims of different articles "
            "assert the same thing. In both modes: the similarity that claims of an aligned passage are raised to "
            "(read by the mutations), and the cosine at which a compound claim's clause joins a group."),
    Setting("trace.lexical_threshold", 0.6,
            "With trace.link_scorer = cosine: word overlap (Jaccard of content words) at or above which two claims "
            "align regardless of cosine."),
    Setting("trace.group_average_floor", 0.6,
            "With trace.link_scorer = cosine: mean similarity of every cross pair that two groups must reach to merge "
            "(average linkage): a link between one member of each is not enough, so neighbouring claims do not "
            "chain into one group.",
            limits=(0.0, 1.0)),
    Setting("trace.link_margin", 0.0,
            "A link between two claims counts only if it stands this far above each claim's next-best link into "
            "the other's article (in link probability with the learned scorer, in similarity with the cosine "
            "rule): 0 means they must be each other's best counterpart; -1 turns the rule off.",
            limits=(-1.0, 1.0)),
    Setting("trace.link_scorer", "learned",
            "How two claims of different articles are linked into one claim group: `learned` (a logistic regression "
            "over cosine, word overlap, rare shared words, shared phrases, quantities, best counterparts and sources; "
            "newstrace/claim_links.py) or `cosine` (the MiniLM cosine or word overlap against trace.group_threshold).",
            choices=("learned", "cosine")),
    Setting("trace.link_probability", 0.25,
            "With the learned link scorer: probability at or above which two claims are linked (pairs the scorer "
            "never links have probability 0, so the lowest allowed value is above it).", limits=(0.01, 1.0)),
    Setting("trace.link_average_floor", 0.7,
            "With the learned link scorer: mean similarity (cosine or word overlap, as trace.group_average_floor) of "
            "every cross pair that two groups must reach to merge.", limits=(0.0, 1.0)),
    Setting("trace.number_bonus", 0.1,
            "Added to the similarity of two claims that state the same quantity (value and unit)."),
    Setting("trace.mutation_threshold", 0.8,
            "Similarity an aligned pair of claims needs before its differences are typed as mutations."),
    Setting("trace.max_story_articles", 80,
            "Stories larger than this compare each article only with its lineage and the 20 earliest."),
    Setting("trace.dropped_on_partial", True,
            "Report claims dropped along a `partial` reuse edge (only claims in `trace.added_dropped_scope`)."),
    Setting("trace.added_dropped_scope", "story",
            "Claims that count as added or dropped along a rewrite or partial edge: `story` (reported claims that "
            "another article of the story also carries), `reported` (claims with a source) or `all`. Along a copy "
            "every claim counts."),
)

#: How specific a source is; a drop in rank downstream is a weakened attribution.
SOURCE_RANK = {
    "named-official": 3, "named-expert": 3, "named-witness": 3, "named-person": 3,
    "organisation": 2, "outlet": 2, "document": 2, "anonymous": 1, "none": 0,
}
CERTAINTY_RANK = {"hedged": 0, "modal": 1, "asserted": 2}
LINEAGE_RANK = {"copy": 3, "partial": 2, "rewrite": 1}
MUTATION_TYPES = (
    "number-changed", "entity-changed", "hedge-removed", "hedge-added", "attribution-removed",
    "attribution-weakened", "attribution-changed", "certainty-raised", "polarity-reversed", "claim-added",
    "claim-dropped",
)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_STOP = frozenset(
    "a an the of to in on at for and or but with by from as is are was were be been will would "
    "that this these those it its he she they them his her their has have had not no said says "
    "told according".split()
)
_ENTITY_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT"})
#: What a denied claim reads like: a that-clause, or a noun naming something said.
_PROPOSITION = re.compile(
    r"^\W*(?:that\b|(?:\S+\s+){0,5}?(?:reports?|claims?|ideas?|allegations?|accusations?|suggestions?|notions?|"
    r"rumou?rs?|stor(?:y|ies)|assertions?|charges?|speculation|assessments?|statements?|theor(?:y|ies))\b)", re.I)
#: Cues that report a claim in order to deny it: its speaker does not tell the claim.
_DENIAL_CUE = re.compile(r"\b(?:den(?:y|ies|ied|ying|ial)|dismiss|reject|refut|rebut|debunk|disput|contradict|"
                         r"disprov)\w*", re.I)
#: Words that negate what a clause asserts, and phrases built on them that do not ("not only",
#: "no more than 4,000", "nothing more", "No. 10").
_NEGATION = re.compile(r"\b(?:not|never|no|none|nobody|nothing|neither|nor|cannot)\b|n['’]t\b", re.I)
_NOT_NEGATION = re.compile(
    r"\bnot only\b|\b(?:no|not) (?:fewer|less|more|later|sooner|earlier|longer) than\b|\bno (?:doubt|sooner)\b"
    r"|\bnothing (?:more|less|but|short)\b|\bno\.?\s*\d|\bno-\w|\bnone other\b|\bnot (?:least|to mention)\b"
    r"|\bwhether or not\b|\bif not\b|\bno choice but\b|,\s*not\s+[\w-]+(?:\s+[\w-]+)?\s*,", re.I)
#: Share of content words two wordings must have in common for a negation's difference to be a
#: reversal of one proposition rather than a clause one of them does not carry.
POLARITY_MIN_OVERLAP = 0.5


def negations(text: str) -> list[str]:
    """The negating words of ``text`` ("not", "never", "n't", ...), less the phrases where such a
    word does not negate the claim."""
    return [m.group(0).lower() for m in _negation_matches(text)]


def _negation_matches(text: str) -> list[re.Match[str]]:
    skip = {m.start() + first.start() for m in _NOT_NEGATION.finditer(text)
            if (first := _NEGATION.search(m.group(0)))}
    return [m for m in _NEGATION.finditer(text) if m.start() not in skip]


#: Words between a negation and what it negates ("did not *even* try", "wasn't going *to*").
_NEGATION_FILLER = frozenset("be been being have has had do does did to even ever yet always really also "
                             "a an the any so as".split())


def negated_words(text: str) -> list[str]:
    """What each negation of ``text`` negates: the first word after it that is not an auxiliary
    or a filler ("had not *received*", "took no *action*", "wasn't *going* to pay")."""
    found = []
    for m in _negation_matches(text):
        for w in _WORD.findall(text[m.end():m.end() + 60])[:4]:
            if w.lower() not in _NEGATION_FILLER and w.lower() not in ("t", "n"):
                found.append(w.lower())
                break
    return found


def reverses_polarity(a: str, b: str) -> bool:
    """Two wordings of one proposition, one negated: the parity of their negations differs, they
    share ``POLARITY_MIN_OVERLAP`` of their content words, and the extra negation bears on a word
    both use."""
    neg_a, neg_b = negations(a), negations(b)
    if len(neg_a) % 2 == len(neg_b) % 2 or jaccard(content_words(a), content_words(b)) < POLARITY_MIN_OVERLAP:
        return False
    return _negates_shared_word(a, b) if len(neg_a) > len(neg_b) else _negates_shared_word(b, a)


def _negates_shared_word(negating: str, other: str) -> bool:
    """A negation of ``negating`` bears on a word that ``other`` also uses (compared on its
    first five letters: "receive" / "received"): the two wordings differ by the negation of one
    predicate, not by a clause only one of them has ("..., referring to when Fox said he
    wasn't going to pay")."""
    stems = {w[:5] for w in _WORD.findall(other.lower())}
    return any(w[:5] in stems for w in negated_words(negating))


@dataclass(frozen=True)
class Claim:
    """The claim fields tracing needs, decoded from a ``claims`` row."""

    id: str
    article_id: str
    text: str
    source_kind: str
    source_name: str | None
    hedges: tuple[str, ...]
    certainty: str
    numbers: tuple[tuple[float | None, str, str], ...]  # (value, unit, modifier)
    number_texts: tuple[str, ...]
    entities: frozenset[tuple[str, str]]  # (label, norm)
    start: int = 0  # offsets into the article's text
    end: int = 0
    cited_outlet: str | None = None  # the outlet the claim is relayed through ("told RIA Novosti")
    cue: str | None = None  # the attribution's cue ("told", "denied")

    @property
    def stance(self) -> str:
        """'denies' when the claim is reported as denied ("the director denied a report that
        ..."), else 'tells'. The denied content must be a proposition (a that-clause, or a
        report, claim or idea): "rejected Obama's trade agenda" is an act, not a denial."""
        if self.cue and _DENIAL_CUE.search(self.cue) and _PROPOSITION.match(self.text):
            return "denies"
        return "tells"


@dataclass
class Mutation:
    type: str
    from_article: str
    to_article: str
    from_claim: Claim | None
    to_claim: Claim | None
    details: dict[str, Any] = field(default_factory=dict)
    dangerous: bool = False
    group_id: str | None = None


@dataclass
class StoryTrace:
    """Everything the stage computes for one story (before it is written)."""

    story_id: str
    groups: list[list[Claim]]
    parents: dict[str, tuple[str, str]]  # article -> (parent article, relation)
    mutations: list[Mutation]
    #: (group's first claim id, claim id) -> similarity of the claim to the group's first claim
    similarity_to_first: dict[tuple[str, str], float] = field(default_factory=dict)


# -- claims -----------------------------------------------------------------------------------
def _json_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if not value:
        return []
    try:
        decoded = json.loads(value)
    except ValueError:
        return []
    return decoded if isinstance(decoded, list) else []


def claim_from_row(row: dict[str, Any], attribution: dict[str, Any] | None) -> Claim:
    hedges = tuple(sorted({str(h.get("text", "")).lower() for h in _json_list(row.get("hedges")) if isinstance(h, dict)}))
    numbers = []
    number_texts = []
    for n in _json_list(row.get("numbers")):
        if not isinstance(n, dict):
            continue
        value = n.get("value")
        numbers.append((float(value) if isinstance(value, (int, float)) else None,
                        str(n.get("unit") or ""), str(n.get("modifier") or "")))
        number_texts.append(str(n.get("text", "")))
    entities = frozenset(
        (str(e.get("label", "")), str(e.get("norm") or e.get("text", "")).lower())
        for e in _json_list(row.get("entities"))
        if isinstance(e, dict) and e.get("label") in _ENTITY_LABELS
    )
    kind = row.get("source_kind") or (attribution or {}).get("source_kind") or "none"
    name = (attribution or {}).get("source_name") or (attribution or {}).get("source_text")
    return Claim(
        id=str(row["id"]), article_id=row["article_id"], text=row["text"], source_kind=kind,
        source_name=(name or None), hedges=hedges, certainty=row.get("certainty") or "asserted",
        numbers=tuple(sorted(numbers, key=lambda x: (x[0] is None, x[0] or 0, x[1], x[2]))),
        number_texts=tuple(number_texts), entities=entities,
        start=int(row.get("start") or 0), end=int(row.get("end") or 0),
        cited_outlet=(attribution or {}).get("cited_outlet") or None,
        cue=(attribution or {}).get("cue_text") or None,
    )


def content_words(text: str) -> frozenset[str]:
    return frozenset(w for w in (m.group(0).lower() for m in _WORD.finditer(text)) if w not in _STOP)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


# -- grouping ----------------------------------------------------------------------------------
class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        if ri != rj:
            self.parent[max(ri, rj)] = min(ri, rj)


def similarity_matrix(claims: Sequence[Claim], number_bonus: float = 0.1, vectors: Any = None) -> Any:
    """Pairwise claim similarity: max(embedding cosine, content-word Jaccard), plus
    ``number_bonus`` when both claims state the same quantity (value and unit): "more than
    4,000 containers" in two differently worded claims is strong evidence they are one claim."""
    import numpy as np

    from .models import embed

    if vectors is None:
        vectors = embed([c.text for c in claims])
    # float64: a threshold written into a float32 matrix as a floor (0.7 -> 0.69999999) would
    # fail its own ">= threshold" test.
    sims = np.asarray(vectors @ vectors.T, dtype=np.float64)
    words = [content_words(c.text) for c in claims]
    quantities = [{(v, u) for v, u, _ in c.numbers if v is not None} for c in claims]
    for i in range(len(claims)):
        for j in range(i + 1, len(claims)):
            score = max(float(sims[i, j]), jaccard(words[i], words[j]))
            if quantities[i] & quantities[j]:
                score += number_bonus
            sims[i, j] = sims[j, i] = score
    return np.asarray(sims)


def _candidate_links(
    claims: Sequence[Claim], by_article: dict[str, list[int]], a: str, b: str, sims: Any,
    words: Sequence[frozenset[str]], threshold: float, lexical_threshold: float,
) -> list[tuple[float, int, int]]:
    links = []
    for i in by_article.get(a, ()):
        for j in by_article.get(b, ()):
            s = float(sims[i, j])
            if s >= threshold or jaccard(words[i], words[j]) >= lexical_threshold:
                links.append((s, i, j))
    return sorted(links, reverse=True)


def align_articles(
    claims: Sequence[Claim], a: str, b: str, *, sims: Any, threshold: float, lexical_threshold: float,
    words: Sequence[frozenset[str]] | None = None,
) -> list[tuple[int, int, float]]:
    """One-to-one alignment of article ``a``'s claims with ``b``'s, greedily by similarity.
    ``words``: the claims' content words, when the caller has them already."""
    by_article: dict[str, list[int]] = {a: [], b: []}
    for i, c in enumerate(claims):
        if c.article_id in by_article:
            by_article[c.article_id].append(i)
    if words is None:
        words = [content_words(c.text) for c in claims]
    used_i: set[int] = set()
    used_j: set[int] = set()
    aligned = []
    for s, i, j in _candidate_links(claims, by_article, a, b, sims, words, threshold, lexical_threshold):
        if i in used_i or j in used_j:
            continue
        used_i.add(i)
        used_j.add(j)
        aligned.append((i, j, s))
    return aligned


def group_claims(
    claims: Sequence[Claim],
    article_order: Sequence[str],
    comparable: Iterable[tuple[str, str]],
    *,
    threshold: float,
    lexical_threshold: float,
    sims: Any = None,
    average_floor: float = 0.0,
    link_margin: float = -1.0,
    average_sims: Any = None,
) -> list[list[Claim]]:
    """Group claims that assert the same thing.

    Links between claims of comparable article pairs are taken strongest first (as in
    Kruskal's algorithm), and a link is refused when it would put two claims of one article in
    one group: a group holds at most one claim per article, so related claims cannot chain
    ("thousands of containers" -> "more than 4,000 containers" -> "300,000 containers").
    Two groups merge only if the mean similarity of all their cross pairs reaches
    ``average_floor`` (average linkage): in a story of six articles on one topic, single links
    chained different claims into one group (BASIL, BENCHMARKS.md "Trace"). A link counts only
    if it stands ``link_margin`` above each claim's next-best link into the other's article (0:
    the two are each other's best counterpart); on topic-dense stories a claim's second-best
    counterpart often passes the threshold too.
    Then a claim left alone joins a group of several articles when it *restates* that group's
    claim: it is as close as ``RESTATEMENT`` to its own article's member (Sputnik's lead
    restating Sputnik's quote of the 9,000 fighters) and links at the threshold to another
    article's member. Without that, the lead would be listed as a claim only Sputnik carries.
    Groups come out ordered by their first article, claims inside a group by article order.
    ``average_sims``: the matrix average linkage reads, when not ``sims`` (links scored as
    probabilities, similarity averaged).
    """
    if not claims:
        return []
    if sims is None:
        sims = similarity_matrix(claims)
    by_article: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(claims):
        by_article[c.article_id].append(i)
    words = [content_words(c.text) for c in claims]
    links: list[tuple[float, int, int]] = []
    for a, b in comparable:
        links.extend(_candidate_links(claims, by_article, a, b, sims, words, threshold, lexical_threshold))
    if link_margin > -1.0:
        links = [(s, i, j) for s, i, j in links if _margin(sims, by_article, i, j, claims) >= link_margin]
    uf = _UnionFind(len(claims))
    articles_of: dict[int, set[str]] = {i: {c.article_id} for i, c in enumerate(claims)}
    members_of: dict[int, list[int]] = {i: [i] for i in range(len(claims))}
    for _, i, j in sorted(links, reverse=True):
        ri, rj = uf.find(i), uf.find(j)
        if ri == rj or articles_of[ri] & articles_of[rj]:
            continue
        if average_floor and (len(members_of[ri]) > 1 or len(members_of[rj]) > 1):
            averaged = sims if average_sims is None else average_sims
            cross = [float(averaged[a, b]) for a in members_of[ri] for b in members_of[rj]]
            if sum(cross) / len(cross) < average_floor:
                continue
        uf.union(ri, rj)
        root = uf.find(ri)
        other = rj if root == ri else ri
        articles_of[root] = articles_of[root] | articles_of.pop(other)
        members_of[root] = members_of[root] + members_of.pop(other)
    position = {a: k for k, a in enumerate(article_order)}
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(claims)):
        groups[uf.find(i)].append(i)
    _attach_restatements(claims, groups, articles_of, sims, threshold)
    ordered = []
    for members in groups.values():
        members.sort(key=lambda i: (position.get(claims[i].article_id, len(position)), i))
        ordered.append([claims[i] for i in members])
    ordered.sort(key=lambda g: (position.get(g[0].article_id, len(position)), g[0].id))
    return ordered


def _margin(sims: Any, by_article: dict[str, list[int]], i: int, j: int, claims: Sequence[Claim]) -> float:
    """How far the link i-j stands above each claim's next-best link into the other's article."""
    rival_j = max((float(sims[i, k]) for k in by_article[claims[j].article_id] if k != j), default=0.0)
    rival_i = max((float(sims[k, j]) for k in by_article[claims[i].article_id] if k != i), default=0.0)
    return float(sims[i, j]) - max(rival_i, rival_j)


#: Similarity at which a claim restates another claim of its own article. Two sentences of one
#: article share its topic and names, so the grouping threshold is far too low here: in BASIL,
#: Fox's "The NAACP was once a vital weapon in the war against segregation" and its "... to
#: educate its membership ..." score 0.73; Sputnik's lead and its own quote of the 9,000
#: fighters, one claim told twice, 0.92.
RESTATEMENT = 0.85


def figures_conflict(a: str, b: str) -> bool:
    """Both state figures or calendar words, none the same: "in October" does not restate "in
    November", however close the two sentences' vectors are."""
    from .quantities import stated_figures

    x, y = stated_figures(a, calendar_words=True), stated_figures(b, calendar_words=True)
    return bool(x and y) and not x & y


def _attach_restatements(claims: Sequence[Claim], groups: dict[int, list[int]], articles_of: dict[int, set[str]],
                         sims: Any, threshold: float) -> None:
    """Move each lone claim into the group of several articles it restates (see ``group_claims``),
    the one it links to most strongly; groups are those found before any claim moved."""
    shared = [(root, members) for root, members in groups.items() if len(articles_of[root]) > 1]
    moves = []
    for root, members in groups.items():
        if len(members) != 1:
            continue
        i = members[0]
        best: tuple[float, int] | None = None
        for target, others in shared:
            own = [float(sims[i, k]) for k in others if claims[k].article_id == claims[i].article_id]
            other = [float(sims[i, k]) for k in others if claims[k].article_id != claims[i].article_id]
            if not (own and other and max(own) >= RESTATEMENT and max(other) >= threshold):
                continue
            if any(figures_conflict(claims[i].text, claims[k].text) for k in others):  # the slow test last
                continue
            strength = min(max(own), max(other))
            if best is None or strength > best[0]:
                best = (strength, target)
        if best is not None:
            moves.append((root, i, best[1]))
    for root, i, target in moves:
        del groups[root]
        groups[target].append(i)


def normalise_variant(text: str) -> str:
    return " ".join(m.group(0).lower() for m in _WORD.finditer(text))


# -- mutations ---------------------------------------------------------------------------------
def compare_claims(before: Claim, after: Claim, before_context: str = "") -> list[Mutation]:
    """The typed changes from ``before`` (upstream) to ``after`` (downstream).

    ``before_context``: the upstream article's whole text. An entity the downstream claim names
    that the upstream article names elsewhere ("Arvenia's Port Maren" where the source said
    "Arvenian authorities" a sentence earlier) is context moved into the claim, not a changed
    entity.
    """
    found: list[Mutation] = []

    def add(kind: str, **details: Any) -> None:
        found.append(Mutation(kind, before.article_id, after.article_id, before, after, details))

    # A number is changed when the downstream claim states a quantity the upstream one does not
    # (value, bound and measurement unit: "over 3,500" restates "more than 3,500", and "9,000
    # fighters" restates "9,000 militants").
    # Only one side stating numbers is rewording; a downstream claim that keeps some of the
    # upstream numbers and drops others ("38.1 and 9.5 percent" -> "38.1 percent") dropped a
    # detail, it did not change a number.
    if before.numbers and after.numbers and not ({figure_key(*n) for n in after.numbers}
                                                  <= {figure_key(*n) for n in before.numbers}):
        add("number-changed", before=list(before.number_texts), after=list(after.number_texts))
        found[-1].dangerous = _inflated(before.numbers, after.numbers)
    # Entities are compared across labels: the small NER model calls one port a FAC in one
    # article and a PERSON in the next. A name still written somewhere in the other text (a
    # demonym included: "Sildovian" / "Sildovia") is neither gone nor new.
    after_words = _WORD.findall(after.text.lower())
    before_words = _WORD.findall(f"{before.text} {before_context}".lower())
    after_norms = {norm for _, norm in after.entities}
    before_norms = {norm for _, norm in before.entities}
    gone = {e for e in before_norms - after_norms if not named_in(e, after_words)}
    new = {e for e in after_norms - before_norms if not named_in(e, before_words)}
    if gone and new:
        labels = sorted({label for label, norm in before.entities | after.entities if norm in gone | new})
        add("entity-changed", label="/".join(labels), before=sorted(gone), after=sorted(new))
    removed = set(before.hedges) - set(after.hedges)
    added = set(after.hedges) - set(before.hedges)
    if removed and len(after.hedges) < len(before.hedges):
        add("hedge-removed", hedges=sorted(removed))
    elif added and len(after.hedges) > len(before.hedges):
        add("hedge-added", hedges=sorted(added))
    b_rank = SOURCE_RANK.get(before.source_kind, 0)
    a_rank = SOURCE_RANK.get(after.source_kind, 0)
    if same_attribution_chain(before, after):
        pass  # "a source told NNA" -> "NNA reported, citing a source": the same chain, told apart
    elif before.source_kind != "none" and after.source_kind == "none":
        add("attribution-removed", before=before.source_kind, source=before.source_name)
    elif b_rank and a_rank and a_rank < b_rank:
        add("attribution-weakened", before=before.source_kind, after=after.source_kind,
            source_before=before.source_name, source_after=after.source_name)
    elif b_rank and a_rank and (
        before.source_kind != after.source_kind
        or (b_rank >= 2 and not same_source_name(before.source_name, after.source_name))
    ):
        add("attribution-changed", before=before.source_kind, after=after.source_kind,
            source_before=before.source_name, source_after=after.source_name)
    if before.certainty == "modal" and after.certainty == "asserted":
        add("certainty-raised", before=before.certainty, after=after.certainty)
    # A negation added or dropped reverses what the claim says ("did not receive" -> "received").
    # Parity, so that two negations in one wording and none in the other are not a reversal; and
    # only between wordings of one proposition (most content words shared), so that a negation
    # in a clause the other claim does not carry ("..., and inspectors were told not to open
    # them") is not read as a reversal.
    neg_before, neg_after = negations(before.text), negations(after.text)
    if reverses_polarity(before.text, after.text):
        # Not flagged dangerous: how often this rule is right on real text is not measured yet.
        add("polarity-reversed", before=neg_before, after=neg_after)
    upstream_qualified = before.source_kind != "none" or bool(before.hedges) or before.certainty != "asserted"
    downstream_fact = after.source_kind == "none" and not after.hedges and after.certainty == "asserted"
    if upstream_qualified and downstream_fact:
        for m in found:
            if m.type in ("attribution-removed", "hedge-removed", "certainty-raised"):
                m.dangerous = True
    for m in found:
        # Hearsay made certain: "reportedly instructed, he said" -> "instructed, he said".
        if m.type == "hedge-removed" and not after.hedges and after.certainty == "asserted":
            m.dangerous = True
    return found


_APPROXIMATE = frozenset({"more than", "over", "about", "around", "nearly", "almost", "up to", "at least",
                          "some", "roughly", "approximately", "thousands of", "hundreds of", "dozens of", "several"})


def _inflated(before: tuple[tuple[float | None, str, str], ...], after: tuple[tuple[float | None, str, str], ...]) -> bool:
    """A number made larger, or an approximate one made exact ("more than 4,000" -> "6,000")."""
    b_max = max((v for v, _, _ in before if v is not None), default=None)
    a_max = max((v for v, _, _ in after if v is not None), default=None)
    if b_max is not None and a_max is not None and a_max > b_max:
        return True
    approx_before = any(m.lower() in _APPROXIMATE for _, _, m in before)
    approx_after = any(m.lower() in _APPROXIMATE for _, _, m in after)
    return approx_before and not approx_after


_ENDINGS = frozenset({"n", "an", "ian", "ese", "i", "s", "es"})


def named_in(entity: str, words: Sequence[str]) -> bool:
    """Every word of ``entity`` is written in ``words``, allowing a demonym's or plural's ending
    ("Sildovia" / "Sildovian", "Arvenia" / "Arvenian")."""
    def found(w: str) -> bool:
        return any(t == w or (len(t) >= 4 and len(w) >= 4 and (t[len(w):] in _ENDINGS and t.startswith(w)
                                                                 or w[len(t):] in _ENDINGS and w.startswith(t)))
                   for t in words)
    parts = _WORD.findall(entity.lower())
    return bool(parts) and all(found(w) for w in parts)


def _name(value: str | None) -> str:
    return normalise_variant(value or "")


_NAME_FILLER = frozenset("the a an of at in for from by s".split())


def same_source_name(a: str | None, b: str | None) -> bool:
    """Two names of one source: every word of the shorter name begins a word of the longer one
    ("Sorvik" / "Helena Sorvik", "Arvenia" / "Arvenian authorities"). Unknown names are not
    evidence of a change."""
    words_a = [w for w in _name(a).split() if w not in _NAME_FILLER]
    words_b = [w for w in _name(b).split() if w not in _NAME_FILLER]
    if not words_a or not words_b:
        return True
    short, long = sorted((words_a, words_b), key=len)
    return all(any(w.startswith(s) for w in long) for s in short)


def same_attribution_chain(before: Claim, after: Claim) -> bool:
    """One side names the outlet the other side's source is relayed through: "a source told
    Nordmere News Agency" and "the Nordmere News Agency reported, citing a source"."""
    for x, y in ((before, after), (after, before)):
        if (y.source_kind == "outlet" and x.cited_outlet and x.source_kind != "none"
                and same_source_name(x.cited_outlet, y.source_name)):
            return True
    return False


def pair_score(pair: dict[str, Any]) -> float:
    """How strong a reuse relation is: verbatim coverage for copies, aligned meaning otherwise."""
    coverage = max(pair.get("coverage_a") or 0.0, pair.get("coverage_b") or 0.0)
    if pair.get("relation") in ("copy", "partial"):
        return float(coverage)
    return float(pair.get("semantic_score") or pair.get("aligned_share") or pair.get("score") or coverage)


def lineage_parents(
    pairs: Iterable[dict[str, Any]],
    published: dict[str, str | None],
    cites: dict[str, set[str]] | None = None,
) -> dict[str, tuple[str, str]]:
    """Each article's parent: the earlier article of its strongest directed reuse relation.

    Direction comes from the dates; when a date is missing it comes only from citation (an
    article that cites the other's outlet is downstream of it), never from a guess. Candidates
    are ranked by relation (copy, partial, rewrite), then by whether the article cites the
    candidate's outlet ("Meridian Today reported"), then by score (to 0.05: verbatim copies of
    one text score alike), then by age: among equally good sources the earliest is where the
    text existed first.
    """
    cites = cites or {}
    candidates: dict[str, list[tuple[tuple[int, int, int], str, str, str]]] = defaultdict(list)
    for p in pairs:
        relation = p["relation"]
        if relation not in LINEAGE_RANK:
            continue
        direction = p.get("direction")
        if direction == "a->b":
            src, dst = p["a_id"], p["b_id"]
        elif direction == "b->a":
            src, dst = p["b_id"], p["a_id"]
        elif p["b_id"] in cites.get(p["a_id"], ()) and p["a_id"] not in cites.get(p["b_id"], ()):
            src, dst = p["b_id"], p["a_id"]  # undated, but a cites b's outlet: b is upstream
        elif p["a_id"] in cites.get(p["b_id"], ()) and p["b_id"] not in cites.get(p["a_id"], ()):
            src, dst = p["a_id"], p["b_id"]
        else:
            continue
        strength = (LINEAGE_RANK[relation], int(src in cites.get(dst, ())), round(pair_score(p) / 0.05))
        candidates[dst].append((strength, published.get(src) or "9999", src, relation))
    parents = {}
    for dst, found in candidates.items():
        strongest = max(strength for strength, _, _, _ in found)
        _, _, src, relation = min(c for c in found if c[0] == strongest)  # the earliest of the strongest
        parents[dst] = (src, relation)
    return parents


def trace_story(
    story_id: str,
    articles: Sequence[dict[str, Any]],
    claims: Sequence[Claim],
    pairs: Sequence[dict[str, Any]],
    config: Any,
    cited_outlets: dict[str, set[str]] | None = None,
    passages: Sequence[dict[str, Any]] = (),
    link_scorer: Any = None,
) -> StoryTrace:
    """Group a story's claims and read the mutations along its lineage (pure function).

    ``cited_outlets`` maps an article to the outlets it cites, used to pick its parent.
    ``passages`` are the reuse stage's aligned sentences and verbatim passages: two claims that
    lie in the two sides of one passage align at least at the grouping threshold, since the
    reuse stage aligned them in context and in order (independent translations of one report
    say the same thing in words whose cosine alone is often below the threshold).
    ``link_scorer``: a ``claim_links.LinkScorer`` to link claims with instead of the packaged one.
    """
    from .claim_links import link_claims
    from .lineage import Encoder, clauses, compound_memberships, derivation_mutations, sentences

    order = [a["id"] for a in articles]  # oldest first
    published = {a["id"]: a.get("published_at") for a in articles}
    texts = {a["id"]: a.get("text") or "" for a in articles}
    cites: dict[str, set[str]] = {}
    # Articles by outlet name, so that each text is searched once per outlet, not per article.
    by_outlet: dict[str, set[str]] = defaultdict(set)
    for b in articles:
        if b.get("outlet"):
            by_outlet[_name(b["outlet"])].add(b["id"])
    for a in articles:
        wanted = {_name(o) for o in (cited_outlets or {}).get(a["id"], set())}
        # An article that names another's outlet in its text ("... told Nordmere News Agency")
        # cites it, whether or not the attribution stage tied a claim to that outlet.
        mentioned = f" {_name(texts[a['id']])} "
        cited = set()
        for outlet, ids in by_outlet.items():
            if outlet in wanted or (len(outlet) >= 3 and f" {outlet} " in mentioned):
                cited |= ids
        cites[a["id"]] = cited - {a["id"]}
    parents = lineage_parents(pairs, published, cites)
    comparable: set[tuple[str, str]] = set()
    if len(order) <= config["trace.max_story_articles"]:
        comparable = {(a, b) for i, a in enumerate(order) for b in order[i + 1:]}
    else:
        early = order[:20]
        comparable = {(a, b) for i, a in enumerate(early) for b in order[i + 1:]}
        comparable |= {(p, c) for c, (p, _) in parents.items()}
    threshold = config["trace.group_threshold"]
    # The texts the trace embeds, in one call: the claims, their clauses, and the sentences of the
    # articles on a lineage edge (the derivations read them to tell added and dropped claims).
    encoder = Encoder()
    on_lineage = set(parents) | {p for p, _ in parents.values()}
    encoder.prefetch([c.text for c in claims] + [p for c in claims for p in clauses(c.text)]
                     + [x for a in order if a in on_lineage for x in sentences(texts[a])])
    vectors = encoder.vectors([c.text for c in claims]) if claims else None
    sims: Any = similarity_matrix(claims, config["trace.number_bonus"], vectors=vectors) if claims else None
    groups = link_claims(claims, order, sorted(comparable), sims=sims, vectors=vectors, pairs=pairs,
                         passages=passages, config=config, scorer=link_scorer)
    group_of: dict[str, int] = {}
    index = {c.id: i for i, c in enumerate(claims)}
    similarity_to_first: dict[tuple[str, str], float] = {}  # (group's first claim, claim) -> similarity
    for g, members in enumerate(groups):
        first = index[members[0].id]
        for c in members:
            group_of[c.id] = g
            similarity_to_first[(members[0].id, c.id)] = (
                1.0 if index[c.id] == first else round(float(sims[first, index[c.id]]), 4))
    if len(order) <= config["trace.max_story_articles"]:  # every article pair compared
        for g, compound, cosine in compound_memberships(groups, claims, encoder, threshold):
            groups[g].append(compound)  # a second group for the claim; group_of keeps its first
            similarity_to_first[(groups[g][0].id, compound.id)] = cosine
    words = [content_words(c.text) for c in claims]
    # How many articles tell each claim's group (a denial does not tell it); a compound claim
    # in two groups counts the larger.
    group_articles: dict[str, int] = {}
    for members in groups:
        tellers = len({m.article_id for m in members if m.stance == "tells"})
        for c in members:
            group_articles[c.id] = max(group_articles.get(c.id, 0), tellers)

    mutations: list[Mutation] = []
    position = {a: k for k, a in enumerate(order)}
    for child, (parent, relation) in sorted(parents.items(), key=lambda kv: position.get(kv[0], 0)):
        mutations.extend(derivation_mutations(
            claims, parent, child, relation, sims=sims, words=words, config=config,
            parent_text=texts.get(parent, ""), child_text=texts.get(child, ""),
            outlets={a["id"]: a.get("outlet") for a in articles}, group_articles=group_articles, encoder=encoder))
    for m in mutations:
        claim = m.to_claim or m.from_claim
        if claim is not None:
            m.group_id = group_id(story_id, groups[group_of[claim.id]][0])
    return StoryTrace(story_id, groups, parents, mutations, similarity_to_first)


def _overlaps(claim: Claim, start: int, end: int) -> bool:
    """Most of the claim lies inside [start, end)."""
    inside = min(claim.end, end) - max(claim.start, start)
    return claim.end > claim.start and inside >= 0.5 * (claim.end - claim.start)


def passage_matches(claims: Sequence[Claim], passages: Sequence[dict[str, Any]], sims: Any) -> list[tuple[int, int]]:
    """The claim pairs that the two sides of an aligned passage hold, each claim matched with its
    mutually most similar counterpart on the other side (by ``sims``)."""
    import numpy as np

    by_article: dict[str, list[int]] = defaultdict(list)
    for i, c in enumerate(claims):
        by_article[c.article_id].append(i)
    matches: list[tuple[int, int]] = []
    for p in passages:
        left = [i for i in by_article.get(p["a_id"], ()) if _overlaps(claims[i], p["a_start"], p["a_end"])]
        right = [j for j in by_article.get(p["b_id"], ()) if _overlaps(claims[j], p["b_start"], p["b_end"])]
        if not left or not right:
            continue
        # A passage that holds several claims on one side: claims are matched only with their
        # mutually most similar counterpart ("coalition warplanes will strike only abandoned
        # houses, ... adding that these targets were chosen with the militants" against a
        # sentence that says only the first: the added claim stays on its own).
        block = np.asarray(sims)[np.ix_(left, right)]
        best_right = {i: right[int(block[r].argmax())] for r, i in enumerate(left)}
        best_left = {j: left[int(block[:, c].argmax())] for c, j in enumerate(right)}
        matches.extend((i, j) for i, j in best_right.items() if best_left[j] == i)
    return matches


def group_id(story_id: str, first: Claim) -> str:
    return hashlib.sha256(f"{story_id}\x00{first.id}".encode()).hexdigest()[:16]
