"""What changed along one derivation (parent article -> child article), claim by claim.

The claims stage cuts each article into claims on its own, so two renderings of one text are
rarely cut alike: one outlet's compound sentence ("the containers will be loaded at night, and
inspectors have reportedly been told not to open them") is two claims in another. Read claim
by claim, that looks like a claim added, a claim dropped and a hedge removed, none of which
happened. So a derivation is read in three steps, each on the claims' own evidence:

1. **Counterparts**: a one-to-one alignment by similarity (``trace.align_articles``). An aligned
   pair is *typed* (its differences become mutations) when it is close (``trace.mutation_threshold``)
   or when the two claims are each other's best counterpart and state the same quantity or
   share most of their content words; a looser pair is the same claim, too loosely matched to
   say what changed in it.
2. **Splits and merges**: a claim left over on one side whose content words lie mostly inside
   a claim of the other side is part of that claim. Typing then compares the upstream claim
   with the union of its downstream parts (hedges, numbers, entities), and vice versa.
3. **Added and dropped**: a claim still left over is added (or dropped) only when the other
   article's text does not carry it in any sentence (the claims stage may have cut that
   sentence differently, or not seen a claim in it). Along a ``rewrite`` or ``partial``
   derivation only *reported* claims count (claims with a source: an outlet's own background
   and colour is expected to differ between two write-ups of one report); along a ``copy``
   every added or dropped claim counts, since any edit of a copied text is deliberate.
   ``trace.added_dropped_scope`` sets this.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from .errors import ConfigError
from .provenance import is_self_citation
from .quantities import stated_figures
from .trace import Claim, Mutation, align_articles, compare_claims, content_words, figures_conflict

#: Share of a claim's content words that must lie in the other claim (or sentence) for it to
#: be read as part of it; with fewer than this many shared words the evidence is too thin.
CONTAINMENT = 0.6
MIN_SHARED_WORDS = 3
#: Cosine (MiniLM) at which a claim and a sentence or clause of the other article say the same
#: thing *when they also share words* (see ``Encoder.says_same``). Lower than the grouping
#: threshold because this only asks "is it there at all?" against the sentences of one article;
#: set on the demo corpus (development data): true drops scored at most 0.61 with at most two
#: shared words, paraphrases the claims stage cut differently 0.58-0.64 with three or more.
SAME_COSINE = 0.55
#: Overlap coefficient (shared words / smaller claim) that lets a mutually-best pair below the
#: mutation threshold be typed.
TYPING_OVERLAP = 0.6
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+")
#: Where one sentence holds two claims: "..., and ...", "...; ...", "..., but ...".
_CLAUSE_BREAK = re.compile(r",\s+(?:and|but|while|whereas)\s+|;\s+|\s+-\s+", re.I)


def containment(part: frozenset[str], whole: frozenset[str]) -> float:
    """Share of ``part``'s words found in ``whole`` (0 when too few words are shared)."""
    shared = len(part & whole)
    if not part or shared < min(MIN_SHARED_WORDS, len(part)):
        return 0.0
    return shared / len(part)


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text or "") if s.strip()]


def clauses(text: str) -> list[str]:
    """The clauses of a compound claim; empty when it has one clause."""
    return [text[a:b] for a, b in clause_spans(text)]


def clause_spans(text: str) -> list[tuple[int, int]]:
    """The [start, end) offsets of the clauses of a compound claim (see ``clauses``); empty
    when it has one clause."""
    spans, start = [], 0
    for brk in _CLAUSE_BREAK.finditer(text):
        spans.append((start, brk.start()))
        start = brk.end()
    spans.append((start, len(text)))
    parts = [(a, b) for a, b in spans if len(content_words(text[a:b])) >= MIN_SHARED_WORDS]
    return parts if len(parts) > 1 else []


class Encoder:
    """Sentence vectors, computed once per text for a whole story (the model is the slow part)."""

    def __init__(self) -> None:
        self.cache: dict[str, Any] = {}

    def prefetch(self, texts: Sequence[str]) -> None:
        """Embed every text not seen yet in one call. Many small calls cost far more than one
        large one, most of all on a busy machine (torch's threads wait for a core each call: the
        demo's 12-article story took 10-12 s traced call by call at load 2, 3 s after one
        prefetch; BENCHMARKS.md, "Trace")."""
        from .models import embed

        missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if missing:
            self.cache.update(zip(missing, embed(missing), strict=True))

    def vectors(self, texts: Sequence[str]) -> Any:
        import numpy as np

        self.prefetch(texts)
        return np.stack([self.cache[t] for t in texts])

    def cosines(self, texts: Sequence[str], others: Sequence[str]) -> Any:
        import numpy as np

        self.prefetch([*texts, *others])
        if not texts or not others:
            return np.zeros((len(texts), len(others)), dtype=np.float32)
        return np.stack([self.cache[t] for t in texts]) @ np.stack([self.cache[t] for t in others]).T

    def says_same(self, text: str, others: Sequence[str], *, same_figures: bool = False) -> bool:
        """``text`` says what one of ``others`` says: most of its words are there, or the
        meaning is close and they share several words (a third of the shorter, at most three)."""
        if not others:
            return False
        words = content_words(text)
        other_words = [content_words(o) for o in others]
        if any(containment(words, o) >= CONTAINMENT for o in other_words):
            return True
        cosines = self.cosines([text], others)[0]
        stated = stated_figures(text) if same_figures else set()
        for cosine, o, other in zip(cosines, other_words, others, strict=True):
            # With ``same_figures`` (is a claim added or dropped?), a claim that states a figure
            # or a date is carried only by a sentence stating it too: "stored since a 2022
            # customs raid" is not said by a sentence that mentions the same containers.
            if stated and not stated & stated_figures(other):
                continue
            needed = min(MIN_SHARED_WORDS, math.ceil(0.4 * min(len(words), len(o))))
            if float(cosine) >= SAME_COSINE and len(words & o) >= max(needed, 2):
                return True
        return False


ADDED_DROPPED_SCOPES = ("story", "reported", "all")


def merge(claims: Sequence[Claim]) -> Claim:
    """One claim standing for several parts of one claim on the other side: the first part's
    identity and source (or the first source found), everything the parts state together."""
    first = claims[0]
    if len(claims) == 1:
        return first
    sourced = next((c for c in claims if c.source_kind != "none"), first)
    hedges = tuple(sorted({h for c in claims for h in c.hedges}))
    certainty = min((c.certainty for c in claims), key=lambda x: {"hedged": 0, "modal": 1}.get(x, 2))
    return replace(
        first,
        text=" … ".join(c.text for c in claims),
        source_kind=sourced.source_kind, source_name=sourced.source_name, cited_outlet=sourced.cited_outlet,
        hedges=hedges, certainty=certainty,
        numbers=tuple(sorted({n for c in claims for n in c.numbers}, key=lambda x: (x[0] is None, x[0] or 0, x[1], x[2]))),
        number_texts=tuple(t for c in claims for t in c.number_texts),
        entities=frozenset().union(*(c.entities for c in claims)),
    )


def _best(sims: Any, i: int, candidates: Sequence[int], by_row: bool) -> int | None:
    if not candidates:
        return None
    return max(candidates, key=lambda j: float(sims[i, j] if by_row else sims[j, i]))


def derivation_mutations(
    claims: Sequence[Claim],
    parent: str,
    child: str,
    relation: str,
    *,
    sims: Any,
    words: Sequence[frozenset[str]],
    config: Any,
    parent_text: str = "",
    child_text: str = "",
    outlets: dict[str, str | None] | None = None,
    group_articles: dict[str, int] | None = None,
    encoder: Encoder | None = None,
) -> list[Mutation]:
    """The typed mutations from article ``parent`` to article ``child`` (see the module doc)."""
    threshold = config["trace.group_threshold"]
    aligned = align_articles(claims, parent, child, sims=sims, threshold=threshold,
                             lexical_threshold=config["trace.lexical_threshold"], words=words)
    parent_ids = [i for i, c in enumerate(claims) if c.article_id == parent]
    child_ids = [j for j, c in enumerate(claims) if c.article_id == child]
    partner_of_parent = {i: j for i, j, _ in aligned}
    partner_of_child = {j: i for i, j, _ in aligned}

    # 2. splits and merges: leftover claims that are part of a claim on the other side.
    child_parts: dict[int, list[int]] = {i: [j] for i, j, _ in aligned}
    parent_parts: dict[int, list[int]] = {j: [i] for i, j, _ in aligned}
    leftover_child = [j for j in child_ids if j not in partner_of_child]
    leftover_parent = [i for i in parent_ids if i not in partner_of_parent]
    encoder = encoder or Encoder()
    part_of_parent = _hosts(claims, leftover_child, parent_ids, words, encoder)
    part_of_child = _hosts(claims, leftover_parent, child_ids, words, encoder)
    for j, host in part_of_parent.items():
        if host in partner_of_parent:
            child_parts[host].append(j)
    for i, host in part_of_child.items():
        if host in partner_of_child:
            parent_parts[host].append(i)

    parent_sentences = sentences(parent_text)
    child_sentences = sentences(child_text)
    mutations: list[Mutation] = []
    for i, j, similarity in aligned:
        if not _typeable(claims, i, j, similarity, sims, parent_ids, child_ids, words, config):
            continue  # the same claim, but too loosely matched to type its differences
        before = merge([claims[k] for k in parent_parts[j]])  # the aligned claim first
        after = merge([claims[k] for k in child_parts[i]])
        for m in compare_claims(before, after, before_context=parent_text):
            if m.type in ("hedge-removed", "hedge-added") and _hedge_kept_elsewhere(
                    m, before if m.type == "hedge-removed" else after,
                    child_sentences if m.type == "hedge-removed" else parent_sentences, encoder):
                continue
            m.from_claim, m.to_claim = claims[i], claims[j]  # stored claims, not the merged views
            m.details["relation"] = relation
            mutations.append(m)

    # 3. added and dropped: leftovers that are no part of the other side's claims or text.
    scope = "all" if relation == "copy" else config["trace.added_dropped_scope"]
    if scope not in ADDED_DROPPED_SCOPES:
        raise ConfigError(f"trace.added_dropped_scope is {scope!r}; it must be one of "
                          f"{', '.join(ADDED_DROPPED_SCOPES)} (see `newstrace config`).")

    def counts(k: int) -> bool:
        claim = claims[k]
        if scope == "all":
            return True
        reported = claim.source_kind != "none" and not is_self_citation(
            (outlets or {}).get(claim.article_id), claim.source_name)
        if scope == "reported":
            return reported
        return reported and (group_articles or {}).get(claim.id, 1) > 1

    # The other article may say it in a sentence the claims stage cut differently or did not
    # make a claim of.
    for j in leftover_child:
        if j in part_of_parent or not counts(j) or encoder.says_same(claims[j].text, parent_sentences, same_figures=True):
            continue
        mutations.append(Mutation("claim-added", parent, child, None, claims[j], {"relation": relation}))
    if relation != "partial" or config["trace.dropped_on_partial"]:
        for i in leftover_parent:
            if i in part_of_child or not counts(i) or encoder.says_same(claims[i].text, child_sentences, same_figures=True):
                continue
            mutations.append(Mutation("claim-dropped", parent, child, claims[i], None, {"relation": relation}))
    return mutations


def _hosts(
    claims: Sequence[Claim], leftovers: Sequence[int], candidates: Sequence[int], words: Sequence[frozenset[str]],
    encoder: Encoder,
) -> dict[int, int]:
    """Leftover claim -> the claim of the other side it is part of, when there is one: most of
    its words lie in that claim, or it says what one clause of that compound claim says."""
    found = {}
    for k in leftovers:
        scored = [(containment(words[k], words[h]), h) for h in candidates]
        best, host = max(scored, default=(0.0, None))
        if host is not None and best >= CONTAINMENT:
            found[k] = host
            continue
        for h in candidates:
            parts = clauses(claims[h].text)
            if parts and encoder.says_same(claims[k].text, parts):
                found[k] = h
                break
    return found


def _hedge_kept_elsewhere(mutation: Mutation, hedged: Claim, other_sentences: Sequence[str], encoder: Encoder) -> bool:
    """The hedged clause of a compound claim is carried, hedge and all, by a sentence of the
    other article that the claims stage did not cut into a claim ("..., and inspectors have
    reportedly been told ..." -> "Inspectors had reportedly been told ...")."""
    hedges = [str(h).lower() for h in mutation.details.get("hedges", [])]
    parts = clauses(hedged.text) or [hedged.text]
    for hedge in hedges:
        clause = next((p for p in parts if hedge in p.lower()), None)
        if clause is None or not encoder.says_same(clause, [x for x in other_sentences if hedge in x.lower()]):
            return False
    return bool(hedges)


def _typeable(
    claims: Sequence[Claim], i: int, j: int, similarity: float, sims: Any,
    parent_ids: Sequence[int], child_ids: Sequence[int], words: Sequence[frozenset[str]], config: Any,
) -> bool:
    if similarity >= config["trace.mutation_threshold"]:
        return True
    if _best(sims, i, child_ids, by_row=True) != j or _best(sims, j, parent_ids, by_row=True) != i:
        return False
    quantities_i = {(v, u) for v, u, _ in claims[i].numbers if v is not None}
    quantities_j = {(v, u) for v, u, _ in claims[j].numbers if v is not None}
    if quantities_i & quantities_j:
        return True
    smaller = min(len(words[i]), len(words[j]))
    return bool(smaller) and len(words[i] & words[j]) / smaller >= TYPING_OVERLAP


def compound_memberships(groups: Sequence[Sequence[Claim]], claims: Sequence[Claim], encoder: Encoder,
                         threshold: float) -> list[tuple[int, Claim, float]]:
    """(group index, claim, cosine) for each compound claim that also tells another group's
    claim in one of its clauses: NNA's "the containers will be loaded at night ..., and customs
    inspectors have reportedly been told not to open them" is one claim of NNA's, grouped with
    the night loading, and it tells the customs claim too. A clause joins a group of several
    articles, none of them its own, when it is as close as the grouping threshold to one of the
    group's claims and states no figure, date or month that differs from it."""
    shared = [(g, members, {m.article_id for m in members}) for g, members in enumerate(groups)
              if len({m.article_id for m in members}) > 1]
    texts = [m.text for _, members, _ in shared for m in members]
    spans, at = [], 0  # each shared group's columns in ``texts``
    for _, members, _ in shared:
        spans.append((at, at + len(members)))
        at += len(members)
    found = []
    for claim in claims:
        parts = clauses(claim.text)
        if not parts or not texts:
            continue
        cosines = encoder.cosines(parts, texts)  # one product per compound claim, sliced per group
        for (g, members, articles), (lo, hi) in zip(shared, spans, strict=True):
            if claim.article_id in articles:
                continue
            block = cosines[:, lo:hi]
            best = float(block.max())
            part, member = divmod(int(block.argmax()), block.shape[1])
            if best >= threshold and not figures_conflict(parts[part], members[member].text):
                found.append((g, claim, round(best, 4)))
    return found
